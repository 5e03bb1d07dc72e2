// Facts about live pods that conditions and the roller need.
import type { V1Pod } from '@kubernetes/client-node';

export function isPodReady(p: V1Pod | undefined): boolean {
  return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && !p.metadata?.deletionTimestamp;
}

export function countReady(pods: readonly (V1Pod | undefined)[]): number {
  return pods.filter(isPodReady).length;
}

/** How long a pod has not been Ready: since its Ready condition last changed, else since its creation; undefined when Ready or unknown. */
export function unreadyForMs(pod: V1Pod | undefined, now: Date): number | undefined {
  if (!pod || isPodReady(pod)) return undefined;
  const since = pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? pod.metadata?.creationTimestamp;
  return since === undefined ? undefined : now.getTime() - new Date(since).getTime();
}
