// ZooKeeper pod <name>-zk-<i> of a managed ensemble; myid is i+1.
import type { V1Pod } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { clusterName, ZK_CLIENT_PORT, ZK_ELECTION_PORT, ZK_PEER_PORT } from '../api/cluster';
import { names } from '../metadata/names';
import { ANNOTATION_REVISION, componentLabels, LABEL_NODE } from '../metadata/labels';
import { renderZooCfg } from './zk-config';
import { ownedMeta } from './object-meta';
import { revisionOf } from './revision';

type PodSpec = NonNullable<V1Pod['spec']>;

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
        command: ['/bin/bash', '-c', `echo ${i + 1} > /data/myid && exec zkServer.sh start-foreground`],
        env: [
          { name: 'ZOO_CONF_DIR', value: '/conf' },
          { name: 'JVMFLAGS', value: '-Xmx256m' },
        ],
        ports: [
          { name: 'client', containerPort: ZK_CLIENT_PORT },
          { name: 'peer', containerPort: ZK_PEER_PORT },
          { name: 'election', containerPort: ZK_ELECTION_PORT },
        ],
        readinessProbe: { tcpSocket: { port: ZK_CLIENT_PORT }, periodSeconds: 5 },
        volumeMounts: [
          { name: 'config', mountPath: '/conf', readOnly: true },
          { name: 'data', mountPath: '/data' },
        ],
        resources: c.spec.zookeeper.resources as NonNullable<PodSpec['containers'][number]['resources']> | undefined,
        securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
      },
    ],
    volumes: [
      { name: 'config', configMap: { name: names.zkConfig(n) } },
      { name: 'data', persistentVolumeClaim: { claimName: names.zkPvc(n, i) } },
    ],
    securityContext: { fsGroup: 1000, runAsUser: 1000, runAsGroup: 1000 },
  };
  if (!spec.containers[0]?.resources) delete spec.containers[0]?.resources;
  const labels = { ...componentLabels(n, 'zookeeper'), [LABEL_NODE]: String(i) };
  const annotations = { [ANNOTATION_REVISION]: revisionOf(spec, renderZooCfg(c)) };
  return { apiVersion: 'v1', kind: 'Pod', metadata: ownedMeta(c, podName, labels, true, annotations), spec };
}
