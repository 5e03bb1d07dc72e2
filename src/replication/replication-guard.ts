// Keeps, per cluster, what the operator knows about its slaves being in sync
// with the master, and does the one write that brings a fresh slave there.
// The reconciler asks it before a rolling restart may take a broker down, and
// on every change of the group, so a slave that rejoins after a crash is
// brought in sync too, not only the ones the operator restarts.
import type { BrokerCluster } from '../api/types';
import { nodePodHost, nodePorts } from '../api/cluster';
import type { ElectionSnapshot } from '../model/election';
import type { Logger } from '../observability/logger';
import { metrics } from '../observability/metrics';
import { JolokiaError, type ConsoleCredentials } from './jolokia';
import type { ClusterTls } from '../model/tls';
import { MasterConsole } from './master-console';
import { checkpointWritten, judgeGroup, judgeView, newSyncState, type GroupFacts, type SyncState, type SyncVerdict } from './replica-sync';

const CONSOLE_RETRY_MS = 5_000;

/** What the operator needs to talk to a master console: the admin login, and with spec.tls the CA to check it by. */
export interface ConsoleAccess {
  admin: ConsoleCredentials;
  tls?: ClusterTls;
}

/**
 * Where the master's console is, from the address it registered in ZooKeeper;
 * an error when that is not the elected pod's own DNS name (nor a trusted
 * host): whoever can write to ZooKeeper must not collect the admin login.
 */
export function consoleUrl(c: BrokerCluster, index: number, address: string, trusted: ReadonlySet<string>): { url: string } | { error: string } {
  let host: string;
  try {
    host = new URL(address).hostname;
  } catch {
    return { error: `the master registered "${address}", which is not a URL` };
  }
  const own = nodePodHost(c, index);
  if (host !== own && !trusted.has(host)) {
    return { error: `the master registered the host ${host}, not its pod's name ${own}: the operator sends the admin login only there` };
  }
  // With spec.tls the console speaks only https, and its certificate must name this host.
  return { url: `${c.spec.tls ? 'https' : 'http'}://${host}:${nodePorts(c, index).console}/api/jolokia/` };
}

/** The elected master's member, its console, and who else is in the group; undefined while none serves. */
function groupFacts(
  c: BrokerCluster,
  snapshot: ElectionSnapshot,
  trusted: ReadonlySet<string>,
): { facts: GroupFacts; url: string } | { error: string } | undefined {
  const elected = snapshot.master;
  const master = elected && snapshot.members.find((x) => x.role === 'master' && x.pod === elected.pod);
  if (!elected || !master?.memberId || !master.address) return undefined;
  const where = consoleUrl(c, elected.index, master.address, trusted);
  if ('error' in where) return where;
  return {
    url: where.url,
    facts: {
      master: master.memberId,
      slaves: snapshot.members.filter((x) => x.memberId && x.memberId !== master.memberId).map((x) => ({ memberId: x.memberId ?? '', pod: x.pod })),
      expectedSlaves: c.spec.replicas - 1,
    },
  };
}

interface GuardState extends SyncState {
  /** The check under way, if any. */
  probe?: Promise<void>;
  /** What the last check found, for the master it was made under. */
  last?: { master: string; verdict: SyncVerdict };
  /** No new check before this (ms since epoch): a slave downloading, a console not yet up. */
  notBefore: number;
  lastError?: string;
  repeats?: number;
}

export class ReplicationGuard {
  private readonly states = new Map<string, GuardState>();

