// Facts derived from a (defaulted) BrokerCluster that several builders need.
import type { BrokerCluster } from './types';
import { defaultZkPath, names } from '../metadata/names';

export const ZK_CLIENT_PORT = 2181;
export const ZK_PEER_PORT = 2888;
export const ZK_ELECTION_PORT = 3888;
/** Ports the master Service exposes, whatever node is master. */
export const MASTER_OPENWIRE_PORT = 61616;
export const MASTER_CONSOLE_PORT = 8161;

export function clusterName(c: BrokerCluster): string {
  return c.metadata.name ?? '';
}

export function clusterNamespace(c: BrokerCluster): string {
  return c.metadata.namespace ?? 'default';
}

export function zkPath(c: BrokerCluster): string {
  return c.spec.zookeeper.path ?? defaultZkPath(clusterNamespace(c), clusterName(c));
}

export function isZkManaged(c: BrokerCluster): boolean {
  return c.spec.zookeeper.external === undefined;
}

/** Servers of the ensemble the operator runs; 0 with an external one. */
export function managedZkServers(c: BrokerCluster): number {
  return c.spec.zookeeper.external ? 0 : (c.spec.zookeeper.replicas ?? 0);
}

/** The managed ensemble's server i, as the brokers, the operator and the other servers reach it. */
export function zkServerHost(c: BrokerCluster, i: number): string {
  const n = clusterName(c);
  return `${names.zkPod(n, i)}.${names.zkHeadlessService(n)}.${clusterNamespace(c)}.svc`;
}

/** Connect string the brokers (and the operator) use. */
export function zkConnectString(c: BrokerCluster): string {
  const ext = c.spec.zookeeper.external;
  if (ext) return ext.connectString;
  return range(c.spec.zookeeper.replicas ?? 0)
    .map((i) => `${zkServerHost(c, i)}:${ZK_CLIENT_PORT}`)
    .join(',');
}

export interface NodePorts {
  openwire: number;
  console: number;
  replication: number;
}

/** Node i listens on base+i for each port, as in the manual setup. */
export function nodePorts(c: BrokerCluster, i: number): NodePorts {
  const p = c.spec.ports;
  return { openwire: p.openwire + i, console: p.console + i, replication: p.replication + i };
}

/** Node i's plain OpenWire port kept beside TLS (spec.tls.plainOpenWirePort), base+i; undefined when none is kept. */
export function nodePlainOpenWirePort(c: BrokerCluster, i: number): number | undefined {
  const base = c.spec.tls?.plainOpenWirePort;
  return base === undefined ? undefined : base + i;
}

/** Node i's metrics port, base+i like its other ports; undefined when spec.metrics is off. */
export function nodeMetricsPort(c: BrokerCluster, i: number): number | undefined {
  return c.spec.metrics.enabled ? c.spec.metrics.port + i : undefined;
}

/** DNS name of node i's own Service, the address clients use. */
export function nodeServiceHost(c: BrokerCluster, i: number): string {
  return `${names.brokerNodeService(clusterName(c), i)}.${clusterNamespace(c)}.svc`;
}

/** DNS name of pod i through the headless Service, the address slaves replicate from. */
export function nodePodHost(c: BrokerCluster, i: number): string {
  const n = clusterName(c);
  return `${names.brokerPod(n, i)}.${names.brokerHeadlessService(n)}.${clusterNamespace(c)}.svc`;
}

export function quorum(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * The broker nodes that exist or are wanted: 0..replicas-1, and while a
 * scale-down is under way the nodes beyond it whose pods still run (leaving).
 * They keep their configuration, Service and place in the failover URL until
 * their pod is gone.
 */
export function brokerNodes(c: BrokerCluster, leaving: readonly number[] = []): number[] {
  const wanted = range(c.spec.replicas);
  return [...wanted, ...leaving.filter((i) => i >= wanted.length)].sort((a, b) => a - b);
}

/** Milliseconds of a schema duration ("2s", "1500ms"). */
export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

const QUANTITY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/** Bytes of a quantity in the form the schema allows for persistence.size ("10Gi", "500M", "1.5Gi"). */
export function quantityBytes(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(q);
  if (!m) throw new Error(`"${q}" is not a quantity like 10Gi`);
  return Math.floor(Number(m[1]) * (QUANTITY_UNITS[m[2] ?? ''] ?? 1));
}

/**
 * Store and temp limits that fit the claim: flow control stops producers
 * before the disk is full. The rest is room for index snapshots and the log
 * file being written.
 */
export function storeLimits(c: BrokerCluster): { storeMb: number; tempMb: number } {
  const mb = quantityBytes(c.spec.persistence.size) / 2 ** 20;
  return { storeMb: Math.max(1, Math.floor(mb * 0.7)), tempMb: Math.max(1, Math.floor(mb * 0.1)) };
}
