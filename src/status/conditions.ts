// Kubernetes-style conditions: lastTransitionTime changes only when the
// status flips, so an unchanged cluster produces an unchanged status.
import type { Condition } from '../api/types';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ConditionValue {
  status: ConditionStatus;
  reason: string;
  message: string;
}

export const ConditionType = {
  Ready: 'Ready',
  ZooKeeperReady: 'ZooKeeperReady',
  BrokersReady: 'BrokersReady',
  MasterElected: 'MasterElected',
  ReplicasInSync: 'ReplicasInSync',
  Warning: 'Warning',
  Reconciled: 'Reconciled',
  ReconcilePaused: 'ReconcilePaused',
  NodeLost: 'NodeLost',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** The new condition of this type, keeping the old transition time when the status did not change. */
export function nextCondition(
  type: ConditionType,
  value: ConditionValue,
  old: readonly Condition[] | undefined,
  generation: number | undefined,
  now: Date,
): Condition {
  const prev = old?.find((c) => c.type === type);
  const lastTransitionTime = prev && prev.status === value.status && prev.lastTransitionTime ? prev.lastTransitionTime : now.toISOString();
  const c: Condition = { type, status: value.status, reason: value.reason, message: value.message, lastTransitionTime };
  if (generation !== undefined) c.observedGeneration = generation;
  return c;
}
