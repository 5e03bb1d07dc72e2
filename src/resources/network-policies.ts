// NetworkPolicies of one cluster: which pods may open a connection to each
// port of its brokers and of its managed ensemble. Incoming traffic only:
// brokers and servers must still reach DNS, an external ensemble and the
// API server. Ports are listed one by one (node i listens on base+i) rather
// than as an endPort range, which not every network plugin honours.
import type { KubernetesObject, V1LabelSelector } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import {
  brokerNodes,
  clusterName,
  isZkManaged,
  nodeMetricsPort,
  nodePlainOpenWirePort,
  nodePorts,
  ZK_CLIENT_PORT,
  ZK_ELECTION_PORT,
  ZK_PEER_PORT,
} from '../api/cluster';
import { names } from '../metadata/names';
import { componentLabels, componentSelector, type Component, type Labels } from '../metadata/labels';
import { ownedMeta } from './object-meta';

/** Where the operator's pods run, so that the policies let them in; see docs/security.md. */
export interface OperatorPeer {
  namespace: string;
  podLabels: Labels;
}

// networking.k8s.io/v1 as sent and read: the client library's own types name
// the "from" field "_from", which is not what the API server takes.
export interface NetworkPolicyPeer {
  podSelector?: V1LabelSelector;
  namespaceSelector?: V1LabelSelector;
}
export interface NetworkPolicyIngressRule {
  from: NetworkPolicyPeer[];
  ports: { protocol: 'TCP'; port: number }[];
}
export interface NetworkPolicy extends KubernetesObject {
  spec: { podSelector: V1LabelSelector; policyTypes: ['Ingress']; ingress: NetworkPolicyIngressRule[] };
}

/** Labels every operator pod of the chart carries, whatever the release is called. */
export const DEFAULT_OPERATOR_POD_LABELS: Labels = { 'app.kubernetes.io/part-of': 'amq-keeper', 'app.kubernetes.io/component': 'operator' };

/** The label the API server sets on every namespace (immutable, Kubernetes 1.21+). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const tcp = (ports: readonly number[]): NetworkPolicyIngressRule['ports'] => ports.map((port) => ({ protocol: 'TCP', port }));

const own = (c: BrokerCluster, component: Component): NetworkPolicyPeer => ({
  podSelector: { matchLabels: componentSelector(clusterName(c), component) },
});

function operatorPeers(operator: OperatorPeer | undefined): NetworkPolicyPeer[] {
  if (!operator) return [];
  return [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: operator.namespace } }, podSelector: { matchLabels: { ...operator.podLabels } } }];
}

/** A rule only when someone is let in: a rule without "from" would admit everyone. */
function rule(from: NetworkPolicyPeer[], ports: number[]): NetworkPolicyIngressRule[] {
  return from.length > 0 && ports.length > 0 ? [{ from, ports: tcp(ports) }] : [];
}

type PeerSpec = BrokerCluster['spec']['networkPolicy']['clients'][number];

/** The spec's entries as NetworkPolicy peers, copied so that nothing is shared with the spec. */
const fromSpec = (entries: readonly PeerSpec[]): NetworkPolicyPeer[] => entries.map((e) => structuredClone(e) as NetworkPolicyPeer);

function policy(c: BrokerCluster, name: string, component: Component, ingress: NetworkPolicyIngressRule[]): NetworkPolicy {
  const n = clusterName(c);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedMeta(c, name, componentLabels(n, component)),
    // No rule at all still isolates the pods: nothing may connect to them.
    spec: { podSelector: { matchLabels: componentSelector(n, component) }, policyTypes: ['Ingress'], ingress },
  };
}

/**
 * The brokers' policy. nodes: every node that exists or is wanted (leaving
 * nodes included), so that a node keeps its ports open until its pod is gone.
 */
export function buildBrokerNetworkPolicy(c: BrokerCluster, operator: OperatorPeer | undefined, nodes = brokerNodes(c)): NetworkPolicy {
  const np = c.spec.networkPolicy;
  const ports = nodes.map((i) => nodePorts(c, i));
  // Optional per-node ports: those a node has.
  const some = (port: (c: BrokerCluster, i: number) => number | undefined) => nodes.map((i) => port(c, i)).filter((p): p is number => p !== undefined);
  const metrics = some(nodeMetricsPort);
  return policy(c, names.brokerNetworkPolicy(clusterName(c)), 'broker', [
    // Slaves replicate from the master.
    ...rule(
      [own(c, 'broker')],
      ports.map((p) => p.replication),
    ),
    ...rule(fromSpec(np.clients), [...ports.map((p) => p.openwire), ...some(nodePlainOpenWirePort)]),
    // The operator checks replication through Jolokia before a restart.
    ...rule(
      [...operatorPeers(operator), ...fromSpec(np.console)],
      ports.map((p) => p.console),
    ),
    ...rule(fromSpec(np.metrics), metrics),
  ]);
}

/** The managed ensemble's policy: quorum traffic between its servers; clients are the brokers and the operator (master tracking, srvr). */
export function buildZkNetworkPolicy(c: BrokerCluster, operator: OperatorPeer | undefined): NetworkPolicy {
  return policy(c, names.zkNetworkPolicy(clusterName(c)), 'zookeeper', [
    ...rule([own(c, 'zookeeper')], [ZK_PEER_PORT, ZK_ELECTION_PORT]),
    ...rule([own(c, 'broker'), ...operatorPeers(operator)], [ZK_CLIENT_PORT]),
  ]);
}

/** The cluster's NetworkPolicies; none when spec.networkPolicy.enabled is false. */
export function buildNetworkPolicies(c: BrokerCluster, operator: OperatorPeer | undefined, nodes = brokerNodes(c)): NetworkPolicy[] {
  if (!c.spec.networkPolicy.enabled) return [];
  return [...(isZkManaged(c) ? [buildZkNetworkPolicy(c, operator)] : []), buildBrokerNetworkPolicy(c, operator, nodes)];
}

/** Names of every NetworkPolicy the cluster may own, for deleting them once they are switched off. */
export function networkPolicyNames(c: BrokerCluster): string[] {
  const n = clusterName(c);
  return [names.zkNetworkPolicy(n), names.brokerNetworkPolicy(n)];
}
