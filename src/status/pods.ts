// Facts about live pods that conditions and the roller need.
import type { V1Pod } from '@kubernetes/client-node';

export function isPodReady(p: V1Pod | undefined): boolean {
  return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && !p.metadata?.deletionTimestamp;
}

export function countReady(pods: readonly (V1Pod | undefined)[]): number {
  return pods.filter(isPodReady).length;
}
