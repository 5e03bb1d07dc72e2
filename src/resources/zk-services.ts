// The managed ensemble's headless Service (peer DNS) and client Service.
import type { V1Service } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, ZK_CLIENT_PORT, ZK_ELECTION_PORT, ZK_PEER_PORT } from '../api/cluster';
import { names } from '../metadata/names';
import { componentLabels, componentSelector } from '../metadata/labels';
import { ownedMeta } from './object-meta';

export function buildZkHeadlessService(c: BrokerCluster): V1Service {
  const n = clusterName(c);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.zkHeadlessService(n), componentLabels(n, 'zookeeper')),
    spec: {
      clusterIP: 'None',
      // Peers must resolve each other before they are ready to form a quorum.
      publishNotReadyAddresses: true,
      selector: componentSelector(n, 'zookeeper'),
      ports: [
        { name: 'client', port: ZK_CLIENT_PORT, targetPort: ZK_CLIENT_PORT },
        { name: 'peer', port: ZK_PEER_PORT, targetPort: ZK_PEER_PORT },
        { name: 'election', port: ZK_ELECTION_PORT, targetPort: ZK_ELECTION_PORT },
      ],
    },
  };
}

export function buildZkClientService(c: BrokerCluster): V1Service {
  const n = clusterName(c);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.zkClientService(n), componentLabels(n, 'zookeeper')),
    spec: {
      selector: componentSelector(n, 'zookeeper'),
      ports: [{ name: 'client', port: ZK_CLIENT_PORT, targetPort: ZK_CLIENT_PORT }],
    },
  };
}
