// Observe: one snapshot of everything a reconcile decides from. Reads come
// from the caches, the election source and the replication guard; the only
// extra reads are StorageClasses (the one the spec names, and those of broker
// claims smaller than spec.persistence.size), the credentials and TLS Secrets, the
// group znode's ACL while brokers run an older Secret, and, while the managed
// ensemble rolls, its servers' modes, and the nodes of pods that are not Ready
// (with their claims' volumes where such a node is not Ready either).
import type { KubernetesObject, V1Pod, V1Secret } from '@kubernetes/client-node';
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
import type { OperatorPeer } from '../resources/network-policies';
import { claimFacts } from './claim-facts';
import { withWrittenStatus, type ClusterMemory } from './cluster-memory';
import { zkModes, type ZkModes } from './zk-modes';
import { podNodes, type PodNode } from './node-facts';
import { pathOf } from '../kube/kinds';
import type { GroupDigest } from '../zk/group-digest';
import { clusterName, range } from '../api/cluster';
import { names } from '../metadata/names';
import { ANNOTATION_CREDENTIALS } from '../metadata/labels';
import type { ClusterCredentials } from '../model/credentials';
import { credentialsSecretOf, readCredentials } from '../resources/credentials-secret';
import type { ClusterTls } from '../model/tls';
import { readTls } from '../resources/broker-tls';

/** The cluster's logins, or why there are none yet. */
export type CredentialsFacts =
  | { state: 'found'; credentials: ClusterCredentials }
  | { state: 'missing'; secret: string; generated: boolean }
  | { state: 'invalid'; secret: string; generated: boolean; missingKeys: string[] };

/** The certificate's Secret (spec.tls), or why it cannot be used; undefined without spec.tls. */
export type TlsFacts = { state: 'found'; tls: ClusterTls } | { state: 'missing'; secret: string } | { state: 'invalid'; secret: string; missingKeys: string[] };

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
  /** Where the operator runs, for the NetworkPolicies; undefined when not known. */
  operator?: OperatorPeer;
  credentials: CredentialsFacts;
  tls?: TlsFacts;
  /**
   * Whether the Secret's zookeeper-password still opens the group znode; read
   * only while some broker pod runs an older version of the Secret.
   */
  zkGroup?: GroupDigest;
  now: Date;
}

