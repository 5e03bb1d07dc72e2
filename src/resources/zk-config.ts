// ConfigMap with the managed ensemble's zoo.cfg (one file for every node; each
// node derives its myid from its pod name).
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, range, ZK_CLIENT_PORT, ZK_ELECTION_PORT, ZK_PEER_PORT, zkServerHost } from '../api/cluster';
import { names } from '../metadata/names';
import { componentLabels } from '../metadata/labels';
import { ownedMeta } from './object-meta';

export function renderZooCfg(c: BrokerCluster): string {
  const servers = range(c.spec.zookeeper.replicas ?? 0).map(
    (i) => `server.${i + 1}=${zkServerHost(c, i)}:${ZK_PEER_PORT}:${ZK_ELECTION_PORT};${ZK_CLIENT_PORT}`,
  );
  return [
    'tickTime=2000',
    'initLimit=10',
    'syncLimit=5',
    'dataDir=/data',
    `clientPort=${ZK_CLIENT_PORT}`,
    // A restarted pod comes back under a new IP; listen on all addresses.
    'quorumListenOnAllIPs=true',
    'admin.enableServer=false',
    '4lw.commands.whitelist=srvr,ruok,mntr',
    'autopurge.purgeInterval=1',
    ...servers,
    '',
  ].join('\n');
}

export function buildZkConfig(c: BrokerCluster): V1ConfigMap {
  const n = clusterName(c);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMeta(c, names.zkConfig(n), componentLabels(n, 'zookeeper')),
    data: { 'zoo.cfg': renderZooCfg(c) },
  };
}
