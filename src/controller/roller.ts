// Which pod to restart next, if any. Restarts are one at a time: pods that are
// missing or not ready first (they serve nobody), then ready slaves, and the
// elected master last, and a ready pod only while every other pod is ready, so
// that the replication quorum and the ZooKeeper quorum always hold.

export interface PodView {
  name: string;
  ready: boolean;
  /** Being deleted already. */
  terminating: boolean;
  /** Its revision differs from the desired one. */
  outdated: boolean;
}

export type RollDecision =
  | { action: 'none' }
  | { action: 'wait'; reason: string }
  | { action: 'restart'; pod: string; reason: string };

export function nextRestart(pods: readonly PodView[], master: string | undefined): RollDecision {
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
  const slave = outdated.find((p) => p.name !== master);
  if (slave) return { action: 'restart', pod: slave.name, reason: 'slave first' };
  return { action: 'restart', pod: outdated[0]!.name, reason: 'master last' };
}
