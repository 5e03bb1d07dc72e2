// Pods on lost nodes. A node that stops reporting (NotReady or Unknown) keeps
// its pods: their kubelet never confirms a stop, so a deleted pod stays
// Terminating forever and is never recreated, and a roll waits behind it.
// Once the node has been lost for lostNodeTimeout, the operator reports each
// such pod and force-deletes it when that is safe: the pod is not the elected
// master (ZooKeeper expires the session of a dead broker, so a master there
// means the node is only cut off from the API server), and its claim can
// follow it to another node, or persistence.deleteClaim allows deleting a
// claim tied to the lost node (the node then starts empty and copies the
// store from the master). A ZooKeeper server has no master role: the others
// keep the quorum, and a new one rejoins it.
import { durationMs } from '../api/cluster';
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import type { PodNode } from './node-facts';

export type LostPod = NonNullable<BrokerClusterStatus['lostPods']>[number];

export const DEFAULT_LOST_NODE_TIMEOUT = '60s';

export interface LostNodeInput {
  cluster: BrokerCluster;
  podNodes: readonly PodNode[];
  /** Broker pods whose master role is known: the elected master, or undefined when none is. */
  master?: string;
  /** Whether ZooKeeper's view is read (or master tracking is off): a broker pod is deleted only then. */
  masterKnown: boolean;
  isBroker: (pod: string) => boolean;
  now: Date;
}

export interface LostNodeStep {
  /** status.lostPods. */
  lost: LostPod[];
  /** Pods to force-delete, by uid; claims to delete with them. */
  deletes: { pod: string; uid?: string; claim?: string }[];
  events: { type: 'Warning'; reason: 'NodeLost'; note: string }[];
  /** A pod whose node is not Ready yet not lost long enough: look again then. */
  recheckInMs?: number;
}

function waitReason(p: PodNode, i: LostNodeInput, deleteClaim: boolean): string | undefined {
  if (i.isBroker(p.pod)) {
    if (!i.masterKnown) return 'ZooKeeper cannot be read, so whether it is the master is not known';
    if (p.pod === i.master) return 'ZooKeeper still has it as the elected master: its node may be cut off from the API server only';
  }
  if (p.claimPinned && !deleteClaim)
    return (
      `its claim ${p.claim ?? ''} is on a volume tied to node ${p.node}: bring the node back, or delete the claim ` +
      '(the node starts empty and copies the data again) or set spec.persistence.deleteClaim: true'
    );
  return undefined;
}

export function planLostNodes(i: LostNodeInput): LostNodeStep {
  const c = i.cluster;
  const timeout = durationMs(c.spec.lostNodeTimeout ?? DEFAULT_LOST_NODE_TIMEOUT);
  const deleteClaim = c.spec.persistence.deleteClaim === true;
  const before = new Map((c.status?.lostPods ?? []).map((p) => [p.pod, p]));
  const step: LostNodeStep = { lost: [], deletes: [], events: [] };
  for (const p of i.podNodes) {
    const down = p.nodeGone ? Number.POSITIVE_INFINITY : p.nodeSince ? i.now.getTime() - new Date(p.nodeSince).getTime() : 0;
    if (down < timeout) {
      if (p.nodeSince) step.recheckInMs = Math.min(step.recheckInMs ?? timeout, timeout - down);
      continue;
    }
    const how = p.nodeGone ? 'gone' : `${p.nodeReady === 'Unknown' ? 'not reporting' : 'NotReady'} for ${Math.round(down / 1000)} s`;
    const wait = waitReason(p, i, deleteClaim);
    const entry: LostPod = { pod: p.pod, node: p.node, action: wait ? 'Waiting' : 'Deleted' };
    if (p.nodeSince) entry.since = p.nodeSince;
    const claimGoes = !wait && p.claimPinned && p.claim !== undefined;
    entry.message = wait ?? `force-deleted, to be recreated on another node${claimGoes ? `, with a new claim in place of ${p.claim}` : ''}`;
    step.lost.push(entry);
    if (!wait) step.deletes.push({ pod: p.pod, ...(p.uid ? { uid: p.uid } : {}), ...(claimGoes ? { claim: p.claim } : {}) });
    if (before.get(p.pod)?.action !== entry.action || before.get(p.pod)?.node !== p.node)
      step.events.push({
        type: 'Warning',
        reason: 'NodeLost',
        note: `${p.pod} is on lost node ${p.node} (${how}): ${wait ? `left in place: ${wait}` : entry.message}`,
      });
  }
  return step;
}
