// The writes that bring a cluster's owned objects to the desired state, and
// which pod the roll restarts next: pure functions of the desired state and
// the live objects in the caches.
import type { KubernetesObject, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { DesiredState } from '../resources/desired-state';
import { isLarger } from '../api/quantity';
import { ANNOTATION_REVISION, LABEL_ROLE } from '../metadata/labels';
import { needsApply } from '../kube/apply';
import { isPodReady, unreadyForMs } from '../status/pods';
import type { LiveLookup } from './observe';
import { BROKER_ORDER, nextRestart, type RollDecision, type RollGate, ZOOKEEPER_ORDER } from './roller';

export type Write =
  /** Server-side apply (creates or updates). */
  | { verb: 'apply'; object: KubernetesObject }
  /** Merge patch of the fields given: pod labels, claim owners and storage requests, which cannot be re-applied. */
  | { verb: 'patch'; object: KubernetesObject }
  /** force: no grace period (a pod on a lost node, whose kubelet never confirms a stop). */
  | { verb: 'delete'; object: KubernetesObject; force?: boolean };

const nameOf = (o: KubernetesObject) => o.metadata?.name ?? '';

function sameOwners(a: KubernetesObject, b: KubernetesObject): boolean {
  const uids = (o: KubernetesObject) =>
    (o.metadata?.ownerReferences ?? [])
      .map((r) => r.uid)
      .sort()
      .join(',');
  return uids(a) === uids(b);
}

const storageOf = (claim: V1PersistentVolumeClaim) => claim.spec?.resources?.requests?.storage;

/**
 * A claim's spec is immutable but for its storage request, which is raised
 * only when it may be expanded (canGrow: its class allows it, seen by
 * observe) and never lowered; who owns it (deleteClaim) may change too.
 */
function claimWrite(claim: V1PersistentVolumeClaim, live: LiveLookup, canGrow: boolean): Write | undefined {
  const have = live<V1PersistentVolumeClaim>('PersistentVolumeClaim', nameOf(claim));
  if (!have) return { verb: 'apply', object: claim };
  const storage = storageOf(claim);
  const grow = canGrow && isLarger(storage, storageOf(have));
  const owners = !sameOwners(claim, have);
  if (!grow && !owners) return undefined;
  const { name, namespace, ownerReferences = [] } = claim.metadata ?? {};
  const patch: V1PersistentVolumeClaim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace } };
  if (owners && patch.metadata) patch.metadata.ownerReferences = ownerReferences;
  if (grow) patch.spec = { resources: { requests: { storage: storage ?? '' } } };
  return { verb: 'patch', object: patch };
}

/** create: whether a missing pod is created (not for a leaving node). */
function podWrite(pod: V1Pod, live: LiveLookup, create = true): Write | undefined {
  const have = live<V1Pod>('Pod', nameOf(pod));
  if (!have) return create ? { verb: 'apply', object: pod } : undefined;
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

/** A removed node's object, deleted if it still exists and is the cluster's: the instance seen, by its uid. */
function leftoverWrite(o: KubernetesObject, live: LiveLookup): Write | undefined {
  const have = live(o.kind ?? '', nameOf(o));
  const owner = o.metadata?.ownerReferences?.[0]?.uid;
  const uid = have?.metadata?.uid;
  if (!uid || !owner || !have.metadata?.ownerReferences?.some((r) => r.uid === owner)) return undefined;
  const { name, namespace } = o.metadata ?? {};
  return { verb: 'delete', object: { apiVersion: o.apiVersion, kind: o.kind, metadata: { name, namespace, uid } } };
}

/** Everything but the master Service and restarts, in apply order, only what differs. expandable: claims that may grow. */
export function childWrites(desired: DesiredState, live: LiveLookup, expandable: ReadonlySet<string> = new Set()): Write[] {
  const writes: (Write | undefined)[] = [
    // Claims first: a larger size changes the store limits in the configuration, which must not outgrow the disks.
    ...desired.claims.map((claim) => claimWrite(claim, live, expandable.has(nameOf(claim)))),
    ...desired.applied.map((o): Write | undefined => (needsApply(o, live(o.kind ?? '', nameOf(o))) ? { verb: 'apply', object: o } : undefined)),
    ...[...desired.zkPods, ...desired.brokerPods].map((pod) => podWrite(pod, live)),
    ...desired.leavingPods.map((pod) => podWrite(pod, live, false)),
    ...desired.leftovers.map((o) => leftoverWrite(o, live)),
  ];
  return writes.filter((w): w is Write => w !== undefined);
}

function rollOf(
  pods: readonly V1Pod[],
  live: LiveLookup,
  now: Date,
  master: string | undefined,
  gate?: RollGate,
  leaving: readonly V1Pod[] = [],
  order = BROKER_ORDER,
): RollDecision {
  const views = [...pods, ...leaving].map((p) => {
    const have = live<V1Pod>('Pod', nameOf(p));
    return {
      name: nameOf(p),
      ready: isPodReady(have),
      terminating: Boolean(have?.metadata?.deletionTimestamp),
      outdated: have !== undefined && have.metadata?.annotations?.[ANNOTATION_REVISION] !== p.metadata?.annotations?.[ANNOTATION_REVISION],
      leaving: leaving.includes(p),
      unreadyMs: unreadyForMs(have, now),
    };
  });
  return nextRestart(views, master, gate, order);
}

/** Who goes last in a roll, and whether a serving pod may be taken down now. */
export interface RollGuard {
  master?: string;
  gate?: RollGate;
}

/** brokers: the master and the replication gate; zookeeper: the leader and whether it is known. */
export function nextRoll(desired: DesiredState, live: LiveLookup, now: Date, brokers: RollGuard, zookeeper: RollGuard = {}): RollDecision {
  // ZooKeeper first: brokers restarted while the ensemble rolls would lose their sessions twice.
  const zk = rollOf(desired.zkPods, live, now, zookeeper.master, zookeeper.gate, [], ZOOKEEPER_ORDER);
  return zk.action === 'none' ? rollOf(desired.brokerPods, live, now, brokers.master, brokers.gate, desired.leavingPods) : zk;
}
