// Plan: what one reconcile does, as a pure function of the observation and
// what the operator remembers of the cluster. The master Service comes first
// and on its own; then the owned objects that differ, at most one restart,
// the status, the Events, and one time to look again.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import { clusterName, managedZkServers, range, zkPath } from '../api/cluster';
import { checkSpec, expandableClaims } from '../api/spec-checks';
import { brokerIndexOf, MAX_BROKERS, names } from '../metadata/names';
import { ANNOTATION_PAUSE, LABEL_ROLE, type Role } from '../metadata/labels';
import { needsApply } from '../kube/apply';
import { Reason, type EventType } from '../kube/events';
import { desiredState } from '../resources/desired-state';
import { computeStatus } from '../status/compute-status';
import { isPodReady } from '../status/pods';
import type { ClusterMemory } from './cluster-memory';
import { childWrites, nextRoll, type RollGuard, type Write } from './child-writes';
import type { CredentialsFacts, Observation, TlsFacts } from './observe';
import type { Problem } from '../model/problem';
import { CREDENTIAL_KEYS } from '../model/credentials';
import type { RollDecision, RollGate } from './roller';
import { planSwitchover } from './switchover';
import { planHealing, stallTimeoutMs } from './election-healing';
import { planLostNodes, type LostNodeStep } from './lost-nodes';
import { detachedSlave } from './detached-slave';

/**
 * Safety net for missed watch events, and how soon a changed credentials
 * Secret is seen: Secrets are read by name, never watched (the operator may
 * not list them), so a quiet cluster is looked at this often.
 */
export const RESYNC_MS = 30_000;
/** While pods start or roll. */
export const PROGRESS_MS = 5_000;
/** While the spec cannot be applied. */
export const BLOCKED_MS = 30_000;
/** While the cluster is not Running and nothing else will wake us. */
export const NOT_RUNNING_MS = 30_000;

export interface PlannedEvent {
  type: EventType;
  reason: Reason;
  action: string;
  note: string;
}

export interface Plan {
  /** The master Service, when it differs and may be changed now; applied before anything else. */
  switchMaster?: V1Service;
  /** The other writes, in order; none while the spec is refused. */
  writes: Write[];
  roll: RollDecision;
  /** Prove the slaves in sync again before the master may restart. */
  recheck: boolean;
  status: BrokerClusterStatus;
  /** Recorded once the status is written. */
  events: PlannedEvent[];
  requeueAfterMs: number;
  /** What to remember once the status is written. */
  remember: Pick<ClusterMemory, 'warned' | 'transition'>;
  /** Create <name>-credentials with new random passwords (before anything else is applied). */
  generateCredentials: boolean;
}

/** The Secret's zookeeper-password is not the one the group znode was made with: a restarted broker could not join. */
function zkPasswordChanged(c: BrokerCluster, secret: string): Problem {
  return {
    reason: 'ZooKeeperPasswordChanged',
    field: `Secret ${secret}`,
    message:
      `zookeeper-password is not the one the group znode ${zkPath(c)} was made with, so no restarted broker could join it; ` +
      'put the previous value back, or add the new digest to the znode ACL first (docs/security.md, ZooKeeper access control)',
  };
}

/** Why the cluster's logins cannot be read from a Secret the user named (or one the operator made and someone changed). */
export function credentialsProblem(f: CredentialsFacts): Problem | undefined {
  if (f.state === 'found' || (f.state === 'missing' && f.generated)) return undefined;
  const field = f.generated ? `Secret ${f.secret}` : 'spec.security.credentialsSecret';
  if (f.state === 'missing') {
    return {
      reason: 'CredentialsSecretNotFound',
      field,
      message: `Secret "${f.secret}" does not exist in the cluster namespace; create it with the keys ${Object.values(CREDENTIAL_KEYS).join(', ')}, or remove the field to have one generated`,
    };
  }
  return {
    reason: 'CredentialsIncomplete',
    field,
    message: `Secret "${f.secret}" has no value for ${f.missingKeys.join(', ')}; add them (every key but ${CREDENTIAL_KEYS.zookeeperPassword} is needed)`,
  };
}

