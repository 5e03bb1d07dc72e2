// MasterElected: ZooKeeper names an elected member that maps to a pod.
import type { ConditionValue } from './conditions';

export interface ElectionView {
  known: boolean;
  master?: string;
  members: number;
  quorum: number;
  problem?: string;
}

export function masterElected(e: ElectionView): ConditionValue {
  if (!e.known) return { status: 'Unknown', reason: 'NotObserved', message: 'the ZooKeeper group has not been read yet' };
  if (e.master) return { status: 'True', reason: 'Elected', message: `${e.master} is master (${e.members} members in ZooKeeper)` };
  const why = e.problem ?? `${e.members} of ${e.quorum} members needed for an election are registered in ZooKeeper`;
  return { status: 'False', reason: 'NoMaster', message: `no master elected: ${why}` };
}
