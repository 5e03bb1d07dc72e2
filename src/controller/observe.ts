// Observe: one snapshot of everything a reconcile decides from. Reads come
// from the caches, the election source and the replication guard; the only
// extra read is whether a named StorageClass exists.
import type { KubernetesObject } from '@kubernetes/client-node';
import { KIND } from '../api/group';
import { withDefaults } from '../api/defaults';
import type { SpecFacts } from '../api/spec-checks';
import type { BrokerCluster } from '../api/types';
import type { ElectionSnapshot, ElectionSource } from '../model/election';
import { splitKey } from '../model/cluster-key';
import type { KubeClients } from '../kube/client';
import { statusCode } from '../kube/client';
import type { Informers } from '../kube/informers';
import type { ReplicationGuard } from '../replication/replication-guard';
import type { SyncVerdict } from '../replication/replica-sync';
import { withWrittenStatus, type ClusterMemory } from './cluster-memory';

/** The live copy of an owned object in the cluster's namespace, from the caches. */
export type LiveLookup = <T extends KubernetesObject>(kind: string, name: string) => T | undefined;

export interface Observation {
  /** Defaults applied; the status is the one we last wrote while the cache has not caught up with it. */
  cluster: BrokerCluster;
  live: LiveLookup;
  facts: SpecFacts;
  /** undefined when master tracking is off. */
  election?: ElectionSnapshot;
  /** undefined while the group is not known, or when master tracking is off. */
  sync?: SyncVerdict;
  now: Date;
}

export interface ObserveDeps {
  kube: KubeClients;
  cache: Informers;
  election: ElectionSource;
  replication?: ReplicationGuard;
  now: () => Date;
}

/** The cluster behind key as the cache holds it (deleted or not); undefined once it is gone. */
export function cachedCluster(d: ObserveDeps, key: string): BrokerCluster | undefined {
  const { namespace, name } = splitKey(key);
  return d.cache.get<BrokerCluster>(KIND, namespace, name);
}

async function specFacts(d: ObserveDeps, c: BrokerCluster): Promise<SpecFacts> {
  const sc = c.spec.persistence.storageClassName;
  if (!sc) return {};
  try {
    await d.kube.storage.readStorageClass({ name: sc });
    return { storageClassExists: true };
  } catch (err) {
    if (statusCode(err) === 404) return { storageClassExists: false };
    throw err;
  }
}

export async function observe(d: ObserveDeps, cached: BrokerCluster, memory: ClusterMemory): Promise<Observation> {
  const c: BrokerCluster = withWrittenStatus({ ...cached, spec: withDefaults(cached.spec) }, memory);
  const namespace = c.metadata.namespace ?? '';
  const election = d.election.observe(c);
  return {
    cluster: c,
    live: (kind, name) => d.cache.get(kind, namespace, name),
    facts: await specFacts(d, c),
    election,
    // Also while the spec is refused: a slave that rejoined is brought in sync whatever the spec says.
    sync: d.replication?.check(c, election),
    now: d.now(),
  };
}
