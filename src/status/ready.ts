// Ready: the spec could be applied and ZooKeeper, the brokers and a master are all there.
import type { ConditionValue } from './conditions';

const NOT_READY_REASON = { ZooKeeperReady: 'ZooKeeperNotReady', BrokersReady: 'BrokersNotReady', MasterElected: 'NoMasterElected' } as const;

export function ready(blocked: boolean, parts: Record<'ZooKeeperReady' | 'BrokersReady' | 'MasterElected', ConditionValue>): ConditionValue {
  if (blocked) return { status: 'False', reason: 'SpecNotApplied', message: 'the spec cannot run as it is; see the Warning condition' };
  const notTrue = Object.entries(parts).filter(([, v]) => v.status !== 'True');
  if (notTrue.length === 0) return { status: 'True', reason: 'ClusterReady', message: 'a master serves and every node is ready' };
  return {
    status: 'False',
    reason: NOT_READY_REASON[notTrue[0]![0] as keyof typeof NOT_READY_REASON],
    message: notTrue.map(([k, v]) => `${k}: ${v.message}`).join('; '),
  };
}
