// PodDisruptionBudgets: a voluntary eviction may never take a component below
// its quorum.
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, quorum } from '../api/cluster';
import { names } from '../metadata/names';
import { componentLabels, componentSelector, type Component } from '../metadata/labels';
import { ownedMeta } from './object-meta';

function buildPdb(c: BrokerCluster, component: Component, name: string, replicas: number): V1PodDisruptionBudget {
  const n = clusterName(c);
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: ownedMeta(c, name, componentLabels(n, component)),
    spec: {
      minAvailable: quorum(replicas),
      selector: { matchLabels: componentSelector(n, component) },
    },
  };
}

export function buildZkPdb(c: BrokerCluster): V1PodDisruptionBudget {
  return buildPdb(c, 'zookeeper', names.zkPdb(clusterName(c)), c.spec.zookeeper.replicas ?? 1);
}

/** nodes: how many broker pods run or are wanted; while a scale-down is under way the old quorum still holds. */
export function buildBrokerPdb(c: BrokerCluster, nodes = c.spec.replicas): V1PodDisruptionBudget {
  return buildPdb(c, 'broker', names.brokerPdb(clusterName(c)), Math.max(nodes, c.spec.replicas));
}
