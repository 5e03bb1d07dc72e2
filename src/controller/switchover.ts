// A planned switchover, asked for with the amqkeeper.io/switchover annotation
// ("any", or the pod name of the slave wanted): the master is restarted once
// every slave is proved in sync just now, and the election moves mastership to
// one of them. Decided from the annotation and status.switchover alone, so an
// operator restart neither repeats nor forgets it. Replicated LevelDB elects
// the slave with the highest position (then weight): with every slave in sync
// a named slave is likely, not certain, to win; the Event names the winner.
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import { ANNOTATION_SWITCHOVER } from '../metadata/labels';
import type { ElectionSnapshot } from '../model/election';
import type { SyncVerdict } from '../replication/replica-sync';

export type SwitchoverStatus = NonNullable<BrokerClusterStatus['switchover']>;

/** How long a switchover waits for the slaves to be in sync before it is refused. */
export const SWITCHOVER_WAIT_MS = 60_000;

export interface SwitchoverInput {
  cluster: BrokerCluster;
  election?: ElectionSnapshot;
  sync?: SyncVerdict;
  /** Every slave acknowledged a checkpoint just now (as for a master restart in a roll). */
  freshlyInSync: boolean;
  /** Nothing else is restarting or due to restart. */
  idle: boolean;
  /** The last master change as this reconcile computed it. */
  lastFailover?: BrokerClusterStatus['lastFailover'];
  now: Date;
}

export interface SwitchoverStep {
  /** status.switchover from now on; undefined: unchanged. */
  status?: SwitchoverStatus;
  /** Restart this pod (the master) now. */
  restart?: string;
  /** Prove the slaves in sync again first. */
  recheck?: boolean;
  event?: { type: 'Normal' | 'Warning'; reason: 'SwitchoverStarted' | 'SwitchedOver' | 'SwitchoverRefused'; note: string };
}

const ANY = new Set(['any', 'true', '']);

/**
 * The slave a request names, or undefined for any slave. A value may end in
 * "@<anything>" (no pod name holds an "@"), so the same request can be made
 * again with a new value, as each new value is a new request: "any@<time>".
 */
export function switchoverTarget(request: string): string | undefined {
  const at = request.indexOf('@');
  const target = at < 0 ? request : request.slice(0, at);
  return ANY.has(target) ? undefined : target;
}

export function planSwitchover(i: SwitchoverInput): SwitchoverStep {
  const request = i.cluster.metadata.annotations?.[ANNOTATION_SWITCHOVER];
  const last = i.cluster.status?.switchover;
  if (request === undefined) return {};
  const master = i.election?.known && i.election.connected ? i.election.master?.pod : undefined;
  if (last?.request === request) {
    if (last.state !== 'InProgress' && last.state !== 'Waiting') return {};
    if (last.state === 'InProgress') {
      if (!master || master === last.from) return {};
      const interruptionMs = i.lastFailover?.from === last.from && i.lastFailover?.to === master ? i.lastFailover?.durationMs : undefined;
      const status: SwitchoverStatus = { ...last, state: 'Done', to: master, message: `${last.from} -> ${master}` };
      if (interruptionMs !== undefined) status.interruptionMs = interruptionMs;
      const took = interruptionMs === undefined ? '' : `; no master for ${interruptionMs} ms`;
      return { status, event: { type: 'Normal', reason: 'SwitchedOver', note: `the master moved from ${last.from} to ${master}${took}` } };
    }
  }
  const since = last?.request === request && last.at ? last.at : i.now.toISOString();
  const waiting = (message: string): SwitchoverStep => ({ status: { request, state: 'Waiting', at: since, message } });
  const refused = (message: string): SwitchoverStep => ({
    status: { request, state: 'Refused', at: i.now.toISOString(), message },
    event: { type: 'Warning', reason: 'SwitchoverRefused', note: `switchover ${request} refused: ${message}` },
  });
  if (!master) return waiting('no master is elected (or ZooKeeper is not read yet)');
  const slaves = (i.election?.members ?? []).filter((m) => m.role === 'slave' && m.pod).map((m) => m.pod ?? '');
  const target = switchoverTarget(request);
  if (target !== undefined) {
    if (target === master)
      return { status: { request, state: 'Done', at: i.now.toISOString(), from: master, to: master, message: `${master} is the master already` } };
    if (!slaves.includes(target)) return refused(`${target} is not a slave of this cluster (slaves: ${slaves.join(', ') || 'none'})`);
  }
  if (slaves.length === 0) return refused('no slave is in the replication group, so none could take over');
  const waited = i.now.getTime() - new Date(since).getTime();
  if (!i.sync?.inSync) {
    const why = i.sync ? i.sync.message : 'the slaves have not been checked yet';
    return waited >= SWITCHOVER_WAIT_MS
      ? refused(`the slaves are not in sync after ${Math.round(waited / 1000)} s: ${why}`)
      : waiting(`slaves not in sync: ${why}`);
  }
  if (!i.idle) return waiting('a roll is under way');
  if (!i.freshlyInSync) return { ...waiting('checking the slaves again'), recheck: true };
  return {
    status: { request, state: 'InProgress', at: i.now.toISOString(), from: master, message: `restarting ${master}` },
    restart: master,
    event: { type: 'Normal', reason: 'SwitchoverStarted', note: `switchover ${request}: restarting the master ${master}; every slave is in sync` },
  };
}
