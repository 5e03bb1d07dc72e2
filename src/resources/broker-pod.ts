// Broker pod <name>-broker-<i>. Pods are owned directly (not through a
// StatefulSet) so that each node carries its own ports and so that restarts
// follow the master-last order of the roller.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, nodeMetricsPort, nodePlainOpenWirePort, nodePorts } from '../api/cluster';
import { names } from '../metadata/names';
import {
  ANNOTATION_CREDENTIALS,
  ANNOTATION_RESTART,
  ANNOTATION_TLS,
  ANNOTATION_REVISION,
  componentLabels,
  LABEL_NODE,
  LABEL_ROLE,
  type Role,
} from '../metadata/labels';
import { renderNodeEnv } from './broker-config';
import { ownedMeta } from './object-meta';
import { restartRequest, revisionOf } from './revision';
import { restrictedContainerSecurity, restrictedPodSecurity, TMP_MOUNT, TMP_VOLUME } from './pod-security';
import { brokerScheduling } from './scheduling';
import type { ClusterCredentials } from '../model/credentials';
import { CREDENTIALS_DIR, credentialsVolume } from './broker-security';
import type { ClusterTls } from '../model/tls';
import { TLS_DIR, tlsVolume } from './broker-tls';

export const BROKER_CONFIG_DIR = '/etc/amq-keeper';
export const BROKER_DATA_DIR = '/var/lib/activemq';
/** images/broker/ready.sh in the broker image. */
export const BROKER_READY_COMMAND = '/usr/local/bin/amq-keeper-ready.sh';

type PodSpec = NonNullable<V1Pod['spec']>;

function brokerContainer(c: BrokerCluster, i: number, creds: ClusterCredentials | undefined, tls: ClusterTls | undefined): V1Container {
  const p = nodePorts(c, i);
  const plain = nodePlainOpenWirePort(c, i);
  const metrics = nodeMetricsPort(c, i);
  const env = [
    { name: 'AMQ_NODE_INDEX', value: String(i) },
    { name: 'AMQ_CONFIG_DIR', value: BROKER_CONFIG_DIR },
    { name: 'AMQ_DATA_DIR', value: BROKER_DATA_DIR },
  ];
  if (c.spec.jvmOptions) env.push({ name: 'JAVA_OPTS', value: c.spec.jvmOptions });
  const container: V1Container = {
    name: 'broker',
    image: c.spec.image,
    imagePullPolicy: c.spec.imagePullPolicy,
    env,
    ports: [
      { name: 'openwire', containerPort: p.openwire },
      ...(plain === undefined ? [] : [{ name: 'openwire-plain', containerPort: plain }]),
      { name: 'console', containerPort: p.console },
      { name: 'replication', containerPort: p.replication },
      ...(metrics === undefined ? [] : [{ name: 'metrics', containerPort: metrics }]),
    ],
    volumeMounts: [
      { name: 'config', mountPath: BROKER_CONFIG_DIR, readOnly: true },
      ...(creds ? [{ name: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true }] : []),
      ...(tls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
      { name: 'data', mountPath: BROKER_DATA_DIR },
      TMP_MOUNT,
    ],
    // Ready = serves clients (master) or is attached to the master (slave).
    // No liveness probe: a slave waits for a master for as long as it takes,
    // and the master Service follows ZooKeeper, never a probe.
    readinessProbe: { exec: { command: [BROKER_READY_COMMAND] }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 2 },
    securityContext: restrictedContainerSecurity(),
  };
  if (c.spec.resources) container.resources = c.spec.resources as V1Container['resources'];
  return container;
}

/**
 * xml: the node's rendered activemq.xml; role: what ZooKeeper last reported
 * for this node, no label while unknown; creds: the cluster's logins (a pod is
 * only ever created with them: the plan waits for the Secret); tls: the
 * certificate's Secret, with spec.tls (the plan waits for it too).
 */
export function buildBrokerPod(c: BrokerCluster, i: number, xml: string, role?: Role, creds?: ClusterCredentials, tls?: ClusterTls): V1Pod {
  const n = clusterName(c);
  const podName = names.brokerPod(n, i);
  const spec: PodSpec = {
    hostname: podName,
    subdomain: names.brokerHeadlessService(n),
    containers: [brokerContainer(c, i, creds, tls)],
    volumes: [
      { name: 'config', configMap: { name: names.brokerConfig(n) } },
      ...(creds ? [credentialsVolume(c, creds.secret, creds.zookeeperPassword !== undefined)] : []),
      ...(tls ? [tlsVolume(tls)] : []),
      { name: 'data', persistentVolumeClaim: { claimName: names.brokerPvc(n, i) } },
      TMP_VOLUME,
    ],
    securityContext: restrictedPodSecurity(),
    // Brokers never call the API server.
    automountServiceAccountToken: false,
    // Give the broker time to close its store cleanly before SIGKILL.
    terminationGracePeriodSeconds: 60,
    ...brokerScheduling(c),
  };
  const labels: Record<string, string> = {
    ...(c.spec.podTemplate?.labels as Record<string, string> | undefined),
    ...componentLabels(n, 'broker'),
    [LABEL_NODE]: String(i),
  };
  if (role) labels[LABEL_ROLE] = role;
  // The node's configuration is part of its revision: a changed activemq.xml
  // takes effect only through a restart, and so does a changed Secret (a renewed certificate too).
  const restart = restartRequest(c.metadata.annotations, ANNOTATION_RESTART);
  const secrets = [...(creds ? [{ credentials: creds.version }] : []), ...(tls ? [{ tls: tls.version }] : [])];
  const revision = revisionOf(spec, xml, renderNodeEnv(c, i), ...secrets, ...restart.parts);
  const annotations: Record<string, string> = {
    ...(c.spec.podTemplate?.annotations as Record<string, string> | undefined),
    ...restart.annotations,
    [ANNOTATION_REVISION]: revision,
  };
  if (creds) annotations[ANNOTATION_CREDENTIALS] = creds.version;
  if (tls) annotations[ANNOTATION_TLS] = tls.version;
  return { apiVersion: 'v1', kind: 'Pod', metadata: ownedMeta(c, podName, labels, true, annotations), spec };
}
