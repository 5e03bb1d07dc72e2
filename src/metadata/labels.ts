// The only place where labels and selectors are made.
import { GROUP } from '../api/group';

export const LABEL_CLUSTER = `${GROUP}/cluster`;
export const LABEL_COMPONENT = `${GROUP}/component`;
export const LABEL_NODE = `${GROUP}/node`;
export const LABEL_ROLE = `${GROUP}/role`;
export const ANNOTATION_REVISION = `${GROUP}/revision`;
export const ANNOTATION_APPLIED = `${GROUP}/applied`;
/** On broker pods: the version (uid/resourceVersion) of the credentials Secret they were made with. */
export const ANNOTATION_CREDENTIALS = `${GROUP}/credentials`;
/** On broker pods: the version (uid/resourceVersion) of the TLS Secret they were made with. */
export const ANNOTATION_TLS = `${GROUP}/tls`;
/** On a BrokerCluster: "true" stops every write but the master Service switch. */
export const ANNOTATION_PAUSE = `${GROUP}/pause-reconcile`;
/** On a BrokerCluster: a new value rolls every broker (or ZooKeeper server) once. */
export const ANNOTATION_RESTART = `${GROUP}/restart`;
export const ANNOTATION_RESTART_ZOOKEEPER = `${GROUP}/restart-zookeeper`;
/** On a BrokerCluster: a new value ("any" or a slave's pod name, then optionally "@<anything>") moves the master to an in-sync slave. */
export const ANNOTATION_SWITCHOVER = `${GROUP}/switchover`;
export const MANAGED_BY = 'amq-keeper';

export type Component = 'zookeeper' | 'broker';
export type Role = 'master' | 'slave';
export type Labels = Record<string, string>;

/** Labels on every object a BrokerCluster owns. */
export function clusterLabels(cluster: string): Labels {
  return {
    'app.kubernetes.io/name': 'activemq',
    'app.kubernetes.io/instance': cluster,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/part-of': 'amq-keeper',
    [LABEL_CLUSTER]: cluster,
  };
}

export function componentLabels(cluster: string, component: Component): Labels {
  const name = component === 'zookeeper' ? 'zookeeper' : 'activemq';
  return { ...clusterLabels(cluster), 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component, [LABEL_COMPONENT]: component };
}

/** Selects all pods of one component of one cluster. */
export function componentSelector(cluster: string, component: Component): Labels {
  return { [LABEL_CLUSTER]: cluster, [LABEL_COMPONENT]: component };
}

/** Selects the one pod of node i. */
export function nodeSelector(cluster: string, component: Component, i: number): Labels {
  return { ...componentSelector(cluster, component), [LABEL_NODE]: String(i) };
}

/** Label selector string of everything the operator manages. */
export const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
