// bench/reconcile: against a real kube-apiserver, create 100 BrokerClusters
// and measure (1) the time until every one has all its objects and an
// up-to-date status, (2) the writes of one full resync with nothing changed,
// (3) the operator's peak RSS. Targets: < 30 s, 0 writes, < 150 MB.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { startControlPlane } from '../test/support/control-plane';
import { kubectlOk } from '../test/support/kubectl';
import { loadKubeConfig } from '../src/kube/client';
import type { BrokerCluster } from '../src/api/types';
import { operatorNodeFlags, ROOT, writeResult } from './support';
import { startOperatorProcess } from '../test/support/operator-process';

const COUNT = Number(process.env.BENCH_CLUSTERS ?? 100);
const NS = 'bench';
// Per cluster with a managed three-node ensemble: 6 pods, 6 claims, 7 Services, 3 ConfigMaps, 2 PDBs, 2 NetworkPolicies.
const OBJECTS_PER_CLUSTER = 26;

let progress = '';

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  progress = '';
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms (${progress})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  execFileSync('npx', ['tsc', '-p', '.'], { cwd: ROOT, stdio: 'inherit' });
  const cp = await startControlPlane();
  try {
    const k = (args: string[], input?: string) => kubectlOk(cp.kubeconfig, args, input);
    await k(['apply', '-f', join(ROOT, 'crds', 'brokercluster.yaml')]);
    await k(['wait', '--for=condition=Established', 'crd/brokerclusters.amqkeeper.io']);
    await k(['create', 'namespace', NS]);
    const api = KubernetesObjectApi.makeApiClient(loadKubeConfig(cp.kubeconfig));
    const count = async (apiVersion: string, kind: string) =>
      (await api.list<KubernetesObject>(apiVersion, kind, NS, undefined, undefined, undefined, undefined, 'app.kubernetes.io/managed-by=amq-keeper')).items
        .length;

    const nodeFlags = process.env.OPERATOR_NODE_FLAGS?.split(' ').filter(Boolean) ?? operatorNodeFlags();
    const op = await startOperatorProcess(cp.kubeconfig, { compiled: true, nodeFlags, args: ['--no-master-tracking', '--log-level', 'warn'] });
    const docs = Array.from({ length: COUNT }, (_, i) =>
      stringify({
        apiVersion: 'amqkeeper.io/v1alpha1',
        kind: 'BrokerCluster',
        metadata: { name: `c${i}`, namespace: NS },
        spec: { brokerName: `b${i}`, zookeeper: { replicas: 3 } },
      }),
    ).join('---\n');
    const t0 = Date.now();
    await k(['apply', '-f', '-'], docs);
    await waitFor('all objects and statuses', Number(process.env.BENCH_TIMEOUT_MS ?? 300_000), async () => {
      const kinds: [string, string][] = [
        ['v1', 'Pod'],
        ['v1', 'Service'],
        ['v1', 'ConfigMap'],
        ['v1', 'PersistentVolumeClaim'],
        ['policy/v1', 'PodDisruptionBudget'],
        ['networking.k8s.io/v1', 'NetworkPolicy'],
      ];
      const counts = await Promise.all(kinds.map(([v, kind]) => count(v, kind)));
      progress = `objects ${counts.join('/')}`;
      if (counts.reduce((a, b) => a + b, 0) < COUNT * OBJECTS_PER_CLUSTER) return false;
      const bcs = (await api.list<BrokerCluster>('amqkeeper.io/v1alpha1', 'BrokerCluster', NS)).items;
      const done = bcs.filter((b) => b.status?.observedGeneration === b.metadata.generation && b.status?.phase === 'Provisioning');
      progress += `, statuses ${done.length}/${bcs.length}`;
      return bcs.length === COUNT && done.length === COUNT;
    });
    const convergeMs = Date.now() - t0;

    // Let the follow-up reconciles triggered by our own writes finish.
    await waitFor('queue drained', 60_000, async () => (await op.metric('amqkeeper_queue_depth')) === 0);
    const writesBefore = await op.metric('amqkeeper_kube_writes_total');
    const reconcilesBefore = await op.metric('amqkeeper_reconciles_total');
    op.child.kill('SIGHUP');
    await waitFor(
      'full resync',
      120_000,
      async () => (await op.metric('amqkeeper_reconciles_total')) >= reconcilesBefore + COUNT && (await op.metric('amqkeeper_queue_depth')) === 0,
    );
    const resyncWrites = (await op.metric('amqkeeper_kube_writes_total')) - writesBefore;
    const peakRssMb = op.peakRssMb();
    await op.stop();

    const result = {
      benchmark: 'reconcile',
      clusters: COUNT,
      objects: COUNT * OBJECTS_PER_CLUSTER,
      convergeMs,
      resyncWrites,
      peakRssMb: Math.round(peakRssMb * 10) / 10,
      targets: { convergeMs: 30_000, resyncWrites: 0, peakRssMb: 150 },
      pass: convergeMs < 30_000 && resyncWrites === 0 && peakRssMb < 150,
      node: process.version,
      nodeFlags: nodeFlags.join(' '),
      at: new Date().toISOString(),
    };
    const file = writeResult('reconcile', result);
    console.log(`clusters            ${COUNT} (${result.objects} owned objects)`);
    console.log(`converged in        ${(convergeMs / 1000).toFixed(1)} s   (target < 30 s)`);
    console.log(`resync writes       ${resyncWrites}        (target 0)`);
    console.log(`operator peak RSS   ${result.peakRssMb} MB  (target < 150 MB)`);
    console.log(`written to          ${file}`);
    if (!result.pass) process.exitCode = 1;
  } finally {
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
