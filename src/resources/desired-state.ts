// Everything one BrokerCluster should own, built purely from its spec and the
// master ZooKeeper last reported. The master Service stands apart: it is
// applied first and on its own, so a switch never waits behind other writes.
// The rest is in apply order: configuration and Services before the pods that
// mount or need them.
import type { KubernetesObject, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, isZkManaged, range } from '../api/cluster';
import { names } from '../metadata/names';
import type { Role } from '../metadata/labels';
import { renderActiveMqXml } from './activemq-xml';
import { buildBrokerConfig } from './broker-config';
import { buildBrokerPod } from './broker-pod';
import { buildBrokerHeadlessService, buildBrokerNodeService } from './broker-services';
import { buildConnectionConfig } from './connection-config';
import { buildMasterService } from './master-service';
import { buildBrokerPdb, buildZkPdb } from './pdb';
import { buildPvc } from './pvc';
import { buildZkConfig } from './zk-config';
import { buildZkPod } from './zk-pod';
import { buildZkClientService, buildZkHeadlessService } from './zk-services';

export interface Observed {
  /** Node index of the elected master, undefined while none is elected or not yet known. */
  masterIndex?: number;
  /** Role of each broker pod as ZooKeeper reports it. */
  roles: ReadonlyMap<string, Role>;
}

export interface DesiredState {
  /** Selects the elected node; applied before everything else. */
  masterService: V1Service;
  /** Server-side applied in this order on every reconcile that finds them different. */
  applied: KubernetesObject[];
  /** Created when missing; never changed in place (their spec is immutable). */
  claims: V1PersistentVolumeClaim[];
  /** ZooKeeper then broker pods; created when missing, restarted by the roller when their revision differs. */
  zkPods: V1Pod[];
  brokerPods: V1Pod[];
}

export function desiredState(c: BrokerCluster, observed: Observed): DesiredState {
  const n = clusterName(c);
  const managed = isZkManaged(c);
  const zkNodes = managed ? range(c.spec.zookeeper.replicas ?? 0) : [];
  const brokerNodes = range(c.spec.replicas);
  // Rendered once: the ConfigMap holds each file and each pod's revision hashes it.
  const xml = brokerNodes.map((i) => renderActiveMqXml(c, i));
  const applied: KubernetesObject[] = [];
  if (managed) applied.push(buildZkConfig(c), buildZkHeadlessService(c), buildZkClientService(c), buildZkPdb(c));
  applied.push(
    buildBrokerConfig(c, xml),
    buildBrokerHeadlessService(c),
    ...brokerNodes.map((i) => buildBrokerNodeService(c, i)),
    buildBrokerPdb(c),
    buildConnectionConfig(c),
  );
  const claims = [
    ...zkNodes.map((i) => buildPvc(c, 'zookeeper', names.zkPvc(n, i), i, '1Gi')),
    ...brokerNodes.map((i) => buildPvc(c, 'broker', names.brokerPvc(n, i), i, c.spec.persistence.size)),
  ];
  return {
    masterService: buildMasterService(c, observed.masterIndex),
    applied,
    claims,
    zkPods: zkNodes.map((i) => buildZkPod(c, i)),
    brokerPods: brokerNodes.map((i) => buildBrokerPod(c, i, xml[i] ?? '', observed.roles.get(names.brokerPod(n, i)))),
  };
}
