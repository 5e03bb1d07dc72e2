// Watches (list + watch, cached) of BrokerClusters and of every kind the
// operator owns, in all namespaces or in the ones it was told to watch.
// Reads in reconcile come from these caches, never from extra GETs.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { KIND } from '../api/group';
import { MANAGED_SELECTOR } from '../metadata/labels';
import type { KubeClients } from './client';
import type { Logger } from '../observability/logger';
import { Informer } from './informer';
import { pathOf } from './kinds';

export interface WatchedKind {
  kind: string;
  labelSelector?: string;
}

export const BROKER_CLUSTERS: WatchedKind = { kind: KIND };

/** Kinds owned by a BrokerCluster; only objects labelled as managed by amq-keeper are cached. */
export const OWNED_KINDS: WatchedKind[] = ['Pod', 'Service', 'ConfigMap', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'NetworkPolicy'].map((kind) => ({
  kind,
  labelSelector: MANAGED_SELECTOR,
}));

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
    const path = pathOf(w.kind, namespace);
    // Plain JSON: the informer trims and caches the items as they come.
    const list = () => this.kube.rest.get<KubernetesListObject<KubernetesObject>>(path, { labelSelector: w.labelSelector });
    return new Informer(this.kube.config, path, list, w.labelSelector, (o, event) => onChange(w.kind, o, event), {
      onError: (err) => this.log.warn('watch failed, resuming', { path, error: String(err) }),
      // Routine after a long disconnection or an etcd compaction; logged so that the relist can be seen.
      onExpired: (message) => this.log.info('watch expired (410 Gone), listing again', { path, detail: message }),
    });
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
