// A list+watch cache of one collection. Written here rather than taken from
// the client because every cached object is trimmed first (managedFields are
// most of a server-side-applied object and the operator never reads them), and
// because a lost watch must resume or re-list by itself, not wait for the caller.
import { Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler = (obj: KubernetesObject, event: InformerEvent) => void;
export type ListFn = () => Promise<KubernetesListObject<KubernetesObject>>;

const RETRY_MS = 1000;
const GONE = 410;

/** Drops what the operator never reads from a cached object. */
export function trim(obj: KubernetesObject): KubernetesObject {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function keyOf(o: KubernetesObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

export class Informer {
  private readonly items = new Map<string, KubernetesObject>();
  private resourceVersion = '';
  private abort: AbortController | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: KubeConfig,
    private readonly path: string,
    private readonly list: ListFn,
    private readonly labelSelector: string | undefined,
    private readonly handler: InformerHandler,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Lists, fills the cache, starts watching; resolves after the first successful list. */
  async start(): Promise<void> {
    for (;;) {
      try {
        return await this.relist();
      } catch (err) {
        // An API server that is starting or throttling (429) answers later.
        if (this.stopped) return;
        this.onError(err);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.abort?.abort();
  }

  get(namespace: string, name: string): KubernetesObject | undefined {
    return this.items.get(`${namespace}/${name}`);
  }

  values(namespace?: string): KubernetesObject[] {
    const all = [...this.items.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  private async relist(): Promise<void> {
    const res = await this.list();
    const seen = new Set<string>();
    for (const raw of res.items) {
      // List items come without apiVersion and kind; the collection's name them.
      const obj = trim({ ...raw, apiVersion: raw.apiVersion ?? res.apiVersion, kind: raw.kind ?? res.kind?.replace(/List$/, '') });
      const key = keyOf(obj);
      seen.add(key);
      const old = this.items.get(key);
      this.items.set(key, obj);
      if (!old) this.handler(obj, 'add');
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.handler(obj, 'update');
    }
    for (const [key, old] of this.items) {
      if (!seen.has(key)) {
        this.items.delete(key);
        this.handler(old, 'delete');
      }
    }
    this.resourceVersion = res.metadata?.resourceVersion ?? '';
    await this.watch();
  }

  private later(fn: () => Promise<void>, delayMs = RETRY_MS): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      fn().catch((err: unknown) => {
        this.onError(err);
        this.later(() => this.relist());
      });
    }, delayMs);
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let gone = false;
    const w = new Watch(this.config);
    this.abort = await w.watch(
      this.path,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, labelSelector: this.labelSelector },
      (phase: string, apiObj: KubernetesObject & { code?: number }) => {
        if (phase === 'ERROR') {
          gone = apiObj.code === GONE;
          return;
        }
        const rv = apiObj.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (phase === 'BOOKMARK') return;
        const obj = trim(apiObj);
        const key = keyOf(obj);
        if (phase === 'DELETED') {
          this.items.delete(key);
          this.handler(obj, 'delete');
        } else {
          const existed = this.items.has(key);
          this.items.set(key, obj);
          this.handler(obj, existed ? 'update' : 'add');
        }
      },
      (err: unknown) => {
        if (this.stopped) return;
        if (err) this.onError(err);
        // A watch the server closed resumes where it stopped; an expired
        // resourceVersion or a failed connection means listing again.
        if (gone || err) this.later(() => this.relist());
        else this.later(() => this.watch(), 0);
      },
    );
  }
}
