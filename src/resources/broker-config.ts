// <name>-broker-config: every node's rendered activemq.xml and the few
// settings its entrypoint needs, and the metrics agent's rules, readable with kubectl.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { brokerNodes, clusterName, nodeMetricsPort, nodePorts } from '../api/cluster';
import { names } from '../metadata/names';
import { componentLabels } from '../metadata/labels';
import { renderActiveMqXml } from './activemq-xml';
import { JMX_EXPORTER_CONFIG_FILE, renderJmxExporterConfig } from './jmx-exporter-config';
import { ownedMeta } from './object-meta';
import type { ClusterCredentials } from '../model/credentials';
import { GROUPS_FILE, renderGroups } from './broker-security';

/** KEY=VALUE lines the entrypoint (images/broker/entrypoint.sh) reads for node i. */
export function renderNodeEnv(c: BrokerCluster, i: number): string {
  const p = nodePorts(c, i);
  const lines = [
    `AMQ_POD_NAME=${names.brokerPod(clusterName(c), i)}`,
    `AMQ_OPENWIRE_PORT=${p.openwire}`,
    `AMQ_CONSOLE_PORT=${p.console}`,
    `AMQ_REPLICATION_PORT=${p.replication}`,
  ];
  // The entrypoint runs the metrics agent only when the node has this port.
  const metrics = nodeMetricsPort(c, i);
  if (metrics !== undefined) lines.push(`AMQ_METRICS_PORT=${metrics}`);
  return `${lines.join('\n')}\n`;
}

/**
 * nodes: as brokerNodes(); a leaving node keeps its files until its pod is
 * gone, so a restart of its container still finds them. xml: each node's
 * activemq.xml by index, where already rendered.
 */
export function buildBrokerConfig(
  c: BrokerCluster,
  nodes = brokerNodes(c),
  xml: readonly (string | undefined)[] = [],
  creds?: ClusterCredentials,
): V1ConfigMap {
  const n = clusterName(c);
  const data: Record<string, string> = {};
  for (const i of nodes) {
    data[`activemq-${i}.xml`] = xml[i] ?? renderActiveMqXml(c, i, creds?.zookeeperPassword !== undefined);
    data[`node-${i}.env`] = renderNodeEnv(c, i);
  }
  if (c.spec.metrics.enabled) data[JMX_EXPORTER_CONFIG_FILE] = renderJmxExporterConfig(c);
  // Its presence tells the entrypoint that clients log in.
  if (c.spec.security.authentication && creds) data[GROUPS_FILE] = renderGroups(c, creds);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMeta(c, names.brokerConfig(n), componentLabels(n, 'broker')),
    data,
  };
}
