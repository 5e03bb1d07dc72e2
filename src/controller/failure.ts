// What a failed reconcile leaves for a person: Reconciled=False with the error
// on the status, and a Warning Event, recorded again only when the error
// changes or after a quiet period, so a retry loop does not flood Events.
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import { Reason } from '../kube/events';
import { withFailedReconcile } from '../status/reconciled';
import type { ClusterMemory } from './cluster-memory';
import type { PlannedEvent } from './plan';

/** The same error is recorded as an Event at most this often. */
export const FAILURE_EVENT_EVERY_MS = 10 * 60_000;

export interface FailurePlan {
  status: BrokerClusterStatus;
  event?: PlannedEvent;
  failure: NonNullable<ClusterMemory['failure']>;
}

export function planFailure(c: BrokerCluster, memory: ClusterMemory, message: string, now: Date): FailurePlan {
  const last = memory.failure;
  const repeat = last !== undefined && last.message === message && now.getTime() - last.at < FAILURE_EVENT_EVERY_MS;
  return {
    status: withFailedReconcile(c, c.status, message, now),
    event: repeat ? undefined : { type: 'Warning', reason: Reason.ReconcileFailed, action: 'Reconcile', note: message },
    failure: repeat ? last : { message, at: now.getTime() },
  };
}
