// BrokersReady: every broker pod is Ready; says so while nodes leave.
import type { ConditionValue } from './conditions';

/** leaving: pods of nodes beyond spec.replicas, still running while a scale-down is under way. */
export function brokersReady(ready: number, replicas: number, leaving: readonly string[] = []): ConditionValue {
  const message = `${ready}/${replicas} broker pods ready${leaving.length > 0 ? `; leaving: ${leaving.join(', ')}` : ''}`;
  if (ready !== replicas) return { status: 'False', reason: 'NotAllPodsReady', message };
  return { status: 'True', reason: leaving.length > 0 ? 'ScalingDown' : 'AllPodsReady', message };
}