export interface ObserveDeps {
  kube: KubeClients;
  cache: Informers;
  election: ElectionSource;
  replication?: ReplicationGuard;
  operator?: OperatorPeer;
  /** Reads which password the group znode was made with; undefined without master tracking. */
  groupDigest?: (c: BrokerCluster, password: string) => Promise<GroupDigest>;
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

/**
 * How long a StorageClass or Secret read is reused: a master switch must not
 * wait behind reads on every reconcile, and a changed Secret is seen within
 * this time.
 */
export const READ_TTL_MS = 30_000;
type KeptRead = { at: number; read: Promise<unknown> };
const keptReads = new WeakMap<ObserveDeps, Map<string, KeptRead>>();

/** keep: whether a result is reused (a failed read never is). */
function keptRead<T>(d: ObserveDeps, key: string, read: () => Promise<T>, keep: (v: T) => boolean = () => true): Promise<T> {
  const kept = keptReads.get(d) ?? new Map<string, KeptRead>();
  keptReads.set(d, kept);
  const now = d.now().getTime();
  const k = kept.get(key);
  if (k && now - k.at < READ_TTL_MS) return k.read as Promise<T>;
  const p = read();
  kept.set(key, { at: now, read: p });
  p.then(
    (v) => keep(v) || kept.delete(key),
    () => kept.delete(key),
  );
  return p;
}

async function specFacts(d: ObserveDeps, c: BrokerCluster, live: LiveLookup): Promise<SpecFacts> {
  const readClass = (name: string) => keptRead(d, pathOf('StorageClass', undefined, name), () => readStorageClass(d, name));
  const sc = c.spec.persistence.storageClassName;
  const named: SpecFacts = sc ? { storageClassExists: (await readClass(sc)) !== undefined } : {};
  return { ...named, ...(await claimFacts(c, live, readClass)) };
}

/**
 * Before broker pods are rolled onto a changed Secret: a changed
 * zookeeper-password would lock each of them out of the group. Unknown (no
 * read, or ZooKeeper not answering) is not a reason to stop.
 */
async function zkGroupFacts(d: ObserveDeps, c: BrokerCluster, creds: CredentialsFacts, live: LiveLookup): Promise<GroupDigest | undefined> {
  const read = d.groupDigest;
  if (!read || creds.state !== 'found' || creds.credentials.zookeeperPassword === undefined) return undefined;
  const { version, zookeeperPassword } = creds.credentials;
  const pods = range(c.spec.replicas).map((i) => live<V1Pod>('Pod', names.brokerPod(clusterName(c), i)));
  if (!pods.some((p) => p && p.metadata?.annotations?.[ANNOTATION_CREDENTIALS] !== version)) return undefined;
  try {
    return await keptRead(d, `zookeeper-acl:${c.metadata.uid}:${version}`, () => read(c, zookeeperPassword));
  } catch {
    return undefined;
  }
}

/** A Secret of the cluster's namespace, read by name (the operator never lists Secrets). */
function readSecret(d: ObserveDeps, c: BrokerCluster, name: string): Promise<V1Secret | undefined> {
  const path = pathOf('Secret', c.metadata.namespace, name);
  // A missing Secret is not kept: it is about to be created, by the operator or by a person.
  return keptRead(
    d,
    path,
    () => unlessMissing(d.kube.rest.get<V1Secret>(path)),
    (s) => s !== undefined,
  );
}

async function credentialsFacts(d: ObserveDeps, c: BrokerCluster): Promise<CredentialsFacts> {
  const { name, generated } = credentialsSecretOf(c);
  const secret = await readSecret(d, c, name);
  if (!secret) return { state: 'missing', secret: name, generated };
  const read = readCredentials(secret);
  return 'credentials' in read
    ? { state: 'found', credentials: read.credentials }
    : { state: 'invalid', secret: name, generated, missingKeys: read.missingKeys };
}

async function tlsFacts(d: ObserveDeps, c: BrokerCluster): Promise<TlsFacts | undefined> {
  const name = c.spec.tls?.secretName;
  if (name === undefined) return undefined;
  const secret = await readSecret(d, c, name);
  if (!secret) return { state: 'missing', secret: name };
  const read = readTls(secret);
  return 'tls' in read ? { state: 'found', tls: read.tls } : { state: 'invalid', secret: name, missingKeys: read.missingKeys };
}

export async function observe(d: ObserveDeps, cached: BrokerCluster, memory: ClusterMemory): Promise<Observation> {
  const c: BrokerCluster = withWrittenStatus({ ...cached, spec: withDefaults(cached.spec) }, memory);
  const namespace = c.metadata.namespace ?? '';
  const election = d.election.observe(c);
  const live: LiveLookup = (kind, name) => d.cache.get(kind, namespace, name);
  const credentials = await credentialsFacts(d, c);
  const tls = await tlsFacts(d, c);
  // The admin login, and with spec.tls the CA the console's certificate must chain to.
  const consoleAccess = credentials.state === 'found' ? { admin: credentials.credentials.admin, tls: tls?.state === 'found' ? tls.tls : undefined } : undefined;
  return {
    cluster: c,
    live,
    facts: await specFacts(d, c, live),
    election,
    // Also while the spec is refused: a slave that rejoined is brought in sync whatever the spec says.
    sync: d.replication?.check(c, election, consoleAccess),
    zkModes: await zkModes(c, live),
    podNodes: await podNodes(c, live, (kind, name) => readClusterObject(d, kind, name)),
    credentials,
    tls,
    zkGroup: await zkGroupFacts(d, c, credentials, live),
    operator: d.operator,
    now: d.now(),
  };
}
