// The only place where names of the objects a BrokerCluster owns are made.

export const names = {
  zkPod: (cluster: string, i: number) => `${cluster}-zk-${i}`,
  zkPvc: (cluster: string, i: number) => `data-${cluster}-zk-${i}`,
  zkHeadlessService: (cluster: string) => `${cluster}-zk-hs`,
  zkClientService: (cluster: string) => `${cluster}-zk`,
  zkConfig: (cluster: string) => `${cluster}-zk-config`,
  zkPdb: (cluster: string) => `${cluster}-zk`,
  brokerPod: (cluster: string, i: number) => `${cluster}-broker-${i}`,
  brokerPvc: (cluster: string, i: number) => `data-${cluster}-broker-${i}`,
  brokerHeadlessService: (cluster: string) => `${cluster}-broker-hs`,
  brokerNodeService: (cluster: string, i: number) => `${cluster}-broker-${i}`,
  brokerConfig: (cluster: string) => `${cluster}-broker-config`,
  brokerPdb: (cluster: string) => `${cluster}-broker`,
  masterService: (cluster: string) => `${cluster}-master`,
  connection: (cluster: string) => `${cluster}-connection`,
  zkNetworkPolicy: (cluster: string) => `${cluster}-zk`,
  brokerNetworkPolicy: (cluster: string) => `${cluster}-broker`,
  credentials: (cluster: string) => `${cluster}-credentials`,
};

/** The most broker nodes a cluster may have (the schema's maximum of spec.replicas). */
export const MAX_BROKERS = 9;

/**
 * The node index of one of the cluster's broker pods, or undefined. Any index
 * a cluster may have had: while it scales down, nodes beyond spec.replicas
 * still run, and one may be the master.
 */
export function brokerIndexOf(cluster: string, pod: string): number | undefined {
  const m = /-(\d+)$/.exec(pod);
  const i = m ? Number(m[1]) : -1;
  return i >= 0 && i < MAX_BROKERS && pod === names.brokerPod(cluster, i) ? i : undefined;
}

/** Default zkPath: one replication group per BrokerCluster. */
export function defaultZkPath(namespace: string, cluster: string): string {
  return `/activemq/leveldb-stores/${namespace}/${cluster}`;
}
