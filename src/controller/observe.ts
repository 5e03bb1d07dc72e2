// Observe: one snapshot of everything a reconcile decides from. Reads come
// from the caches, the election source and the replication guard; the only
// extra reads are StorageClasses (the one the spec names, and those of broker
// claims smaller than spec.persistence.size) and, while the managed ensemble
// rolls, its servers' modes, and the nodes of pods that are not Ready (with
// their claims' volumes where such a node is not Ready either).
import type { KubernetesObject, V1StorageClass } from '@kubernetes/client-node';
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
import { claimFacts } from './claim-facts';
import { withWrittenStatus, type ClusterMemory } from './cluster-memory';
import { zkModes, type ZkModes } from './zk-modes';
import { podNodes, type PodNode } from './node-facts';
import { pathOf } from '../kube/kinds';

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
  /** The managed ensemble's server modes, while its roll would restart a serving server. */
  zkModes?: ZkModes;
  /** The nodes of pods that are not Ready or are terminating, where those nodes are not Ready either. */
  podNodes?: PodNode[];
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

/** A read whose 404 means the object does not exist. */
async function unlessMissing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

const readStorageClass = (d: ObserveDeps, name: string) => unlessMissing(d.kube.storage.readStorageClass({ name }));
const readClusterObject = <T>(d: ObserveDeps, kind: 'Node' | 'PersistentVolume', name: string) =>
  unlessMissing(d.kube.rest.get<T>(pathOf(kind, undefined, name)));

/** How long a StorageClass read is reused: a master switch must not wait behind a read on every reconcile. */
export const STORAGE_CLASS_TTL_MS = 30_000;
const classReads = new WeakMap<ObserveDeps, Map<string, { at: number; read: Promise<V1StorageClass | undefined> }>>();

async function specFacts(d: ObserveDeps, c: BrokerCluster, live: LiveLookup): Promise<SpecFacts> {
  const classes = classReads.get(d) ?? new Map<string, { at: number; read: Promise<V1StorageClass | undefined> }>();
  classReads.set(d, classes);
  const readClass = (name: string) => {
    const now = d.now().getTime();
    const kept = classes.get(name);
    if (kept && now - kept.at < STORAGE_CLASS_TTL_MS) return kept.read;
    const read = readStorageClass(d, name);
    classes.set(name, { at: now, read });
    // A failed read is not kept.
    read.catch(() => classes.delete(name));
    return read;
  };
  const sc = c.spec.persistence.storageClassName;
  const named: SpecFacts = sc ? { storageClassExists: (await readClass(sc)) !== undefined } : {};
  return { ...named, ...(await claimFacts(c, live, readClass)) };
}

export async function observe(d: ObserveDeps, cached: BrokerCluster, memory: ClusterMemory): Promise<Observation> {
  const c: BrokerCluster = withWrittenStatus({ ...cached, spec: withDefaults(cached.spec) }, memory);
  const namespace = c.metadata.namespace ?? '';
  const election = d.election.observe(c);
  const live: LiveLookup = (kind, name) => d.cache.get(kind, namespace, name);
  return {
    cluster: c,
    live,
    facts: await specFacts(d, c, live),
    election,
    // Also while the spec is refused: a slave that rejoined is brought in sync whatever the spec says.
    sync: d.replication?.check(c, election),
    zkModes: await zkModes(c, live),
    podNodes: await podNodes(c, live, (kind, name) => readClusterObject(d, kind, name)),
    now: d.now(),
  };
}
