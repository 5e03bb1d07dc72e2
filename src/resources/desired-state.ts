// Everything one BrokerCluster should own, built purely from its spec and the
// master ZooKeeper last reported. The master Service stands apart: it is
// applied first and on its own, so a switch never waits behind other writes.
// The rest is in apply order: configuration and Services before the pods that
// mount or need them.
import type { KubernetesObject, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { brokerNodes, clusterName, isZkManaged, range } from '../api/cluster';
import { MAX_BROKERS, names } from '../metadata/names';
import type { Role } from '../metadata/labels';
import { renderActiveMqXml } from './activemq-xml';
import { buildBrokerConfig } from './broker-config';
import { buildBrokerPod } from './broker-pod';
import { buildBrokerHeadlessService, buildBrokerNodeService } from './broker-services';
import { buildConnectionConfig } from './connection-config';
import { buildMasterService } from './master-service';
import { buildNetworkPolicies, networkPolicyNames, type OperatorPeer } from './network-policies';
import { buildBrokerPdb, buildZkPdb } from './pdb';
import { buildPvc } from './pvc';
import { buildZkConfig } from './zk-config';
import { buildZkPod } from './zk-pod';
import { ownedMeta } from './object-meta';
import type { ClusterCredentials } from '../model/credentials';
import type { ClusterTls } from '../model/tls';
import { buildZkClientService, buildZkHeadlessService } from './zk-services';

export interface Observed {
  /** Node index of the elected master, undefined while none is elected or not yet known. */
  masterIndex?: number;
  /** Role of each broker pod as ZooKeeper reports it. */
  roles: ReadonlyMap<string, Role>;
  /** Nodes beyond spec.replicas whose pods still run: a scale-down under way. */
  leaving?: readonly number[];
  /** Where the operator runs, let in by the NetworkPolicies; undefined when not known (then only the node's own traffic reaches the pods). */
  operator?: OperatorPeer;
  /** The cluster's logins; the plan applies nothing without them. */
  credentials?: ClusterCredentials;
  /** The certificate's Secret, with spec.tls; the plan applies nothing without it then. */
  tls?: ClusterTls;
}

export interface DesiredState {
  /** Selects the elected node; applied before everything else. */
  masterService: V1Service;
  /** Server-side applied in this order on every reconcile that finds them different. */
  applied: KubernetesObject[];
  /** Created when missing; in place only their owners change, and a larger storage request where the class allows it. */
  claims: V1PersistentVolumeClaim[];
  /** ZooKeeper then broker pods (0..replicas-1); created when missing, restarted by the roller when their revision differs. */
  zkPods: V1Pod[];
  brokerPods: V1Pod[];
  /** Pods of the leaving nodes: never created again, removed by the roller once the others run the new quorum. */
  leavingPods: V1Pod[];
  /** What nodes beyond spec.replicas left behind once their pods are gone, and NetworkPolicies switched off: deleted where they exist. */
  leftovers: KubernetesObject[];
}

/** The Service of every node a cluster may have had beyond its nodes, and its claim where claims go with the cluster. */
function leftoversOf(c: BrokerCluster, nodes: readonly number[]): KubernetesObject[] {
  const n = clusterName(c);
  // Owned: only what this cluster made is ever deleted.
  const ref = (kind: string, name: string): KubernetesObject => ({ apiVersion: 'v1', kind, metadata: ownedMeta(c, name, {}) });
  const gone = range(MAX_BROKERS).filter((i) => i >= c.spec.replicas && !nodes.includes(i));
  const policies = c.spec.networkPolicy.enabled
    ? []
    : networkPolicyNames(c).map((name): KubernetesObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: ownedMeta(c, name, {}) }));
  return [
    ...gone.flatMap((i) => {
      const objects = [ref('Service', names.brokerNodeService(n, i))];
      if (c.spec.persistence.deleteClaim) objects.push(ref('PersistentVolumeClaim', names.brokerPvc(n, i)));
      return objects;
    }),
    ...policies,
  ];
}

export function desiredState(c: BrokerCluster, observed: Observed): DesiredState {
  const n = clusterName(c);
  const managed = isZkManaged(c);
  const zkNodes = managed ? range(c.spec.zookeeper.replicas ?? 0) : [];
  const nodes = brokerNodes(c, observed.leaving);
  // Rendered once: the ConfigMap holds each file and each pod's revision hashes it.
  const xml: string[] = [];
  const zkAcl = observed.credentials?.zookeeperPassword !== undefined;
  for (const i of nodes) xml[i] = renderActiveMqXml(c, i, zkAcl);
  // Policies first: a port is guarded before anything listens on it.
  const applied: KubernetesObject[] = [...buildNetworkPolicies(c, observed.operator, nodes)];
  if (managed) applied.push(buildZkConfig(c), buildZkHeadlessService(c), buildZkClientService(c), buildZkPdb(c));
  applied.push(
    buildBrokerConfig(c, nodes, xml, observed.credentials),
    buildBrokerHeadlessService(c),
    ...nodes.map((i) => buildBrokerNodeService(c, i)),
    buildBrokerPdb(c, nodes.length),
    buildConnectionConfig(c, nodes, observed.tls),
  );
  const brokerPod = (i: number) => buildBrokerPod(c, i, xml[i] ?? '', observed.roles.get(names.brokerPod(n, i)), observed.credentials, observed.tls);
  const claims = [
    ...zkNodes.map((i) => buildPvc(c, 'zookeeper', names.zkPvc(n, i), i, '1Gi')),
    ...range(c.spec.replicas).map((i) => buildPvc(c, 'broker', names.brokerPvc(n, i), i, c.spec.persistence.size)),
  ];
  return {
    masterService: buildMasterService(c, observed.masterIndex),
    applied,
    claims,
    zkPods: zkNodes.map((i) => buildZkPod(c, i)),
    brokerPods: nodes.filter((i) => i < c.spec.replicas).map(brokerPod),
    leavingPods: nodes.filter((i) => i >= c.spec.replicas).map(brokerPod),
    leftovers: leftoversOf(c, nodes),
  };
}
