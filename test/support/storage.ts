// Volumes for a control plane without a storage provisioner, so that pods
// with claims can be scheduled onto kwok nodes by the real kube-scheduler: a
// StorageClass with no provisioner and Immediate binding, plus hostPath
// PersistentVolumes the controller-manager's PV binder hands to the claims.
// Nothing is ever mounted (kwok has no kubelet); the paths are only names.
import { stringify } from 'yaml';
import { kubectlOk } from './kubectl';

export interface LocalStorageOptions {
  /** StorageClass name; set the BrokerCluster's persistence.storageClassName to it. Default "local". */
  storageClassName?: string;
  /** PersistentVolumes to create; one per claim (brokers, plus ZooKeeper nodes if the operator runs them). Default 3. */
  volumes?: number;
  /** Capacity of each volume; at least persistence.size (default 10Gi). */
  size?: string;
  /** Volume names are <prefix>-<i>. Default "<storageClassName>-pv". */
  namePrefix?: string;
  /** The class's allowVolumeExpansion; unset by default. */
  allowVolumeExpansion?: boolean;
}

/**
 * Creates (or updates) the StorageClass and `volumes` PersistentVolumes.
 * Returns the StorageClass name. Idempotent: applies, never fails on existing.
 */
export async function provisionLocalVolumes(kubeconfig: string, o: LocalStorageOptions = {}): Promise<string> {
  const sc = o.storageClassName ?? 'local';
  const count = o.volumes ?? 3;
  const size = o.size ?? '10Gi';
  const prefix = o.namePrefix ?? `${sc}-pv`;
  const objects: unknown[] = [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: sc },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'Immediate',
      reclaimPolicy: 'Retain',
      ...(o.allowVolumeExpansion === undefined ? {} : { allowVolumeExpansion: o.allowVolumeExpansion }),
    },
  ];
  for (let i = 0; i < count; i++) {
    objects.push({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `${prefix}-${i}`, labels: { 'amqkeeper.io/test-storage': sc } },
      spec: {
        storageClassName: sc,
        capacity: { storage: size },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: `/var/lib/amq-keeper-test/${prefix}-${i}`, type: 'DirectoryOrCreate' },
      },
    });
  }
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], objects.map((x) => stringify(x)).join('---\n'));
  return sc;
}
