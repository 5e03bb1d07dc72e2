// The writes that bring a cluster's owned objects to the desired state, and
// which pod the roll restarts next: pure functions of the desired state and
// the live objects in the caches.
import type { KubernetesObject, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { DesiredState } from '../resources/desired-state';
import { ANNOTATION_REVISION, LABEL_ROLE } from '../metadata/labels';
import { needsApply } from '../kube/apply';
import { isPodReady } from '../status/pods';
import type { LiveLookup } from './observe';
import { nextRestart, type RollDecision, type RollGate } from './roller';

export type Write =
  /** Server-side apply (creates or updates). */
  | { verb: 'apply'; object: KubernetesObject }
  /** Merge patch of the fields given: pod labels and claim owners, which cannot be re-applied. */
  | { verb: 'patch'; object: KubernetesObject }
  | { verb: 'delete'; object: KubernetesObject };

const nameOf = (o: KubernetesObject) => o.metadata?.name ?? '';

function sameOwners(a: KubernetesObject, b: KubernetesObject): boolean {
  const uids = (o: KubernetesObject) =>
    (o.metadata?.ownerReferences ?? [])
      .map((r) => r.uid)
      .sort()
      .join(',');
  return uids(a) === uids(b);
}

function claimWrite(claim: V1PersistentVolumeClaim, live: LiveLookup): Write | undefined {
  const have = live<V1PersistentVolumeClaim>('PersistentVolumeClaim', nameOf(claim));
  if (!have) return { verb: 'apply', object: claim };
  // A claim's spec is immutable; only who owns it (deleteClaim) may change.
  if (sameOwners(claim, have)) return undefined;
  const { name, namespace, ownerReferences = [] } = claim.metadata ?? {};
  return { verb: 'patch', object: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace, ownerReferences } } };
}

function podWrite(pod: V1Pod, live: LiveLookup): Write | undefined {
  const have = live<V1Pod>('Pod', nameOf(pod));
  if (!have) return { verb: 'apply', object: pod };
  if (have.metadata?.deletionTimestamp) return undefined;
  const want = pod.metadata?.labels ?? {};
  const labels = have.metadata?.labels ?? {};
  const changed = Object.entries(want).some(([k, v]) => labels[k] !== v) || (LABEL_ROLE in labels && !(LABEL_ROLE in want));
  if (!changed) return undefined;
  // Labels only: a running pod's spec cannot be re-applied. null removes a stale role.
  const patch: Record<string, string | null> = { ...want };
  if (!(LABEL_ROLE in want)) patch[LABEL_ROLE] = null;
  const { name, namespace } = pod.metadata ?? {};
  return { verb: 'patch', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: patch as Record<string, string> } } };
}

/** Everything but the master Service and restarts, in apply order, only what differs. */
export function childWrites(desired: DesiredState, live: LiveLookup): Write[] {
  const writes: (Write | undefined)[] = [
    ...desired.applied.map((o): Write | undefined => (needsApply(o, live(o.kind ?? '', nameOf(o))) ? { verb: 'apply', object: o } : undefined)),
    ...desired.claims.map((claim) => claimWrite(claim, live)),
    ...[...desired.zkPods, ...desired.brokerPods].map((pod) => podWrite(pod, live)),
  ];
  return writes.filter((w): w is Write => w !== undefined);
}

function rollOf(pods: readonly V1Pod[], live: LiveLookup, master: string | undefined, gate?: RollGate): RollDecision {
  const views = pods.map((p) => {
    const have = live<V1Pod>('Pod', nameOf(p));
    return {
      name: nameOf(p),
      ready: isPodReady(have),
      terminating: Boolean(have?.metadata?.deletionTimestamp),
      outdated: have !== undefined && have.metadata?.annotations?.[ANNOTATION_REVISION] !== p.metadata?.annotations?.[ANNOTATION_REVISION],
    };
  });
  return nextRestart(views, master, gate);
}

/** gate: whether a serving broker may be taken down now (ZooKeeper pods roll on readiness alone). */
export function nextRoll(desired: DesiredState, live: LiveLookup, master: string | undefined, gate?: RollGate): RollDecision {
  // ZooKeeper first: brokers restarted while the ensemble rolls would lose their sessions twice.
  const zk = rollOf(desired.zkPods, live, undefined);
  return zk.action === 'none' ? rollOf(desired.brokerPods, live, master, gate) : zk;
}
