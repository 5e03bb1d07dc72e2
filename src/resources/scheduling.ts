// Where the pods may run and how they spread: the spec's affinity,
// tolerations, nodeSelector and topologySpreadConstraints (kept opaque in the
// schema), brokers from spec.*, ZooKeeper servers from spec.zookeeper.*, and a
// default that keeps the members of one component apart. (kube-scheduler's
// own default spreading does not: it counts the pods a pod's Services select,
// and a broker's node Service selects that broker alone.)
//
// The default is a *preferred* pod anti-affinity on the node and on the zone,
// not topologySpreadConstraints: kube-scheduler leaves out of its spread
// scoring every node that lacks any topology key of a pod's constraints, so a
// zone constraint on a cluster without zone labels would cancel the spreading
// over nodes as well; an anti-affinity term whose key a node lacks simply does
// not apply. Preferred, never required: a cluster on fewer nodes than pods
// still runs (the one-node demo), it is only less safe.
import type { V1Affinity, V1Pod, V1PodAntiAffinity } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName } from '../api/cluster';
import { type Component, componentSelector, type Labels } from '../metadata/labels';

type PodSpec = NonNullable<V1Pod['spec']>;

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** The scheduling fields, as spec.* and spec.zookeeper.* both have them. */
export interface SchedulingSettings {
  affinity?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  tolerations?: readonly Record<string, unknown>[];
  topologySpreadConstraints?: readonly Record<string, unknown>[];
}

/**
 * Prefer no two pods of `selector` on one node, nor in one zone. The selector
 * must hold only labels a pod keeps for life (cluster and component, not its
 * role or node index), or pods would stop counting each other.
 */
export function preferApart(selector: Labels): V1PodAntiAffinity {
  return {
    preferredDuringSchedulingIgnoredDuringExecution: [LABEL_HOSTNAME, LABEL_ZONE].map((topologyKey) => ({
      // Equal weights: pods in one node are in one zone too, so the two terms never pull apart.
      weight: 100,
      podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey },
    })),
  };
}

/**
 * The spec's settings as they are, plus the default spreading unless the spec
 * spreads the pods itself: an affinity with podAntiAffinity, or
 * topologySpreadConstraints, present even if empty (`[]` turns the default off).
 */
export function podScheduling(s: SchedulingSettings, selector: Labels): Partial<PodSpec> {
  const out: Partial<PodSpec> = {};
  const affinity = s.affinity as V1Affinity | undefined;
  const ownSpreading = affinity?.podAntiAffinity !== undefined || s.topologySpreadConstraints !== undefined;
  if (ownSpreading) {
    if (affinity) out.affinity = affinity;
  } else {
    out.affinity = { ...affinity, podAntiAffinity: preferApart(selector) };
  }
  if (s.tolerations) out.tolerations = [...s.tolerations] as PodSpec['tolerations'];
  if (s.nodeSelector) out.nodeSelector = s.nodeSelector;
  // Opaque in the schema: the API server validates them when it admits the pod.
  if (s.topologySpreadConstraints) out.topologySpreadConstraints = [...s.topologySpreadConstraints] as unknown as PodSpec['topologySpreadConstraints'];
  return out;
}

function of(c: BrokerCluster, component: Component, s: SchedulingSettings): Partial<PodSpec> {
  return podScheduling(s, componentSelector(clusterName(c), component));
}

/** Broker pods: spec.affinity, tolerations, nodeSelector, topologySpreadConstraints. */
export const brokerScheduling = (c: BrokerCluster): Partial<PodSpec> => of(c, 'broker', c.spec);

/** ZooKeeper pods: the same fields under spec.zookeeper; the brokers' settings do not apply to them. */
export const zkScheduling = (c: BrokerCluster): Partial<PodSpec> => of(c, 'zookeeper', c.spec.zookeeper);
