// Where each kind the operator reads or writes lives in the API. A fixed table
// rather than discovery: the operator only ever touches these kinds, and a
// kind missing here is a programming error, not something to look up.
import { API_VERSION, KIND, PLURAL } from '../api/group';

export interface KindInfo {
  apiVersion: string;
  /** URL path of the group version, e.g. "api/v1" or "apis/policy/v1". */
  group: string;
  plural: string;
  namespaced: boolean;
}

function info(apiVersion: string, plural: string, namespaced = true): KindInfo {
  return { apiVersion, group: apiVersion.includes('/') ? `apis/${apiVersion}` : `api/${apiVersion}`, plural, namespaced };
}

export const KINDS: Readonly<Record<string, KindInfo>> = {
  Pod: info('v1', 'pods'),
  Service: info('v1', 'services'),
  ConfigMap: info('v1', 'configmaps'),
  Secret: info('v1', 'secrets'),
  PersistentVolumeClaim: info('v1', 'persistentvolumeclaims'),
  PodDisruptionBudget: info('policy/v1', 'poddisruptionbudgets'),
  NetworkPolicy: info('networking.k8s.io/v1', 'networkpolicies'),
  Event: info('events.k8s.io/v1', 'events'),
  Lease: info('coordination.k8s.io/v1', 'leases'),
  StorageClass: info('storage.k8s.io/v1', 'storageclasses', false),
  Node: info('v1', 'nodes', false),
  PersistentVolume: info('v1', 'persistentvolumes', false),
  [KIND]: info(API_VERSION, PLURAL),
};

export function kindInfo(kind: string | undefined): KindInfo {
  const k = kind === undefined ? undefined : KINDS[kind];
  if (!k) throw new Error(`kind ${kind ?? '(none)'} is not in the operator's kind table`);
  return k;
}

/**
 * URL path of a collection (no name) or of one object. namespace undefined:
 * across all namespaces (or a cluster-scoped kind).
 */
export function pathOf(kind: string | undefined, namespace?: string, name?: string, subresource?: string): string {
  const k = kindInfo(kind);
  const ns = k.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `/${k.group}${ns}/${k.plural}${obj}${subresource && name !== undefined ? `/${subresource}` : ''}`;
}
