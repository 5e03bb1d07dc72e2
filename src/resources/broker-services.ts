// The broker headless Service (pod DNS for replication) and one Service per
// node on that node's ports (the addresses in the failover URL, and its metrics).
import type { V1Service } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, nodeMetricsPort, nodePlainOpenWirePort, nodePorts } from '../api/cluster';
import { names } from '../metadata/names';
import { componentLabels, componentSelector, LABEL_NODE, nodeSelector } from '../metadata/labels';
import { ownedMeta } from './object-meta';

export function buildBrokerHeadlessService(c: BrokerCluster): V1Service {
  const n = clusterName(c);
  const p = c.spec.ports;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.brokerHeadlessService(n), componentLabels(n, 'broker')),
    spec: {
      clusterIP: 'None',
      // Slaves are never Ready to clients but must still resolve the master.
      publishNotReadyAddresses: true,
      selector: componentSelector(n, 'broker'),
      ports: [
        { name: 'openwire', port: p.openwire, targetPort: p.openwire },
        { name: 'replication', port: p.replication, targetPort: p.replication },
      ],
    },
  };
}

export function buildBrokerNodeService(c: BrokerCluster, i: number): V1Service {
  const n = clusterName(c);
  const ports = nodePorts(c, i);
  const metrics = nodeMetricsPort(c, i);
  const plain = nodePlainOpenWirePort(c, i);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.brokerNodeService(n, i), { ...componentLabels(n, 'broker'), [LABEL_NODE]: String(i) }),
    spec: {
      selector: nodeSelector(n, 'broker', i),
      // Only the master opens its client ports; readiness must not hide the
      // node from clients that are still reconnecting through the failover URL.
      publishNotReadyAddresses: true,
      ports: [
        { name: 'openwire', port: ports.openwire, targetPort: ports.openwire },
        ...(plain === undefined ? [] : [{ name: 'openwire-plain', port: plain, targetPort: plain }]),
        { name: 'console', port: ports.console, targetPort: ports.console },
        { name: 'replication', port: ports.replication, targetPort: ports.replication },
        ...(metrics === undefined ? [] : [{ name: 'metrics', port: metrics, targetPort: metrics }]),
      ],
    },
  };
}
