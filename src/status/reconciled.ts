// Reconciled: whether the last reconcile ran to its end. A failure is written
// on top of the status last computed, so the other conditions keep saying
// what was last known.
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import { ConditionType, nextCondition, type ConditionValue } from './conditions';

export const RECONCILED: ConditionValue = { status: 'True', reason: 'ReconcileSucceeded', message: 'the last reconcile applied the spec' };

export function reconcileFailed(message: string): ConditionValue {
  return { status: 'False', reason: 'ReconcileFailed', message };
}

/** The status with Reconciled=False for this error; everything else as it was. */
export function withFailedReconcile(c: BrokerCluster, status: BrokerClusterStatus | undefined, message: string, now: Date): BrokerClusterStatus {
  const old = status ?? {};
  const failed = nextCondition(ConditionType.Reconciled, reconcileFailed(message), old.conditions, c.metadata.generation, now);
  return { ...old, conditions: [...(old.conditions ?? []).filter((x) => x.type !== ConditionType.Reconciled), failed] };
}

/** ReconcilePaused: a person stopped the operator's writes for this cluster. */
export function reconcilePaused(paused: boolean): ConditionValue {
  return paused
    ? {
        status: 'True',
        reason: 'Paused',
        message: 'amqkeeper.io/pause-reconcile is "true": nothing is written but the master Service, which keeps following the elected master',
      }
    : { status: 'False', reason: 'Resumed', message: 'amqkeeper.io/pause-reconcile is not "true"' };
}
