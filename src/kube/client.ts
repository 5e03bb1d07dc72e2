// One place that turns a kubeconfig into the API access the operator uses:
// the kubeconfig itself (watches go through the library's Watch) and the
// REST helper for every list, read and write.
import { KubeConfig, type V1StorageClass } from '@kubernetes/client-node';
import { pathOf } from './kinds';
import { KubeRest } from './rest';

export interface KubeClients {
  config: KubeConfig;
  rest: KubeRest;
  /** The one cluster-scoped read of a reconcile. */
  storage: { readStorageClass(p: { name: string }): Promise<V1StorageClass> };
}

/** Loads KUBECONFIG (or the given file), or the in-cluster service account. */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

export function makeClients(config: KubeConfig): KubeClients {
  const rest = new KubeRest(config);
  return {
    config,
    rest,
    storage: { readStorageClass: ({ name }) => rest.get<V1StorageClass>(pathOf('StorageClass', undefined, name)) },
  };
}

/** HTTP status of an error thrown by a request, if it carries one. */
export function statusCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 422: 'Invalid', 429: 'TooManyRequests' };

/** A short, bounded name for an error, for a metric label: the API status reason, ServerError, or the error's class. */
export function errorReason(err: unknown): string {
  const code = statusCode(err);
  if (code !== undefined) return REASONS[code] ?? (code >= 500 ? 'ServerError' : `HTTP${code}`);
  return err instanceof Error ? err.name : 'Error';
}

/** The API server's message of a request error, else the error's own. */
export function errorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'body' in err) {
    const body = (err as { body: unknown }).body;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    try {
      const parsed = JSON.parse(text) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      // not JSON: fall through
    }
    if (text) return text;
  }
  return err instanceof Error ? err.message : String(err);
}
