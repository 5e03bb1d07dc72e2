// The client URLs published in <name>-connection. Only options the 5.16
// client knows are written: it rejects unknown jms.* options.
import type { BrokerCluster } from '../api/types';
import { brokerNodes, clusterName, clusterNamespace, MASTER_OPENWIRE_PORT, nodePlainOpenWirePort, nodePorts, nodeServiceHost } from '../api/cluster';
import { names } from '../metadata/names';

type Query = [string, string | number | boolean][];

/** spec.client.redeliveryPolicy fields, each published as jms.redeliveryPolicy.<field>. */
export const CLIENT_REDELIVERY_OPTIONS = [
  'maximumRedeliveries',
  'initialRedeliveryDelay',
  'redeliveryDelay',
  'useExponentialBackOff',
  'backOffMultiplier',
  'maximumRedeliveryDelay',
] as const;

function clientOptions(c: BrokerCluster): Query {
  const cl = c.spec.client;
  const q: Query = [];
  if (cl.useAsyncSend) q.push(['jms.useAsyncSend', true]);
  const rp = cl.redeliveryPolicy ?? {};
  for (const key of CLIENT_REDELIVERY_OPTIONS) {
    const v = rp[key];
    if (v !== undefined) q.push([`jms.redeliveryPolicy.${key}`, v]);
  }
  return q;
}

function queryString(q: Query): string {
  return q.length === 0 ? '' : `?${q.map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&')}`;
}

/** ssl:// with spec.tls, else tcp://. */
function scheme(c: BrokerCluster): string {
  return c.spec.tls ? 'ssl' : 'tcp';
}

/**
 * failover:(tcp://<node-0 service>:<port 0>,...)?randomize=...&jms.* (ssl://
 * with spec.tls); nodes: as brokerNodes(); plain: the plain tcp:// ports kept
 * beside TLS (spec.tls.plainOpenWirePort) instead.
 */
export function failoverUrl(c: BrokerCluster, host: (i: number) => string = (i) => nodeServiceHost(c, i), nodes = brokerNodes(c), plain = false): string {
  const uris = nodes.map((i) => {
    const plainPort = plain ? nodePlainOpenWirePort(c, i) : undefined;
    return plainPort !== undefined ? `tcp://${host(i)}:${plainPort}` : `${scheme(c)}://${host(i)}:${nodePorts(c, i).openwire}`;
  });
  const cl = c.spec.client;
  const q: Query = [['randomize', cl.randomize]];
  if (cl.maxReconnectAttempts !== undefined) q.push(['maxReconnectAttempts', cl.maxReconnectAttempts]);
  if (cl.initialReconnectDelay !== undefined) q.push(['initialReconnectDelay', cl.initialReconnectDelay]);
  q.push(...clientOptions(c));
  return `failover:(${uris.join(',')})${queryString(q)}`;
}

/** The master Service, for clients that want one address. */
export function masterUrl(c: BrokerCluster): string {
  const host = `${names.masterService(clusterName(c))}.${clusterNamespace(c)}.svc`;
  return `${scheme(c)}://${host}:${MASTER_OPENWIRE_PORT}${queryString(clientOptions(c))}`;
}
