// One volume claim per node. Owned by the cluster (and so deleted with it)
// only when persistence.deleteClaim is true: deleting a BrokerCluster never
// deletes messages by default.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName } from '../api/cluster';
import { componentLabels, LABEL_NODE, type Component } from '../metadata/labels';
import { ownedMeta } from './object-meta';

export function buildPvc(c: BrokerCluster, component: Component, name: string, i: number, size: string): V1PersistentVolumeClaim {
  const n = clusterName(c);
  const p = c.spec.persistence;
  const labels = { ...componentLabels(n, component), [LABEL_NODE]: String(i) };
  const pvc: V1PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: ownedMeta(c, name, labels, p.deleteClaim),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: size } },
    },
  };
  if (p.storageClassName !== undefined && pvc.spec) pvc.spec.storageClassName = p.storageClassName;
  return pvc;
}
