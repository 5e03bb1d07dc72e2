// A list+watch cache of one collection. Written here rather than taken from
// the client because every cached object is trimmed first (managedFields are
// most of a server-side-applied object and the operator never reads them), and
// because a lost watch must resume or re-list by itself, not wait for the caller.
import { Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler = (obj: KubernetesObject, event: InformerEvent) => void;
export type ListFn = () => Promise<KubernetesListObject<KubernetesObject>>;

export interface InformerHooks {
  /** A list or a watch failed; the informer tries again by itself. */
  onError(err: unknown): void;
  /** The watch's resourceVersion is gone from the server's history (410 Gone): the informer lists again. */
  onExpired(message: string): void;
}

export const RETRY_MS = 1000;
const GONE = 410;

/** What the informer does once a watch has ended. */
export interface NextStep {
  action: 'list' | 'watch';
  delayMs: number;
}

/** The HTTP status a failed watch request carries (the library's Watch sets statusCode). */
function watchStatus(err: unknown): number | undefined {
  const code = typeof err === 'object' && err !== null && 'statusCode' in err ? err.statusCode : undefined;
  return typeof code === 'number' ? code : undefined;
}

/**
 * After a watch ends. Only an expired resourceVersion (410 Gone, as an ERROR
 * event or as the answer's status) needs a new list. A failed connection
 * resumes from the last resourceVersion seen, as client-go's reflector does:
 * an API server that restarts costs no list, and one that comes back without
 * that history says 410, which lists.
 */
export function afterWatch(expired: boolean, err: unknown): NextStep {
  if (expired || watchStatus(err) === GONE) return { action: 'list', delayMs: RETRY_MS };
  return { action: 'watch', delayMs: err ? RETRY_MS : 0 };
}

/** Drops what the operator never reads from a cached object. */
export function trim(obj: KubernetesObject): KubernetesObject {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function keyOf(o: KubernetesObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

export interface Change {
  key: string;
  obj: KubernetesObject;
  event: InformerEvent;
}

/**
 * What a list does to the cache. Every listed object is handed on, as an
 * update when it was cached already, changed or not, as client-go's informers
 * do on a relist: a list follows an expired watch, typically an API server
 * that was away, and what failed meanwhile (a reconcile waiting out its
 * backoff) is tried again now that it answers. Cached objects not listed are
 * deleted.
 */
export function replaceWith(cached: ReadonlyMap<string, KubernetesObject>, listed: readonly KubernetesObject[]): Change[] {
  const seen = new Set<string>();
  const changes: Change[] = [];
  for (const obj of listed) {
    const key = keyOf(obj);
    seen.add(key);
    changes.push({ key, obj, event: cached.has(key) ? 'update' : 'add' });
  }
  for (const [key, obj] of cached) if (!seen.has(key)) changes.push({ key, obj, event: 'delete' });
  return changes;
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
    private readonly hooks: InformerHooks,
  ) {}

  /** Lists, fills the cache, starts watching; resolves after the first successful list. */
  async start(): Promise<void> {
    for (;;) {
      try {
        return await this.relist();
      } catch (err) {
        // An API server that is starting or throttling (429) answers later.
        if (this.stopped) return;
        this.hooks.onError(err);
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
    // List items come without apiVersion and kind; the collection's name them.
    const kind = res.kind?.replace(/List$/, '');
    const listed = res.items.map((raw) => trim({ ...raw, apiVersion: raw.apiVersion ?? res.apiVersion, kind: raw.kind ?? kind }));
    for (const c of replaceWith(this.items, listed)) {
      if (c.event === 'delete') this.items.delete(c.key);
      else this.items.set(c.key, c.obj);
      this.handler(c.obj, c.event);
    }
    this.resourceVersion = res.metadata?.resourceVersion ?? '';
    await this.watch();
  }

  private later(fn: () => Promise<void>, delayMs = RETRY_MS): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      fn().catch((err: unknown) => {
        this.hooks.onError(err);
        this.later(() => this.relist());
      });
    }, delayMs);
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let expired = false;
    const w = new Watch(this.config);
    this.abort = await w.watch(
      this.path,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, labelSelector: this.labelSelector },
      (phase: string, apiObj: KubernetesObject & { code?: number; message?: string }) => {
        if (phase === 'ERROR') {
          if (apiObj.code === GONE) {
            expired = true;
            this.hooks.onExpired(apiObj.message ?? 'resourceVersion expired');
          }
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
        if (err) this.hooks.onError(err);
        const next = afterWatch(expired, err);
        this.later(() => (next.action === 'list' ? this.relist() : this.watch()), next.delayMs);
      },
    );
  }
}
