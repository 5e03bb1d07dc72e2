// Watches (list + watch, cached) of BrokerClusters and of every kind the
// operator owns, in all namespaces or in the ones it was told to watch.
// Reads in reconcile come from these caches, never from extra GETs.
import { makeInformer, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { API_VERSION, KIND, PLURAL } from '../api/group';
import { MANAGED_SELECTOR } from '../metadata/labels';
import type { KubeClients } from './client';
import type { Logger } from '../observability/logger';

export interface WatchedKind {
  apiVersion: string;
  kind: string;
  /** URL path segment of the collection, e.g. "api/v1" + "pods". */
  group: string;
  plural: string;
  labelSelector?: string;
}

export const BROKER_CLUSTERS: WatchedKind = { apiVersion: API_VERSION, kind: KIND, group: `apis/${API_VERSION}`, plural: PLURAL };

/** Kinds owned by a BrokerCluster; only objects labelled as managed by amq-keeper are cached. */
export const OWNED_KINDS: WatchedKind[] = [
  { apiVersion: 'v1', kind: 'Pod', group: 'api/v1', plural: 'pods', labelSelector: MANAGED_SELECTOR },
  { apiVersion: 'v1', kind: 'Service', group: 'api/v1', plural: 'services', labelSelector: MANAGED_SELECTOR },
  { apiVersion: 'v1', kind: 'ConfigMap', group: 'api/v1', plural: 'configmaps', labelSelector: MANAGED_SELECTOR },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', group: 'api/v1', plural: 'persistentvolumeclaims', labelSelector: MANAGED_SELECTOR },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', group: 'apis/policy/v1', plural: 'poddisruptionbudgets', labelSelector: MANAGED_SELECTOR },
];

export type ChangeHandler = (kind: string, obj: KubernetesObject, event: 'add' | 'update' | 'delete') => void;

type CachedInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

const RESTART_DELAY_MS = 2000;

/** namespaces: undefined for all namespaces. */
export class Informers {
  private readonly informers = new Map<string, CachedInformer[]>();
  private stopped = false;

  constructor(
    private readonly kube: KubeClients,
    private readonly namespaces: readonly string[] | undefined,
    private readonly log: Logger,
  ) {}

  private make(w: WatchedKind, namespace: string | undefined, onChange: ChangeHandler): CachedInformer {
    const path = namespace ? `/${w.group}/namespaces/${namespace}/${w.plural}` : `/${w.group}/${w.plural}`;
    const list = () =>
      this.kube.objects.list<KubernetesObject>(w.apiVersion, w.kind, namespace, undefined, undefined, undefined, undefined, w.labelSelector);
    const inf = makeInformer<KubernetesObject>(this.kube.config, path, list, w.labelSelector);
    inf.on('add', (o) => onChange(w.kind, o, 'add'));
    inf.on('update', (o) => onChange(w.kind, o, 'update'));
    inf.on('delete', (o) => onChange(w.kind, o, 'delete'));
    inf.on('error', (err) => {
      if (this.stopped) return;
      // The client does not restart a failed watch by itself.
      this.log.warn('watch failed, restarting', { path, error: String(err) });
      setTimeout(() => {
        if (!this.stopped) inf.start().catch((e: unknown) => this.log.warn('watch restart failed', { path, error: String(e) }));
      }, RESTART_DELAY_MS);
    });
    return inf;
  }

  /** Starts every watch and resolves once each has listed its objects. */
  async start(onChange: ChangeHandler): Promise<void> {
    const scopes = this.namespaces ?? [undefined];
    const all: Promise<void>[] = [];
    for (const w of [BROKER_CLUSTERS, ...OWNED_KINDS]) {
      const infs = scopes.map((ns) => this.make(w, ns, onChange));
      this.informers.set(w.kind, infs);
      all.push(...infs.map((i) => i.start()));
    }
    await Promise.all(all);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.informers.values()].flat().map((i) => i.stop()));
  }

  get<T extends KubernetesObject>(kind: string, namespace: string, name: string): T | undefined {
    for (const inf of this.informers.get(kind) ?? []) {
      const o = inf.get(name, namespace);
      if (o) return o as T;
    }
    return undefined;
  }

  list<T extends KubernetesObject>(kind: string, namespace?: string): T[] {
    return (this.informers.get(kind) ?? []).flatMap((inf) => inf.list(namespace) as T[]);
  }
}
