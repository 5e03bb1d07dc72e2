// A short, stable hash of what a pod runs. A pod whose annotation differs from
// the desired one must be restarted (by the roller), because a pod's spec
// cannot be changed in place.
import { createHash } from 'node:crypto';

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, stable((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function revisionOf(...parts: unknown[]): string {
  return createHash('sha256')
    .update(JSON.stringify(stable(parts)))
    .digest('hex')
    .slice(0, 16);
}

/**
 * A manual restart asked for with an annotation on the BrokerCluster (its
 * value, copied onto the pod): part of the revision only when set, so pods
 * made before it existed keep theirs.
 */
export function restartRequest(annotations: Record<string, string> | undefined, key: string): { annotations: Record<string, string>; parts: unknown[] } {
  const value = annotations?.[key];
  return value === undefined ? { annotations: {}, parts: [] } : { annotations: { [key]: value }, parts: [{ restart: value }] };
}
