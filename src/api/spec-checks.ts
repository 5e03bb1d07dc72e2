// Problems with a spec that the API server accepted: some only deserve a
// Warning, others (blocking) mean the operator must not apply it.
import type { BrokerCluster } from './types';
import { isZkManaged } from './cluster';
import type { Problem } from '../status/warning';

export interface SpecFacts {
  /** undefined when no storageClassName is set or it was not looked up. */
  storageClassExists?: boolean;
}

export interface SpecCheck {
  blocking: Problem[];
  warnings: Problem[];
}

export function checkSpec(c: BrokerCluster, facts: SpecFacts): SpecCheck {
  const blocking: Problem[] = [];
  const warnings: Problem[] = [];
  const s = c.spec;
  if (facts.storageClassExists === false) {
    blocking.push({
      reason: 'StorageClassNotFound',
      field: 'spec.persistence.storageClassName',
      message: `StorageClass "${s.persistence.storageClassName ?? ''}" does not exist; create it or pick one from kubectl get storageclass`,
    });
  }
  if (s.replicas === 1) {
    warnings.push({ reason: 'NoReplication', field: 'spec.replicas', message: '1 node: nothing is replicated and there is no failover; use 3' });
  } else if (s.replicas === 2) {
    warnings.push({
      reason: 'NoFaultTolerance',
      field: 'spec.replicas',
      message: '2 nodes: the quorum is 2, so losing either node stops the cluster; use 3',
    });
  } else if (s.replicas % 2 === 0) {
    warnings.push({
      reason: 'EvenReplicas',
      field: 'spec.replicas',
      message: `${s.replicas} nodes tolerate no more failures than ${s.replicas - 1}; use an odd number`,
    });
  }
  const zk = s.zookeeper.replicas;
  if (isZkManaged(c) && zk !== undefined && zk % 2 === 0) {
    warnings.push({
      reason: 'EvenZooKeeperReplicas',
      field: 'spec.zookeeper.replicas',
      message: `${zk} ZooKeeper nodes tolerate no more failures than ${zk - 1}; use an odd number`,
    });
  }
  if (s.broker.schedulerSupport) {
    warnings.push({
      reason: 'SchedulerNotReplicated',
      field: 'spec.broker.schedulerSupport',
      message:
        'scheduled and delayed messages are kept in a store that replicated LevelDB does not replicate: they are lost on failover',
    });
  }
  return { blocking, warnings };
}
