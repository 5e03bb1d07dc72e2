// One typed way for the tests to reach a control plane: kubectl, JSON reads
// with the project's types, and waits that poll with a deadline.
import assert from 'node:assert/strict';
import type { EventsV1Event, KubernetesObject, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { BrokerCluster, Condition } from '../../src/api/types';
import type { ClusterCredentials, Login } from '../../src/model/credentials';
import { readCredentials } from '../../src/resources/credentials-secret';
import { eventually } from './eventually';
import { kubectl, kubectlOk, type Result } from './kubectl';

/** The kinds a BrokerCluster owns, as kubectl names them. */
const OWNED_KINDS = ['pods', 'services', 'configmaps', 'poddisruptionbudgets', 'persistentvolumeclaims', 'networkpolicies'] as const;

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  what?: string;
  explain?: () => Promise<string> | string;
}

export interface SettleOptions extends WaitOptions {
  namespace?: string;
  /** Wait for a master other than this pod (the one just killed). */
  not?: string;
  /**
   * Throws unless the rest of the system agrees that `pod`, the master the
   * status names, is master: ZooKeeper, the master Service, a serving port.
   */
  agrees?: (pod: string, bc: BrokerCluster) => Promise<void> | void;
}

/** The BrokerCluster helpers work in the namespace given to clusterAccess unless told another. */
export interface ClusterAccess {
  /** kubectl that must succeed; its stdout. */
  k(args: string[], input?: string): Promise<string>;
  /** kubectl whatever it exits with: for what the API server must refuse. */
  kubectl(args: string[], input?: string): Promise<Result>;
  getJson<T>(args: string[]): Promise<T>;
  /** The items of a `kubectl get` list. */
  items<T>(args: string[]): Promise<T[]>;
  apply(obj: object): Promise<string>;
  /** Asserts that the API server refuses to apply `obj`, with a message matching `message`. */
  refuses(obj: object, message: RegExp, opts?: { dryRun?: boolean }): Promise<void>;
  cluster(name: string, namespace?: string): Promise<BrokerCluster>;
  condition(name: string, type: string, namespace?: string): Promise<Condition | undefined>;
  /** Waits until `check` passes on the BrokerCluster as read; returns what it returns. */
  untilCluster<T>(name: string, check: (bc: BrokerCluster) => Promise<T> | T, opts?: WaitOptions & { namespace?: string }): Promise<T>;
  /** Every object labelled as the cluster's own (claims included). */
  owned(name: string, namespace?: string): Promise<KubernetesObject[]>;
  /** events.k8s.io Events about the cluster with this reason. */
  events(name: string, reason: string, namespace?: string): Promise<EventsV1Event[]>;
  /** The <name>-connection ConfigMap, once the operator wrote it. */
  connection(name: string, namespace?: string): Promise<V1ConfigMap>;
  /** The published failover URL, made local (localUrl). */
  localFailoverUrl(name: string, namespace?: string): Promise<string>;
  /** A credentials Secret, decoded once it exists; fails naming the keys it lacks. */
  credentials(secret: string, namespace?: string): Promise<ClusterCredentials>;
  /** The logins in the Secret the connection ConfigMap names. */
  logins(name: string, namespace?: string): Promise<{ app: Login; admin: Login }>;
  /**
   * Waits until the status names a master (other than `not`) and `agrees`
   * holds for it; returns the master's pod. Without `agrees` that is only
   * what the operator reports. 120 s unless timeoutMs says otherwise.
   */
  settledMaster(name: string, opts?: SettleOptions): Promise<string>;
}

/** A published URL with the node Services of cluster `name` replaced by 127.0.0.1, where the tests run the brokers. */
export function localUrl(url: string, name: string, namespace: string): string {
  return url.replace(new RegExp(`${name}-broker-\\d+\\.${namespace}\\.svc`, 'g'), '127.0.0.1');
}

/**
 * kubeconfig may be a function, so a test can make this at load time, before
 * its control plane runs.
 */
export function clusterAccess(kubeconfig: string | (() => string), namespace = 'default'): ClusterAccess {
  const config = typeof kubeconfig === 'string' ? () => kubeconfig : kubeconfig;
  const k = (args: string[], input?: string) => kubectlOk(config(), args, input);
  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await k([...args, '-o', 'json'])) as T;
  const items = async <T>(args: string[]): Promise<T[]> => (await getJson<{ items: T[] }>(args)).items;
  const cluster = (name: string, ns = namespace) => getJson<BrokerCluster>(['-n', ns, 'get', 'brokercluster', name]);
  const credentials = async (secret: string, ns = namespace): Promise<ClusterCredentials> => {
    const read = readCredentials(await eventually(() => getJson<V1Secret>(['-n', ns, 'get', 'secret', secret]), { what: `${ns}/${secret}`, intervalMs: 200 }));
    if (!('credentials' in read)) throw new Error(`Secret ${ns}/${secret} lacks ${read.missingKeys.join(', ')}`);
    return read.credentials;
  };
  const connection = (name: string, ns = namespace) =>
    eventually(() => getJson<V1ConfigMap>(['-n', ns, 'get', 'configmap', `${name}-connection`]), { what: `${ns}/${name}-connection` });
  return {
    k,
    kubectl: (args, input) => kubectl(config(), args, input),
    getJson,
    items,
    apply: (obj) => k(['apply', '-f', '-'], stringify(obj)),
    refuses: async (obj, message, { dryRun = false } = {}) => {
      const r = await kubectl(config(), ['apply', ...(dryRun ? ['--dry-run=server'] : []), '-f', '-'], stringify(obj));
      assert.notEqual(r.code, 0, `accepted: ${JSON.stringify(obj)}`);
      assert.match(r.stderr, message);
    },
    cluster,
    condition: async (name, type, ns) => (await cluster(name, ns)).status?.conditions?.find((c) => c.type === type),
    untilCluster: (name, check, { namespace: ns = namespace, ...wait } = {}) =>
      eventually(async () => check(await cluster(name, ns)), { what: `${ns}/${name}`, ...wait }),
    owned: (name, ns = namespace) => items<KubernetesObject>(['-n', ns, 'get', OWNED_KINDS.join(','), '-l', `amqkeeper.io/cluster=${name}`]),
    events: (name, reason, ns = namespace) =>
      items<EventsV1Event>(['-n', ns, 'get', 'events.v1.events.k8s.io', '--field-selector', `regarding.name=${name},reason=${reason}`]),
    connection,
    localFailoverUrl: async (name, ns = namespace) => localUrl((await connection(name, ns)).data?.failoverUrl ?? '', name, ns),
    credentials,
    logins: async (name, ns = namespace) => {
      const { app, admin } = await credentials((await connection(name, ns)).data?.credentialsSecret ?? '', ns);
      return { app, admin };
    },
    settledMaster: (name, { namespace: ns, not, agrees, ...wait } = {}) =>
      eventually(
        async () => {
          const bc = await cluster(name, ns);
          const pod = bc.status?.master;
          assert.ok(pod, 'the status names a master');
          assert.notEqual(pod, not, `still ${not}`);
          await agrees?.(pod, bc);
          return pod;
        },
        { timeoutMs: 120_000, intervalMs: 250, what: 'a settled master', ...wait },
      ),
  };
}
