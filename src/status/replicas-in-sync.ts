// ReplicasInSync: every slave acknowledged a write made after it attached to
// the current master, so any of them can take over without losing a message.
import type { SyncVerdict } from '../replication/replica-sync';
import type { ConditionValue } from './conditions';

export function replicasInSync(v: SyncVerdict | undefined): ConditionValue {
  if (!v) return { status: 'Unknown', reason: 'NotObserved', message: 'checked through the elected master while ZooKeeper can be read' };
  return { status: v.inSync ? 'True' : 'False', reason: v.reason, message: v.message };
}
