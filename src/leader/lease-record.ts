// What a candidate does with the Lease it just read: wait for the holder, or
// write itself in (take over, or renew). Pure, so the rules are unit-tested.
//
// Expiry is judged by this process's own clock from the moment it first saw
// the current record, never by comparing renewTime with the local clock: the
// holder's clock may be skewed, but "unchanged for leaseDuration" is not.

/** spec of a coordination.k8s.io/v1 Lease. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with exactly six fractional digits. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: LeaseSpec;
}

export interface ElectionTiming {
  /** How long a lease that is not renewed keeps others out. Whole seconds. */
  leaseDurationMs: number;
  /** The leader gives up if it could not renew for this long; < leaseDurationMs. */
  renewDeadlineMs: number;
  /** Between attempts to acquire or renew. */
  retryPeriodMs: number;
}

/** Which Lease a candidate campaigns for, as whom, and with what timing. */
export interface LeaderElectionSettings extends ElectionTiming {
  namespace: string;
  name: string;
  /** Unique per process: the pod name, else host name and a random suffix. */
  identity: string;
}

/** The record this candidate last saw, and when by its monotonic clock. */
export interface Observation {
  record: string;
  atMs: number;
}

export type Decision = { kind: 'wait'; holder: string; expiresInMs: number } | { kind: 'write'; spec: LeaseSpec };

/** holderIdentity of a Lease nobody holds. */
export const NO_HOLDER = '';

/** A change of any field restarts the expiry clock, as a renewal does. */
export function recordOf(spec: LeaseSpec | undefined): string {
  const s = spec ?? {};
  return JSON.stringify([s.holderIdentity ?? NO_HOLDER, s.leaseDurationSeconds, s.acquireTime, s.renewTime, s.leaseTransitions]);
}

/** Date as a Kubernetes MicroTime (the API server refuses three digits). */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function decide(spec: LeaseSpec | undefined, seen: Observation, nowMs: number, wallNow: Date, identity: string, timing: ElectionTiming): Decision {
  const holder = spec?.holderIdentity ?? NO_HOLDER;
  if (holder !== NO_HOLDER && holder !== identity) {
    const durationMs = (spec?.leaseDurationSeconds ?? timing.leaseDurationMs / 1000) * 1000;
    const expiresInMs = seen.atMs + durationMs - nowMs;
    if (expiresInMs > 0) return { kind: 'wait', holder, expiresInMs };
  }
  const now = microTime(wallNow);
  const renewing = holder === identity;
  return {
    kind: 'write',
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: Math.round(timing.leaseDurationMs / 1000),
      acquireTime: renewing ? (spec?.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: (spec?.leaseTransitions ?? 0) + (renewing || spec === undefined ? 0 : 1),
    },
  };
}
