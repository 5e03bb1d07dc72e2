// A slave that never attaches. 5.16's replicated LevelDB can start a broker
// with a stale view of the group (typically the master just killed, started
// again by its kubelet, still reaching for the master it was itself): it stays
// registered and unready, and a fresh start reads the group again. While a
// master has served for a while and no roll is under way, the operator
// restarts such a broker, one at a time, once it has been running unready for
// four stall timeouts (a minute by default: a slave that can reach the master
// attaches within seconds of starting).
import type { V1Pod } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { unreadyForMs } from '../status/pods';
import { stallTimeoutMs } from './election-healing';

export interface DetachedSlaveInput {
  cluster: BrokerCluster;
  /** The serving master's pod; undefined while none serves. */
  master?: string;
  /** The cluster's broker pods as the cache holds them. */
  pods: readonly (V1Pod | undefined)[];
  now: Date;
}

/** How long a running broker may stay unready under a serving master. */
export const detachedAfterMs = (c: BrokerCluster): number => 4 * stallTimeoutMs(c);

export function detachedSlave(i: DetachedSlaveInput): { pod: string; reason: string } | undefined {
  if (!i.master) return undefined;
  const limit = detachedAfterMs(i.cluster);
  const masterSince = i.cluster.status?.masterSince;
  // The slaves get the same time from the election on.
  if (!masterSince || i.now.getTime() - new Date(masterSince).getTime() < limit) return undefined;
  for (const p of i.pods) {
    const name = p?.metadata?.name;
    if (!p || !name || name === i.master || p.status?.phase !== 'Running' || p.metadata?.deletionTimestamp) continue;
    const started = p.status.containerStatuses?.[0]?.state?.running?.startedAt;
    const unready = unreadyForMs(p, i.now) ?? 0;
    const running = started ? i.now.getTime() - new Date(started).getTime() : 0;
    const stuck = Math.min(unready, running);
    if (stuck >= limit) return { pod: name, reason: `not attached to master ${i.master} for ${Math.round(stuck / 1000)} s` };
  }
  return undefined;
}
