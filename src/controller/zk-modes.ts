// The managed ensemble's servers as they report themselves (srvr), asked only
// while its roll would take a serving server down: a Ready ZooKeeper pod whose
// revision is outdated. The roll then takes followers first, the leader last.
import type { V1Pod } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, isZkManaged, range, ZK_CLIENT_PORT, zkServerHost } from '../api/cluster';
import { names } from '../metadata/names';
import { ANNOTATION_REVISION } from '../metadata/labels';
import { buildZkPod } from '../resources/zk-pod';
import { isPodReady } from '../status/pods';
import { askMode, type ServerMode } from '../zk/server-mode';
import type { LiveLookup } from './observe';

/** Mode by ZooKeeper pod name (undefined: no answer); undefined when no serving server is due for a restart. */
export type ZkModes = ReadonlyMap<string, ServerMode | undefined>;

export async function zkModes(c: BrokerCluster, live: LiveLookup, ask = askMode): Promise<ZkModes | undefined> {
  if (!isZkManaged(c)) return undefined;
  const servers = range(c.spec.zookeeper.replicas ?? 0);
  const due = servers.some((i) => {
    const have = live<V1Pod>('Pod', names.zkPod(clusterName(c), i));
    const want = buildZkPod(c, i).metadata?.annotations?.[ANNOTATION_REVISION];
    return isPodReady(have) && have?.metadata?.annotations?.[ANNOTATION_REVISION] !== want;
  });
  if (!due) return undefined;
  const modes = await Promise.all(servers.map((i) => ask(zkServerHost(c, i), ZK_CLIENT_PORT)));
  return new Map(servers.map((i) => [names.zkPod(clusterName(c), i), modes[i]]));
}
