// Reconcile of one BrokerCluster, level-based: read the cluster and its
// children from the caches, check the spec, apply what differs, write the
// status if it changed, and say when to look again. It never sleeps.
import type { V1Pod } from '@kubernetes/client-node';
import { KIND } from '../api/group';
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import { withDefaults } from '../api/defaults';
import { checkSpec, type SpecFacts } from '../api/spec-checks';
import { names, podIndex } from '../metadata/names';
import { desiredState } from '../resources/desired-state';
import { buildMasterService } from '../resources/master-service';
import type { Role } from '../metadata/labels';
import type { KubeClients } from '../kube/client';
import { statusCode } from '../kube/client';
import type { EventRecorder } from '../kube/events';
import { Reason } from '../kube/events';
import type { Informers } from '../kube/informers';
import type { StatusWriter } from '../kube/status-writer';
import type { Logger } from '../observability/logger';
import { computeStatus } from '../status/compute-status';
import { metrics } from '../observability/metrics';
import type { ReplicationGuard } from '../replication/replication-guard';
import { ChildReconciler } from './reconcile-children';
import type { RollGate } from './roller';
import type { ElectionSnapshot, ElectionSource } from './election-source';
import { splitKey } from './keys';
import type { Outcome } from './work-queue';

/** Safety net for missed watch events. */
export const RESYNC_MS = 5 * 60_000;
/** While pods start or roll. */
export const PROGRESS_MS = 5_000;
/** While the spec cannot be applied. */
export const BLOCKED_MS = 30_000;

export interface ReconcilerDeps {
  kube: KubeClients;
  cache: Informers;
  children: ChildReconciler;
  status: StatusWriter;
  events: EventRecorder;
  election: ElectionSource;
  /** Checks slaves through the master's console; without it rolls go by pod readiness alone. */
  replication?: ReplicationGuard;
  log: Logger;
  now?: () => Date;
}

function rolesOf(snapshot: ElectionSnapshot | undefined): Map<string, Role> {
  const roles = new Map<string, Role>();
  if (!snapshot?.known) return roles;
  for (const m of snapshot.members) if (m.pod && m.role) roles.set(m.pod, m.role);
  return roles;
}

export class Reconciler {
  private readonly now: () => Date;
  /** Last Warning recorded per cluster uid: the cache may not show our own status write yet. */
  private readonly warned = new Map<string, string>();
  /** Last change of master recorded per cluster uid, for the same reason. */
  private readonly transitions = new Map<string, string>();
  /** The status last written per uid and the resourceVersion it was computed from. */
  private readonly written = new Map<string, { basedOn: string | undefined; status: BrokerClusterStatus }>();

  constructor(private readonly d: ReconcilerDeps) {
    this.now = d.now ?? (() => new Date());
  }

  private async specFacts(c: BrokerCluster): Promise<SpecFacts> {
    const sc = c.spec.persistence.storageClassName;
    if (!sc) return {};
    try {
      await this.d.kube.storage.readStorageClass({ name: sc });
      return { storageClassExists: true };
    } catch (err) {
      if (statusCode(err) === 404) return { storageClassExists: false };
      throw err;
    }
  }

