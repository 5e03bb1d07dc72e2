// Which pod to take down next, if any: one at a time, a restart to run a new
// revision or the removal of a node beyond spec.replicas. Pods that are
// missing or not ready go first (they serve nobody), then ready slaves, and
// the elected master last, and a ready pod only while every other pod is
// ready, so that the replication quorum and the ZooKeeper quorum always hold.
// A ready broker goes only once every slave is in sync with the master (the
// gate): a started container says nothing about a slave having caught up.
// Leaving nodes go only after the others run the new revision, whose quorum
// counts without them; the master among them last, which is its failover.
// "Not ready" means so for a while: brokers re-attaching after an election or
// a ZooKeeper restart are unready for seconds, and restarting one then takes
// a slave from a master that waits for one to start.

export interface PodView {
  name: string;
  ready: boolean;
  /** Being deleted already. */
  terminating: boolean;
  /** Its revision differs from the desired one. */
  outdated: boolean;
  /** Its node is beyond spec.replicas: removed, not restarted. */
  leaving?: boolean;
  /** How long it has not been ready; undefined: long enough. */
  unreadyMs?: number;
}

/** How long a pod must have been unready to count as serving nobody. */
export const UNREADY_SETTLE_MS = 30_000;

const settledUnready = (p: PodView): boolean => !p.ready && (p.unreadyMs ?? UNREADY_SETTLE_MS) >= UNREADY_SETTLE_MS;

export type RollDecision =
  | { action: 'none' }
  | { action: 'wait'; reason: string }
  | { action: 'restart'; pod: string; reason: string }
  | { action: 'remove'; pod: string; reason: string };

/** Whether taking a serving pod down is safe now; undefined: no such check (pod readiness only). */
export interface RollGate {
  open: boolean;
  reason: string;
  /** Closed for pods that serve nobody too: readiness itself cannot be trusted (every broker looks unready without ZooKeeper). */
  strict?: boolean;
}

/** Slaves first, the master last. */
function masterLast(pods: readonly PodView[], master: string | undefined): PodView | undefined {
  return pods.find((p) => p.name !== master) ?? pods[0];
}

/** How a restart's reason names the two roles: brokers' slaves and master, ZooKeeper's followers and leader. */
export const BROKER_ORDER = { first: 'slave first', last: 'master last' };
export const ZOOKEEPER_ORDER = { first: 'follower first', last: 'leader last' };

/** master: the broker master or the ZooKeeper leader, which goes last. */
export function nextRestart(pods: readonly PodView[], master: string | undefined, gate?: RollGate, order = BROKER_ORDER): RollDecision {
  const outdated = pods.filter((p) => p.outdated && !p.leaving);
  const leaving = pods.filter((p) => p.leaving);
  if (outdated.length === 0 && leaving.length === 0) return { action: 'none' };
  if (gate?.strict && !gate.open) return { action: 'wait', reason: gate.reason };
  const terminating = pods.find((p) => p.terminating);
  if (terminating) return { action: 'wait', reason: `${terminating.name} is terminating` };
  // The master goes last even when unready: it may be starting, waiting for a slave.
  const unready = outdated.find((p) => settledUnready(p) && p.name !== master);
  if (unready) return { action: 'restart', pod: unready.name, reason: 'not ready' };
  const othersUnready = pods.filter((p) => !p.ready);
  // A leaving slave that serves nobody goes at once, once the others run the new revision; a leaving master never without the gate.
  const idle = othersUnready.find((p) => p.leaving && p.name !== master);
  if (idle && outdated.length === 0) return { action: 'remove', pod: idle.name, reason: 'leaving, not ready' };
  if (othersUnready.length > 0) {
    return { action: 'wait', reason: `${othersUnready.map((p) => p.name).join(', ')} not ready` };
  }
  if (gate && !gate.open) return { action: 'wait', reason: gate.reason };
  const next = masterLast(outdated, master);
  if (next) return { action: 'restart', pod: next.name, reason: next.name === master ? order.last : order.first };
  const gone = masterLast(leaving, master)!;
  return { action: 'remove', pod: gone.name, reason: gone.name === master ? 'leaving, the master last' : 'leaving, slaves first' };
}
