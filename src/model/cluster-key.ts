// Work queue keys: "<namespace>/<name>" of a BrokerCluster, and which cluster an object belongs to.
import type { KubernetesObject } from '@kubernetes/client-node';
import { KIND } from '../api/group';
import { LABEL_CLUSTER } from '../metadata/labels';

export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The BrokerCluster an object belongs to: itself, or its owner by label. */
export function clusterKeyOf(kind: string, obj: KubernetesObject): string | undefined {
  const ns = obj.metadata?.namespace;
  if (!ns) return undefined;
  if (kind === KIND) return obj.metadata?.name ? keyOf(ns, obj.metadata.name) : undefined;
  const cluster = obj.metadata?.labels?.[LABEL_CLUSTER];
  return cluster ? keyOf(ns, cluster) : undefined;
}