  async reconcile(key: string): Promise<Outcome> {
    const { namespace, name } = splitKey(key);
    const cached = this.d.cache.get<BrokerCluster>(KIND, namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) {
      // Owned objects go with it through garbage collection; claims stay unless deleteClaim.
      this.d.election.forget(namespace, name);
      if (cached?.metadata.uid) {
        this.warned.delete(cached.metadata.uid);
        this.transitions.delete(cached.metadata.uid);
        this.written.delete(cached.metadata.uid);
        this.d.replication?.forget(cached.metadata.uid);
      }
      return {};
    }
    const c: BrokerCluster = { ...cached, spec: withDefaults(cached.spec) };
    // Until the watch brings our own status write back, the cache holds the
    // status before it; decisions (failovers, Events) build on what we wrote.
    const mine = this.written.get(cached.metadata.uid ?? key);
    if (mine && mine.basedOn === cached.metadata.resourceVersion) c.status = mine.status;
    const log = this.d.log.child({ namespace, cluster: name });
    const snapshot = this.d.election.observe(c);
    const masterIndex = snapshot?.known && snapshot.master ? podIndex(snapshot.master) : undefined;
    // The switch goes first, on its own, before anything is checked or
    // rendered, and even while a spec change is refused: clients follow it.
    // While ZooKeeper cannot be read the master Service keeps what it has.
    if (!snapshot || snapshot.connected) {
      const switched = await this.d.children.applyOne(buildMasterService(c, masterIndex));
      if (switched && snapshot?.at) metrics.masterSwitchSeconds.observe((Date.now() - snapshot.at.getTime()) / 1000);
    }
    const check = checkSpec(c, await this.specFacts(c));
    // Also while the spec is refused: a slave that rejoined is brought in sync whatever the spec says.
    const sync = this.d.replication?.check(c, snapshot);
    const gate: RollGate | undefined = sync && { open: sync.inSync, reason: `slaves not in sync: ${sync.message}` };
    const oldWarning = c.status?.conditions?.find((x) => x.type === 'Warning');

    let requeueAfterMs = RESYNC_MS;
    if (check.blocking.length > 0) {
      // What already runs is left alone until the spec can run.
      requeueAfterMs = BLOCKED_MS;
    } else {
      const desired = desiredState(c, { masterIndex, roles: rolesOf(snapshot) });
      const rest = desired.applied.filter((o) => !(o.kind === 'Service' && o.metadata?.name === names.masterService(name)));
      const result = await this.d.children.reconcile({ ...desired, applied: rest }, snapshot?.master, gate);
      if (result.roll.action === 'restart') {
        this.d.replication?.restarted(c, snapshot, result.roll.pod);
        log.info('restarting pod', { pod: result.roll.pod, reason: result.roll.reason });
        await this.d.events.record(c, 'Normal', Reason.PodRestarted, 'Restart', `restarted ${result.roll.pod} to apply a new revision (${result.roll.reason})`);
      }
      if (result.writes > 0 || result.roll.action !== 'none') requeueAfterMs = PROGRESS_MS;
      if (result.writes > 0) log.debug('applied', { writes: result.writes });
    }

    const pods = (count: number, podName: (i: number) => string) =>
      Array.from({ length: count }, (_, i) => this.d.cache.get<V1Pod>('Pod', namespace, podName(i)));
    const zkCount = c.spec.zookeeper.external ? 0 : (c.spec.zookeeper.replicas ?? 0);
    const { status, events } = computeStatus({
      cluster: c,
      zkPods: pods(zkCount, (i) => names.zkPod(name, i)),
      brokerPods: pods(c.spec.replicas, (i) => names.brokerPod(name, i)),
      check,
      election: snapshot,
      replication: sync,
      now: this.now(),
    });
    const newWarning = status.conditions?.find((x) => x.type === 'Warning');
    const uid = c.metadata.uid ?? key;
    if (newWarning?.status === 'True' && newWarning.message !== oldWarning?.message && newWarning.message !== this.warned.get(uid)) {
      const reason = check.blocking.length > 0 ? Reason.InvalidSpec : Reason.SpecWarning;
      await this.d.events.record(c, 'Warning', reason, 'Validate', newWarning.message ?? '');
    }
    if (newWarning?.status === 'True') this.warned.set(uid, newWarning.message ?? '');
    else this.warned.delete(uid);
    if (status.phase !== 'Running' && requeueAfterMs === RESYNC_MS) requeueAfterMs = PROGRESS_MS * 6;
    if (await this.d.status.write(c, status)) this.written.set(uid, { basedOn: cached.metadata.resourceVersion, status });
    const transition = events.map((e) => `${e.reason}:${e.note}`).join('|');
    if (events.length > 0 && this.transitions.get(uid) !== transition) {
      this.transitions.set(uid, transition);
      for (const e of events) await this.d.events.record(c, e.type, e.reason, 'Failover', e.note);
    }
    if (sync?.retryInMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs, sync.retryInMs);
    return { requeueAfterMs };
  }
}
