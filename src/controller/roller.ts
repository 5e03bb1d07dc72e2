// Which pod to restart next, if any. Restarts are one at a time: pods that are
// missing or not ready first (they serve nobody), then ready slaves, and the
// elected master last, and a ready pod only while every other pod is ready, so
// that the replication quorum and the ZooKeeper quorum always hold. A ready
// broker is restarted only once every slave is in sync with the master (the
// gate): a started container says nothing about a slave having caught up.

export interface PodView {
  name: string;
  ready: boolean;
  /** Being deleted already. */
  terminating: boolean;
  /** Its revision differs from the desired one. */
  outdated: boolean;
}

export type RollDecision = { action: 'none' } | { action: 'wait'; reason: string } | { action: 'restart'; pod: string; reason: string };

/** Whether taking a serving pod down is safe now; undefined: no such check (pod readiness only). */
export interface RollGate {
  open: boolean;
  reason: string;
}

export function nextRestart(pods: readonly PodView[], master: string | undefined, gate?: RollGate): RollDecision {
  const outdated = pods.filter((p) => p.outdated);
  if (outdated.length === 0) return { action: 'none' };
  const terminating = pods.find((p) => p.terminating);
  if (terminating) return { action: 'wait', reason: `${terminating.name} is terminating` };
  const unready = outdated.find((p) => !p.ready);
  if (unready) return { action: 'restart', pod: unready.name, reason: 'not ready' };
  const othersUnready = pods.filter((p) => !p.ready);
  if (othersUnready.length > 0) {
    return { action: 'wait', reason: `${othersUnready.map((p) => p.name).join(', ')} not ready` };
  }
  if (gate && !gate.open) return { action: 'wait', reason: gate.reason };
  const slave = outdated.find((p) => p.name !== master);
  if (slave) return { action: 'restart', pod: slave.name, reason: 'slave first' };
  return { action: 'restart', pod: outdated[0]!.name, reason: 'master last' };
}