/** Why the certificate's Secret (spec.tls.secretName) cannot be used yet. */
export function tlsProblem(f: TlsFacts | undefined): Problem | undefined {
  if (!f || f.state === 'found') return undefined;
  if (f.state === 'missing') {
    return {
      reason: 'TlsSecretNotFound',
      field: 'spec.tls.secretName',
      message: `Secret "${f.secret}" does not exist in the cluster namespace; create it (kubernetes.io/tls: tls.crt, tls.key, and ca.crt), for example with a cert-manager Certificate, or remove spec.tls`,
    };
  }
  return {
    reason: 'TlsSecretIncomplete',
    field: 'spec.tls.secretName',
    message: `Secret "${f.secret}" has no ${f.missingKeys.join(', ')}; it needs the kubernetes.io/tls keys tls.crt and tls.key (ca.crt optional)`,
  };
}

/** Whether the election view may change what runs: always without tracking, else once read on a live session. */
function viewUsable(o: Observation): boolean {
  return !o.election || (o.election.connected && o.election.known);
}

/** Role labels: as ZooKeeper reports them, or as the pods show them while the view cannot be used. */
function rolesOf(o: Observation, brokerPods: readonly string[]): Map<string, Role> {
  const roles = new Map<string, Role>();
  if (viewUsable(o)) {
    for (const m of o.election?.members ?? []) if (m.pod && m.role) roles.set(m.pod, m.role);
    return roles;
  }
  for (const pod of brokerPods) {
    const role = o.live<V1Pod>('Pod', pod)?.metadata?.labels?.[LABEL_ROLE];
    if (role === 'master' || role === 'slave') roles.set(pod, role);
  }
  return roles;
}

/**
 * The switch goes first, even while a spec change is refused: clients follow
 * it. A missing master Service is created at once (selecting nobody until a
 * master is known); an existing one keeps what it has while ZooKeeper cannot
 * be read or the group has not been read yet, as after an operator restart.
 */
function masterSwitch(o: Observation, service: V1Service): V1Service | undefined {
  const live = o.live('Service', service.metadata?.name ?? '');
  return (!live || viewUsable(o)) && needsApply(service, live) ? service : undefined;
}

/**
 * Whether a serving broker may be taken down now. With master tracking, only
 * on a live, read view of the group and with every slave in sync: after an
 * operator start or while ZooKeeper cannot be read nobody knows which broker
 * is the master. Without tracking, rolls go by pod readiness alone.
 */
function rollGate(o: Observation): RollGate | undefined {
  if (!o.election) return undefined;
  // Strict: without a read of the group every broker may look unready (a master without ZooKeeper stops listening).
  if (!o.election.connected) return { open: false, strict: true, reason: 'ZooKeeper cannot be read, so the master is not known' };
  if (!o.election.known) return { open: false, strict: true, reason: 'the replication group has not been read yet' };
  if (!o.sync) return { open: false, reason: 'the slaves have not been checked yet' };
  return { open: o.sync.inSync, reason: `slaves not in sync: ${o.sync.message}` };
}

/**
 * The managed ensemble's leader goes last; while no server says it leads (none
 * answered srvr), a serving server is not taken down. A single server has none.
 */
function zkRollGuard(o: Observation): RollGuard {
  if (!o.zkModes) return {};
  const leader = [...o.zkModes].find(([, mode]) => mode === 'leader')?.[0];
  if (leader || o.zkModes.size <= 1) return { master: leader };
  return { gate: { open: false, reason: 'no ZooKeeper server says it is the leader (srvr), which must restart last' } };
}

/** How recent the slaves' last checkpoint must be for the master to restart. */
export const MASTER_RESTART_PROOF_MS = 15_000;

function freshlyConfirmed(o: Observation): boolean {
  // Without master tracking there is no check to make.
  if (!o.election) return true;
  const at = o.sync?.inSync ? o.sync.confirmedAt : undefined;
  return at !== undefined && o.now.getTime() - at <= MASTER_RESTART_PROOF_MS;
}

/** A lost pod's force-delete (that instance only), then its claim where the claim cannot follow it. */
function lostPodWrites(namespace: string | undefined, d: LostNodeStep['deletes'][number]): Write[] {
  const pod: Write = { verb: 'delete', force: true, object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: d.pod, namespace, uid: d.uid } } };
  if (!d.claim) return [pod];
  return [pod, { verb: 'delete', object: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: d.claim, namespace } } }];
}

/** Nodes beyond spec.replicas whose pods still run: a scale-down under way. */
function leavingNodes(o: Observation): number[] {
  const name = clusterName(o.cluster);
  return range(MAX_BROKERS).filter((i) => i >= o.cluster.spec.replicas && o.live('Pod', names.brokerPod(name, i)) !== undefined);
}

