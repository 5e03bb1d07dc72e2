// One BrokerCluster the way the process-harness tests run it: a real control
// plane with kwok pods, a real ZooKeeper ensemble, an operator process, and
// three real brokers that a PodBridge stops and starts as the operator
// deletes and recreates their pods.
import assert from 'node:assert/strict';
import { loadKubeConfig } from '../../src/kube/client';
import type { BrokerClusterSpecInput } from '../../src/api/types';
import { localCluster } from '../fixtures/clusters';
import { BrokerSet, installCrd } from './broker-set';
import { clusterAccess, type ClusterAccess } from './cluster-access';
import { startControlPlane, type ControlPlane } from './control-plane';
import { ZkObserver } from './observers';
import { startOperatorProcess, type OperatorProcess, type OperatorProcessOptions } from './operator-process';
import { PodBridge } from './pod-bridge';
import { provisionLocalVolumes } from './storage';
import { startEnsemble, type Ensemble } from './zookeeper';

export interface BridgedCluster {
  cp: ControlPlane;
  zk: Ensemble;
  op: OperatorProcess;
  brokers: BrokerSet;
  bridge: PodBridge;
  /** The test's own view of the election. */
  zkObs: ZkObserver;
  kube: ClusterAccess;
  /** The published failover URL with every host 127.0.0.1. */
  url: string;
  stop(): Promise<void>;
}

export interface BridgedClusterOptions {
  namespace: string;
  name: string;
  /** More of the spec; zookeeper fields are added to the external ensemble's. */
  spec?: Partial<BrokerClusterSpecInput>;
  /** JVM options of every broker (set before the first starts). */
  javaOpts?: string[];
  /** What the bridge records at each deletion. */
  onDelete?: (bridge: PodBridge) => Promise<Record<string, unknown>>;
  /** How the operator runs; default: from source, debug log in text. */
  operator?: OperatorProcessOptions;
}

export async function startBridgedCluster(o: BridgedClusterOptions): Promise<BridgedCluster> {
  const cp = await startControlPlane({ kwok: true });
  const zk = await startEnsemble();
  const kube = clusterAccess(() => cp.kubeconfig, o.namespace);
  await installCrd(cp.kubeconfig, o.namespace);
  // Bound claims let the scheduler place the pods and kwok make them Ready, as the roller expects.
  const storageClassName = await provisionLocalVolumes(cp.kubeconfig);
  const spec = o.spec ?? {};
  const zookeeper = { external: { connectString: zk.connectString }, sessionTimeout: '2s', ...spec.zookeeper };
  await kube.apply(localCluster(o.namespace, o.name, zk.connectString, { persistence: { storageClassName }, ...spec, zookeeper }));
  const op = await startOperatorProcess(cp.kubeconfig, o.operator ?? { args: ['--log-format', 'text', '--log-level', 'debug'] });
  const brokers = new BrokerSet(cp.kubeconfig, o.namespace, o.name);
  brokers.extraJavaOpts = o.javaOpts ?? [];
  await brokers.writeRenderedConfig();
  const zkObs = new ZkObserver(zk.connectString, `/activemq/leveldb-stores/${o.namespace}/${o.name}`, 'xlBroker');
  await zkObs.start();
  const bridge: PodBridge = new PodBridge(loadKubeConfig(cp.kubeconfig), o.namespace, o.name, brokers, async () => (o.onDelete ? o.onDelete(bridge) : {}));
  await bridge.start();
  const url = await kube.localFailoverUrl(o.name);
  assert.match(url, /^failover:\(tcp:\/\/127\.0\.0\.1:61616,/);
  return {
    cp,
    zk,
    op,
    brokers,
    bridge,
    zkObs,
    kube,
    url,
    stop: async () => {
      zkObs.stop();
      await bridge.stop();
      await brokers.killAll();
      await op.stop();
      await zk.stop();
      await cp.stop();
    },
  };
}
