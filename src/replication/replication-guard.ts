// Keeps, per cluster, what the operator knows about its slaves being in sync
// with the master, and does the one write that brings a fresh slave there.
// The reconciler asks it before a rolling restart may take a broker down, and
// on every change of the group, so a slave that rejoins after a crash is
// brought in sync too, not only the ones the operator restarts.
import type { BrokerCluster } from '../api/types';
import { nodePorts } from '../api/cluster';
import { podIndex } from '../metadata/names';
import type { ElectionSnapshot } from '../controller/election-source';
import type { Logger } from '../observability/logger';
import { metrics } from '../observability/metrics';
import { JolokiaClient, JolokiaError, type ConsoleCredentials } from './jolokia';
import { MasterConsole } from './master-console';
import { checkpointWritten, judgeGroup, judgeView, newSyncState, type GroupFacts, type SyncState, type SyncVerdict } from './replica-sync';

export const CONSOLE_RETRY_MS = 5_000;

/** The console of the elected master: the host it registered in ZooKeeper, its node's console port. */
export function masterConsoleUrl(c: BrokerCluster, snapshot: ElectionSnapshot): string | undefined {
  const m = snapshot.members.find((x) => x.role === 'master' && x.pod === snapshot.master);
  const i = snapshot.master ? podIndex(snapshot.master) : undefined;
  if (!m?.address || i === undefined) return undefined;
  let host: string;
  try {
    host = new URL(m.address).hostname;
  } catch {
    return undefined;
  }
  return `http://${host}:${nodePorts(c, i).console}/api/jolokia/`;
}

function groupFacts(c: BrokerCluster, snapshot: ElectionSnapshot): GroupFacts | undefined {
  const master = snapshot.members.find((x) => x.role === 'master' && x.pod === snapshot.master);
  if (!master?.memberId) return undefined;
  return {
    master: master.memberId,
    slaves: snapshot.members.filter((x) => x.memberId && x.memberId !== master.memberId).map((x) => ({ memberId: x.memberId ?? '', pod: x.pod })),
    expectedSlaves: c.spec.replicas - 1,
  };
}

export class ReplicationGuard {
  private readonly states = new Map<string, SyncState & { lastError?: string; repeats?: number }>();
  private readonly jolokia: JolokiaClient;

  constructor(
    credentials: ConsoleCredentials,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.jolokia = new JolokiaClient(credentials);
  }

  private state(c: BrokerCluster) {
    const uid = c.metadata.uid ?? `${c.metadata.namespace}/${c.metadata.name}`;
    let s = this.states.get(uid);
    if (!s) this.states.set(uid, (s = newSyncState()));
    return s;
  }

  /**
   * undefined while the operator has no view of the group (ZooKeeper not read);
   * otherwise whether every slave is in sync, after at most one checkpoint write.
   */
  async check(c: BrokerCluster, snapshot: ElectionSnapshot | undefined): Promise<SyncVerdict | undefined> {
    if (!snapshot?.connected || !snapshot.known) return undefined;
    const facts = snapshot.master ? groupFacts(c, snapshot) : undefined;
    const url = snapshot.master ? masterConsoleUrl(c, snapshot) : undefined;
    if (!facts || !url) return { inSync: false, reason: 'NoMaster', message: 'no elected master to check the slaves against' };
    const state = this.state(c);
    const judged = judgeGroup(state, facts);
    if (judged !== 'ask') return judged;
    const console = new MasterConsole(this.jolokia, url, c.spec.brokerName);
    const log = this.log.child({ namespace: c.metadata.namespace, cluster: c.metadata.name });
    try {
      let step = judgeView(state, facts, await console.replication(), this.now());
      if ('write' in step) {
        const view = await console.checkpoint();
        metrics.checkpoints.inc({ result: 'ok' });
        checkpointWritten(state, facts, view.position, this.now());
        log.info('replication checkpoint written', { master: snapshot.master, position: view.position });
        step = judgeView(state, facts, view, this.now());
      }
      state.lastError = undefined;
      if ('write' in step) return { inSync: false, reason: 'CheckpointPending', message: 'a checkpoint is being written', retryInMs: 500 };
      if (step.verdict.inSync) log.info('slaves in sync', { master: snapshot.master, message: step.verdict.message });
      return step.verdict;
    } catch (err) {
      if (!(err instanceof JolokiaError)) throw err;
      metrics.checkpoints.inc({ result: 'error' });
      // A freshly promoted master opens its console a few seconds after its store: warn only when it lasts.
      state.repeats = state.lastError === err.message ? (state.repeats ?? 0) + 1 : 0;
      state.lastError = err.message;
      if (state.repeats === 1) log.warn('cannot check the slaves through the master console', { error: err.message });
      else log.debug('cannot check the slaves through the master console', { error: err.message });
      const reason = err.kind === 'refused' ? 'ConsoleRefused' : 'ConsoleUnreachable';
      return { inSync: false, reason, message: `cannot check the slaves: ${err.message}`, retryInMs: CONSOLE_RETRY_MS };
    }
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
