// Watches (list + watch, cached) of BrokerClusters and of every kind the
// operator owns, in all namespaces or in the ones it was told to watch.
// Reads in reconcile come from these caches, never from extra GETs.
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, KIND, PLURAL } from '../api/group';
import { MANAGED_SELECTOR } from '../metadata/labels';
import type { KubeClients } from './client';
import type { Logger } from '../observability/logger';
import { Informer } from './informer';

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

/** namespaces: undefined for all namespaces. */
export class Informers {
  private readonly informers = new Map<string, Informer[]>();

  constructor(
    private readonly kube: KubeClients,
    private readonly namespaces: readonly string[] | undefined,
    private readonly log: Logger,
  ) {}

  private make(w: WatchedKind, namespace: string | undefined, onChange: ChangeHandler): Informer {
    const path = namespace ? `/${w.group}/namespaces/${namespace}/${w.plural}` : `/${w.group}/${w.plural}`;
    const list = () =>
      this.kube.objects.list<KubernetesObject>(w.apiVersion, w.kind, namespace, undefined, undefined, undefined, undefined, w.labelSelector);
    return new Informer(
      this.kube.config,
      path,
      list,
      w.labelSelector,
      (o, event) => onChange(w.kind, o, event),
      (err) => this.log.warn('watch failed, resuming', { path, error: String(err) }),
    );
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
    for (const i of [...this.informers.values()].flat()) i.stop();
  }

  get<T extends KubernetesObject>(kind: string, namespace: string, name: string): T | undefined {
    for (const inf of this.informers.get(kind) ?? []) {
      const o = inf.get(namespace, name);
      if (o) return o as T;
    }
    return undefined;
  }

  list<T extends KubernetesObject>(kind: string, namespace?: string): T[] {
    return (this.informers.get(kind) ?? []).flatMap((inf) => inf.values(namespace) as T[]);
  }
}
