// The latest view of a cluster's replication group as ZooKeeper reports it:
// produced by master tracking (zk/), read by status, replication and the
// reconciler. It lives here, below all of them, so none imports another.
import type { BrokerCluster, Member } from '../api/types';

export interface ElectedMaster {
  /** The pod, <cluster>-broker-<index>. */
  pod: string;
  /** Its node index: ports, per-node Service and console follow from it. */
  index: number;
}

export interface ElectionSnapshot {
  /** Whether the operator holds a ZooKeeper session for this cluster's ensemble. */
  connected: boolean;
  /** False until the group has been read at least once in this session. */
  known: boolean;
  /** The elected master, when one is elected, serves (has published its address) and maps to a pod of this cluster. */
  master?: ElectedMaster;
  /** The member the elector named, also before it serves. */
  elected?: ElectedMaster;
  members: Member[];
  /** Something about the group a person should know (malformed data, unknown members). */
  problem?: string;
  /** When ZooKeeper last reported this state. */
  at?: Date;
}

export interface ElectionSource {
  /** Starts (or keeps) watching the cluster's group; returns the latest snapshot, if any. */
  observe(c: BrokerCluster): ElectionSnapshot | undefined;
  /** Stops watching a cluster that is gone. */
  forget(namespace: string, name: string): void;
}

/** Used when master tracking is switched off: nothing is ever observed. */
export const NO_ELECTION: ElectionSource = {
  observe: () => undefined,
  forget: () => undefined,
};
