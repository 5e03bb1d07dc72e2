// BrokersReady: every broker pod is Ready.
import type { ConditionValue } from './conditions';

export function brokersReady(ready: number, replicas: number): ConditionValue {
  const message = `${ready}/${replicas} broker pods ready`;
  return ready === replicas ? { status: 'True', reason: 'AllPodsReady', message } : { status: 'False', reason: 'NotAllPodsReady', message };
}
