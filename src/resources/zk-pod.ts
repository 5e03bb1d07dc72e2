// ZooKeeper pod <name>-zk-<i> of a managed ensemble; myid is i+1.
import type { V1Pod } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, ZK_CLIENT_PORT, ZK_ELECTION_PORT, ZK_PEER_PORT } from '../api/cluster';
import { names } from '../metadata/names';
import { ANNOTATION_RESTART_ZOOKEEPER, ANNOTATION_REVISION, componentLabels, LABEL_NODE } from '../metadata/labels';
import { renderZooCfg } from './zk-config';
import { ownedMeta } from './object-meta';
import { restartRequest, revisionOf } from './revision';
import { restrictedContainerSecurity, restrictedPodSecurity, TMP_MOUNT, TMP_VOLUME } from './pod-security';
import { zkScheduling } from './scheduling';

type PodSpec = NonNullable<V1Pod['spec']>;

/** Where images/zookeeper puts its readiness script. */
export const ZK_READY_SCRIPT = '/usr/local/bin/zookeeper-ready.sh';

export function buildZkPod(c: BrokerCluster, i: number): V1Pod {
  const n = clusterName(c);
  const podName = names.zkPod(n, i);
  const spec: PodSpec = {
    hostname: podName,
    subdomain: names.zkHeadlessService(n),
    containers: [
      {
        name: 'zookeeper',
        image: c.spec.zookeeper.image,
        imagePullPolicy: c.spec.imagePullPolicy,
        // The image's entrypoint (images/zookeeper) writes myid into dataDir.
        env: [
          { name: 'ZOO_MYID', value: String(i + 1) },
          { name: 'ZOO_CONF_DIR', value: '/conf' },
          { name: 'JVMFLAGS', value: '-Xmx256m' },
        ],
        ports: [
          { name: 'client', containerPort: ZK_CLIENT_PORT },
          { name: 'peer', containerPort: ZK_PEER_PORT },
          { name: 'election', containerPort: ZK_ELECTION_PORT },
        ],
        // Ready only while serving in a quorum (images/zookeeper/ready.sh): the roll waits on it.
        readinessProbe: { exec: { command: [ZK_READY_SCRIPT, String(ZK_CLIENT_PORT)] }, periodSeconds: 5, timeoutSeconds: 5 },
        volumeMounts: [{ name: 'config', mountPath: '/conf', readOnly: true }, { name: 'data', mountPath: '/data' }, TMP_MOUNT],
        resources: c.spec.zookeeper.resources as NonNullable<PodSpec['containers'][number]['resources']> | undefined,
        securityContext: restrictedContainerSecurity(),
      },
    ],
    volumes: [
      { name: 'config', configMap: { name: names.zkConfig(n) } },
      { name: 'data', persistentVolumeClaim: { claimName: names.zkPvc(n, i) } },
      TMP_VOLUME,
    ],
    securityContext: restrictedPodSecurity(),
    automountServiceAccountToken: false,
    ...zkScheduling(c),
  };
  if (!spec.containers[0]?.resources) delete spec.containers[0]?.resources;
  const labels = { ...componentLabels(n, 'zookeeper'), [LABEL_NODE]: String(i) };
  const restart = restartRequest(c.metadata.annotations, ANNOTATION_RESTART_ZOOKEEPER);
  const annotations = { ...restart.annotations, [ANNOTATION_REVISION]: revisionOf(spec, renderZooCfg(c), ...restart.parts) };
  return { apiVersion: 'v1', kind: 'Pod', metadata: ownedMeta(c, podName, labels, true, annotations), spec };
}