export function plan(o: Observation, memory: ClusterMemory): Plan {
  const c = o.cluster;
  const name = clusterName(c);
  const election = o.election;
  const leaving = leavingNodes(o);
  const brokerPods = range(c.spec.replicas).map((i) => names.brokerPod(name, i));
  const roles = rolesOf(o, [...brokerPods, ...leaving.map((i) => names.brokerPod(name, i))]);
  const credentials = o.credentials.state === 'found' ? o.credentials.credentials : undefined;
  const tls = o.tls?.state === 'found' ? o.tls.tls : undefined;
  const desired = desiredState(c, {
    masterIndex: election?.known ? election.master?.index : undefined,
    roles,
    leaving,
    operator: o.operator,
    credentials,
    tls,
  });
  const check = checkSpec(c, o.facts);
  const badCredentials = credentialsProblem(o.credentials);
  if (badCredentials) check.blocking.push(badCredentials);
  const badTls = tlsProblem(o.tls);
  if (badTls) check.blocking.push(badTls);
  if (o.zkGroup === 'changed' && o.credentials.state === 'found') check.blocking.push(zkPasswordChanged(c, o.credentials.credentials.secret));
  const blocked = check.blocking.length > 0;
  const paused = c.metadata.annotations?.[ANNOTATION_PAUSE] === 'true';
  // The generated Secret is made first; nothing is applied before the logins are known.
  const generateCredentials = !paused && o.credentials.state === 'missing' && o.credentials.generated;
  // What already runs is left alone until the spec can run, and while a person paused the cluster.
  const frozen = blocked || paused || !credentials;
  const events: PlannedEvent[] = [];

  const writes = frozen ? [] : childWrites(desired, o.live, expandableClaims(o.facts));
  let roll: RollDecision = frozen ? { action: 'none' } : nextRoll(desired, o.live, o.now, { master: election?.master?.pod, gate: rollGate(o) }, zkRollGuard(o));
  // The master goes last and only on a proof made just now: a slave covered long ago may have stopped following.
  const takesMaster = (roll.action === 'restart' || roll.action === 'remove') && roll.pod === election?.master?.pod;
  let recheck = takesMaster && !freshlyConfirmed(o);
  if (recheck) roll = { action: 'wait', reason: 'checking the slaves again before the master goes' };

  // Pods on lost nodes are handled also while the spec is refused, not while paused; they go before any roll step.
  const lostNodes = planLostNodes({
    cluster: c,
    podNodes: o.podNodes ?? [],
    master: election?.master?.pod,
    masterKnown: !election || (election.known && election.connected),
    isBroker: (pod) => brokerIndexOf(name, pod) !== undefined,
    now: o.now,
  });
  if (!paused) writes.push(...lostNodes.deletes.flatMap((d) => lostPodWrites(c.metadata.namespace, d)));
  if (!paused && lostNodes.deletes.length > 0 && (roll.action === 'restart' || roll.action === 'remove'))
    roll = { action: 'wait', reason: `${lostNodes.deletes.map((d) => d.pod).join(', ')} on a lost node first` };
  for (const e of lostNodes.events) events.push({ ...e, reason: Reason.NodeLost, action: paused ? 'Report' : 'Recover' });

  const livePods = (podNames: readonly string[]) => podNames.map((pod) => o.live<V1Pod>('Pod', pod));
  const computed = computeStatus({
    cluster: c,
    zkPods: livePods(range(managedZkServers(c)).map((i) => names.zkPod(name, i))),
    brokerPods: livePods(brokerPods),
    leaving,
    check,
    election,
    replication: o.sync,
    claimSize: o.facts.claimSize,
    paused,
    lostPods: lostNodes.lost,
    now: o.now,
  });
  const status = computed.status;

  const masterServing = election?.master ? isPodReady(o.live<V1Pod>('Pod', election.master.pod)) : undefined;
  // A stalled election is healed also while the spec is refused, not while paused.
  const healing = paused
    ? { events: [] }
    : planHealing({
        cluster: c,
        election,
        podsSettled: [...brokerPods, ...leaving.map((i) => names.brokerPod(name, i))].every((pod) => {
          const p = o.live<V1Pod>('Pod', pod);
          return p?.status?.phase === 'Running' && !p.metadata?.deletionTimestamp;
        }),
        masterServing,
        now: o.now,
      });
  if (healing.stall === null) delete status.electionStall;
  else if (healing.stall) status.electionStall = healing.stall;
  if (healing.stalledElections !== undefined) status.stalledElections = healing.stalledElections;
  for (const e of healing.events) events.push({ ...e, reason: Reason[e.reason], action: 'Heal' });
  if (healing.restart && roll.action !== 'restart' && roll.action !== 'remove')
    roll = { action: 'restart', pod: healing.restart.pod, reason: healing.restart.reason };

  // A slave that never attaches to a serving master is started again, only while nothing else restarts.
  const detached =
    !frozen && roll.action === 'none' && !recheck && masterServing && election?.connected
      ? detachedSlave({ cluster: c, master: election.master?.pod, pods: livePods(brokerPods), now: o.now })
      : undefined;
  if (detached) roll = { action: 'restart', pod: detached.pod, reason: detached.reason };

  // A planned switchover restarts the master only while nothing else restarts.
  const switchover = frozen
    ? {}
    : planSwitchover({
        cluster: c,
        election,
        sync: o.sync,
        freshlyInSync: freshlyConfirmed(o),
        idle: roll.action === 'none' && !recheck,
        lastFailover: status.lastFailover,
        now: o.now,
      });
  const switchoverStatus = switchover.status ?? c.status?.switchover;
  if (switchoverStatus) status.switchover = switchoverStatus;
  if (switchover.recheck) recheck = true;
  if (switchover.restart && roll.action !== 'restart') roll = { action: 'restart', pod: switchover.restart, reason: 'planned switchover' };
  if (switchover.event) events.push({ ...switchover.event, reason: Reason[switchover.event.reason], action: 'Switchover' });

  if (roll.action === 'restart' || roll.action === 'remove') {
    // The instance observed, not one created under the same name since: the uid is a precondition of the delete.
    const uid = o.live<V1Pod>('Pod', roll.pod)?.metadata?.uid;
    writes.push({ verb: 'delete', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: roll.pod, namespace: c.metadata.namespace, uid } } });
    events.push(
      roll.action === 'restart'
        ? { type: 'Normal', reason: Reason.PodRestarted, action: 'Restart', note: `restarted ${roll.pod} (${roll.reason})` }
        : { type: 'Normal', reason: Reason.PodRemoved, action: 'ScaleDown', note: `removed ${roll.pod}: spec.replicas is ${c.spec.replicas} (${roll.reason})` },
    );
  }

  // A Warning is recorded once per new message, not on every reconcile that still finds it.
  const oldWarning = c.status?.conditions?.find((x) => x.type === 'Warning');
  const warning = status.conditions?.find((x) => x.type === 'Warning');
  const warned = warning?.status === 'True' ? (warning.message ?? '') : undefined;
  if (warned !== undefined && warned !== oldWarning?.message && warned !== memory.warned) {
    events.push({ type: 'Warning', reason: blocked ? Reason.InvalidSpec : Reason.SpecWarning, action: 'Validate', note: warned });
  }
  // A change of master is recorded once, even if the cache shows the old status again.
  let transition = memory.transition;
  const seen = computed.events.map((e) => `${e.reason}:${e.note}`).join('|');
  if (computed.events.length > 0 && seen !== memory.transition) {
    transition = seen;
    for (const e of computed.events) events.push({ type: e.type, reason: Reason[e.reason], action: 'Failover', note: e.note });
  }

  let requeueAfterMs = RESYNC_MS;
  if (generateCredentials) requeueAfterMs = 0;
  else if (frozen) requeueAfterMs = BLOCKED_MS;
  else if (writes.length > 0 || roll.action !== 'none' || switchoverStatus?.state === 'Waiting' || switchoverStatus?.state === 'InProgress')
    requeueAfterMs = PROGRESS_MS;
  else if (status.phase !== 'Running') requeueAfterMs = NOT_RUNNING_MS;
  if (o.sync?.retryInMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs, o.sync.retryInMs);
  // A group with no master is looked at again within a stall timeout: ZooKeeper may stay silent meanwhile.
  if (election?.known && (!election.master || masterServing === false) && !paused) requeueAfterMs = Math.min(requeueAfterMs, stallTimeoutMs(c));
  if (lostNodes.recheckInMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs, Math.max(1000, lostNodes.recheckInMs));

  return {
    switchMaster: masterSwitch(o, desired.masterService),
    writes,
    roll,
    recheck,
    status,
    events,
    requeueAfterMs,
    remember: { warned, transition },
    generateCredentials,
  };
}
