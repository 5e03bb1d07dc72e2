// One place that turns a kubeconfig into the API clients the operator uses.
import { CoreV1Api, CustomObjectsApi, EventsV1Api, KubeConfig, KubernetesObjectApi, StorageV1Api } from '@kubernetes/client-node';

export interface KubeClients {
  config: KubeConfig;
  objects: KubernetesObjectApi;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  events: EventsV1Api;
  storage: StorageV1Api;
}

/** Loads KUBECONFIG (or the given file), or the in-cluster service account. */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

export function makeClients(config: KubeConfig): KubeClients {
  return {
    config,
    objects: KubernetesObjectApi.makeApiClient(config),
    core: config.makeApiClient(CoreV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    events: config.makeApiClient(EventsV1Api),
    storage: config.makeApiClient(StorageV1Api),
  };
}

/** HTTP status of an error thrown by the client, if it carries one. */
export function statusCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The API server's message of a client error, else the error's own. */
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
