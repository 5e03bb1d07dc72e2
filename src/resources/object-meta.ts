// Metadata shared by every owned object: labels, namespace and the owner
// reference that lets garbage collection follow the BrokerCluster.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../api/group';
import type { BrokerCluster } from '../api/types';
import { clusterName, clusterNamespace } from '../api/cluster';
import type { Labels } from '../metadata/labels';

export function ownerReference(c: BrokerCluster): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: clusterName(c),
    uid: c.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata of an object owned (garbage-collected) by the cluster unless owned is false. */
export function ownedMeta(c: BrokerCluster, name: string, labels: Labels, owned = true, annotations?: Labels): V1ObjectMeta {
  const meta: V1ObjectMeta = { name, namespace: clusterNamespace(c), labels };
  if (annotations && Object.keys(annotations).length > 0) meta.annotations = annotations;
  if (owned) meta.ownerReferences = [ownerReference(c)];
  return meta;
}