  constructor(
    /** Hosts besides a master pod's own DNS name that may receive the admin login. */
    private readonly trustedHosts: ReadonlySet<string>,
    private readonly log: Logger,
    /** Queues a reconcile of the cluster when a check has finished. */
    private readonly enqueue: (namespace: string, name: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  private state(c: BrokerCluster): GuardState {
    const uid = c.metadata.uid ?? `${c.metadata.namespace}/${c.metadata.name}`;
    const s = this.states.get(uid) ?? { ...newSyncState(), notBefore: 0 };
    this.states.set(uid, s);
    return s;
  }

  /**
   * undefined while the operator has no view of the group (ZooKeeper not read);
   * otherwise whether every slave is in sync. Never waits on a broker: the
   * console is asked in the background and the cluster queued again when it
   * answered, so a master switch is never held up behind a slow console.
   * access: the cluster's admin login (and TLS); undefined while its Secret is not read.
   */
  check(c: BrokerCluster, snapshot: ElectionSnapshot | undefined, access: ConsoleAccess | undefined): SyncVerdict | undefined {
    const verdict = this.judge(c, snapshot, access);
    // Which slaves are proved, for each member's inSync in the status.
    return verdict && { ...verdict, covered: [...this.state(c).covered] };
  }

  private judge(c: BrokerCluster, snapshot: ElectionSnapshot | undefined, access: ConsoleAccess | undefined): SyncVerdict | undefined {
    if (snapshot && !snapshot.connected) {
      // Cut off from ZooKeeper, a master demotes itself and the slaves stop,
      // while their members may stay listed for a session timeout once the
      // quorum is back: nothing proved before the outage holds after it.
      this.state(c).recheck = true;
    }
    if (!snapshot?.connected || !snapshot.known) return undefined;
    const group = groupFacts(c, snapshot, this.trustedHosts);
    if (!group) return { inSync: false, reason: 'NoMaster', message: 'no elected master to check the slaves against' };
    if ('error' in group) return { inSync: false, reason: 'ConsoleAddressUntrusted', message: group.error, retryInMs: CONSOLE_RETRY_MS };
    if (!access)
      return { inSync: false, reason: 'NoCredentials', message: 'the admin login is not known yet (credentials Secret)', retryInMs: CONSOLE_RETRY_MS };
    if (c.spec.tls && !access.tls)
      return { inSync: false, reason: 'NoCredentials', message: 'the CA of the console is not known yet (spec.tls.secretName)', retryInMs: CONSOLE_RETRY_MS };
    const { facts, url } = group;
    const state = this.state(c);
    const judged = judgeGroup(state, facts);
    if (judged !== 'ask') return judged;
    const now = this.now();
    if (!state.probe && now >= state.notBefore) {
      const { namespace = '', name = '' } = c.metadata;
      state.probe = this.probe(c, state, facts, new MasterConsole(access.admin, url, c.spec.brokerName, access.tls?.ca)).finally(() => {
        state.probe = undefined;
        this.enqueue(namespace, name);
      });
    }
    const last = state.last?.master === facts.master ? state.last.verdict : undefined;
    const verdict: SyncVerdict =
      last && !last.inSync ? { ...last } : { inSync: false, reason: 'CheckpointPending', message: 'asking the master console about the slaves' };
    // A running check queues the cluster when it is done; otherwise look again when the next one may start.
    verdict.retryInMs = state.probe ? undefined : Math.max(50, state.notBefore - now);
    return verdict;
  }

  /** Reads the master's view, writes a checkpoint if one is due, and records what it found. */
  private async probe(c: BrokerCluster, state: GuardState, facts: GroupFacts, console: MasterConsole): Promise<void> {
    const log = this.log.child({ namespace: c.metadata.namespace, cluster: c.metadata.name });
    // A new master while the console answered: what it said is about the old one.
    const superseded = () => state.master !== facts.master;
    let verdict: SyncVerdict;
    try {
      const view = await console.replication();
      if (superseded()) return;
      let step = judgeView(state, facts, view, this.now());
      if ('write' in step) {
        const after = await console.checkpoint();
        metrics.checkpoints.inc({ result: 'ok' });
        if (superseded()) return;
        checkpointWritten(state, facts, after.position, this.now());
        log.info('replication checkpoint written', { master: facts.master, position: after.position });
        step = judgeView(state, facts, after, this.now());
      }
      verdict = 'write' in step ? { inSync: false, reason: 'CheckpointPending', message: 'a checkpoint is being written', retryInMs: 500 } : step.verdict;
      if (verdict.inSync) log.info('slaves in sync', { master: facts.master, message: verdict.message });
      state.lastError = undefined;
    } catch (err) {
      if (!(err instanceof JolokiaError)) {
        log.error('replication check failed', { error: err instanceof Error ? err.message : String(err) });
        verdict = { inSync: false, reason: 'ConsoleUnreachable', message: `cannot check the slaves: ${String(err)}`, retryInMs: CONSOLE_RETRY_MS };
      } else {
        metrics.checkpoints.inc({ result: 'error' });
        // A freshly promoted master opens its console a few seconds after its store: warn only when it lasts.
        state.repeats = state.lastError === err.message ? (state.repeats ?? 0) + 1 : 0;
        state.lastError = err.message;
        if (state.repeats === 1) log.warn('cannot check the slaves through the master console', { error: err.message });
        else log.debug('cannot check the slaves through the master console', { error: err.message });
        const reason = err.kind === 'refused' ? 'ConsoleRefused' : 'ConsoleUnreachable';
        verdict = { inSync: false, reason, message: `cannot check the slaves: ${err.message}`, retryInMs: CONSOLE_RETRY_MS };
      }
    }
    if (superseded()) return;
    state.last = { master: facts.master, verdict };
    state.notBefore = this.now() + (verdict.retryInMs ?? 0);
  }

  /** Prove the slaves in sync again with a new checkpoint, as before the master is restarted. */
  recheck(c: BrokerCluster): void {
    const state = this.state(c);
    if (state.recheck) return;
    state.recheck = true;
    state.notBefore = 0;
    this.enqueue(c.metadata.namespace ?? '', c.metadata.name ?? '');
  }

  /** The operator is restarting this pod: its members must leave the group before the slaves count as in sync. */
  restarted(c: BrokerCluster, snapshot: ElectionSnapshot | undefined, pod: string): void {
    const state = this.state(c);
    for (const m of snapshot?.members ?? []) if (m.pod === pod && m.memberId) state.retired.add(m.memberId);
  }

  forget(uid: string): void {
    this.states.delete(uid);
  }
}
