// What a lost node needs to know, read only for pods that look unwell (not
// Ready, or terminating): each one's node (its Ready condition, or gone) and
// whether its claim's volume is tied to that node. Healthy clusters cost no
// read at all.
import type { V1Node, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { clusterName, managedZkServers, range } from '../api/cluster';
import type { BrokerCluster } from '../api/types';
import { MAX_BROKERS, names } from '../metadata/names';
import { isPodReady } from '../status/pods';
import type { LiveLookup } from './observe';

/** An unwell pod's node as the API server has it. */
export interface PodNode {
  pod: string;
  uid?: string;
  node: string;
  /** The node object no longer exists. */
  nodeGone: boolean;
  /** The node's Ready condition status; undefined: none reported. */
  nodeReady?: string;
  /** When that condition last changed. */
  nodeSince?: string;
  claim?: string;
  /** The claim's volume can only be used on certain nodes (local storage): it cannot follow the pod. */
  claimPinned: boolean;
}

/** Reads a cluster-scoped object by kind and name; undefined when it does not exist. */
export type ReadClusterObject = <T>(kind: 'Node' | 'PersistentVolume', name: string) => Promise<T | undefined>;

/** Every pod the cluster may run, leaving nodes included (a missing one is skipped). */
function podsWithClaims(c: BrokerCluster): { pod: string; claim: string }[] {
  const n = clusterName(c);
  return [
    ...range(managedZkServers(c)).map((i) => ({ pod: names.zkPod(n, i), claim: names.zkPvc(n, i) })),
    ...range(MAX_BROKERS).map((i) => ({ pod: names.brokerPod(n, i), claim: names.brokerPvc(n, i) })),
  ];
}

function pinned(pv: V1PersistentVolume | undefined): boolean {
  return (pv?.spec?.nodeAffinity?.required?.nodeSelectorTerms?.length ?? 0) > 0 || pv?.spec?.local !== undefined;
}

export async function podNodes(c: BrokerCluster, live: LiveLookup, read: ReadClusterObject): Promise<PodNode[]> {
  const nodes = new Map<string, Promise<V1Node | undefined>>();
  const out: PodNode[] = [];
  for (const { pod, claim } of podsWithClaims(c)) {
    const p = live<V1Pod>('Pod', pod);
    const node = p?.spec?.nodeName;
    if (!p || !node || (isPodReady(p) && !p.metadata?.deletionTimestamp)) continue;
    const read1 = nodes.get(node) ?? read<V1Node>('Node', node);
    nodes.set(node, read1);
    const n = await read1;
    const ready = n?.status?.conditions?.find((x) => x.type === 'Ready');
    // Only a pod whose node is not Ready needs its claim looked at.
    if (n && ready?.status === 'True') continue;
    const pvc = live<V1PersistentVolumeClaim>('PersistentVolumeClaim', claim);
    const volume = pvc?.spec?.volumeName;
    const fact: PodNode = {
      pod,
      node,
      nodeGone: n === undefined,
      claimPinned: volume ? pinned(await read<V1PersistentVolume>('PersistentVolume', volume)) : false,
    };
    if (p.metadata?.uid) fact.uid = p.metadata.uid;
    if (ready?.status) fact.nodeReady = ready.status;
    const since = ready?.lastTransitionTime;
    if (since) fact.nodeSince = new Date(since).toISOString();
    if (pvc) fact.claim = claim;
    out.push(fact);
  }
  return out;
}
