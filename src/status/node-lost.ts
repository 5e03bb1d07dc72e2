// NodeLost: pods whose node stopped reporting, and what the operator does about each.
import type { BrokerClusterStatus } from '../api/types';
import type { ConditionValue } from './conditions';

export function nodeLost(lost: NonNullable<BrokerClusterStatus['lostPods']>): ConditionValue {
  if (lost.length === 0) return { status: 'False', reason: 'NoLostNodes', message: 'every pod is on a node that reports Ready, or on none yet' };
  const waiting = lost.filter((p) => p.action === 'Waiting');
  return {
    status: 'True',
    reason: waiting.length > 0 ? 'LostPodsWaiting' : 'LostPodsReplaced',
    message: lost.map((p) => `${p.pod} on ${p.node}: ${p.message ?? ''}`).join('; '),
  };
}
