// The local end-to-end journey (README command one): a real control plane,
// a real ZooKeeper ensemble, three real ActiveMQ 5.16.8 brokers started from
// the configuration the operator rendered, the operator, a real JMS client,
// a failover, and the proof that no message was lost.
//
//   npx tsx hack/demo.ts [--keep]
//
// --keep leaves everything running and prints how to point kubectl at it.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { kubectlPath, startControlPlane, type ControlPlane } from '../test/support/control-plane';
import { startEnsemble, type Ensemble } from '../test/support/zookeeper';
import { BrokerSet } from '../test/support/broker-set';
import { startOperatorProcess, type OperatorProcess } from '../test/support/operator-process';
import { kubectlOk } from '../test/support/kubectl';
import { consumeAll, runClient } from '../test/support/jms-client';
import type { BrokerCluster } from '../src/api/types';
import { CHART_DIR, helmOk, serviceAccountKubeconfig } from '../test/support/helm';
import { provisionLocalVolumes } from '../test/support/storage';

const ROOT = join(__dirname, '..');
const NS = 'demo';
const KEEP = process.argv.includes('--keep');
const t0 = Date.now();
let stepNo = 0;

function say(text: string): void {
  process.stdout.write(text + '\n');
}

/** Runs one step, printing its number, name and time; a failure names the step and where to look. */
async function step<T>(name: string, logHint: string, f: () => Promise<T>): Promise<T> {
  stepNo++;
  const start = Date.now();
  process.stdout.write(`[${((start - t0) / 1000).toFixed(1).padStart(6)}s] ${String(stepNo).padStart(2)}. ${name} ... `);
  try {
    const v = await f();
    say(`ok (${((Date.now() - start) / 1000).toFixed(1)}s)`);
    return v;
  } catch (err) {
    say('FAILED');
    say(`\nstep ${stepNo} "${name}" failed: ${err instanceof Error ? err.message : String(err)}`);
    say(`logs: ${logHint}`);
    throw err;
  }
}

async function waitFor<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  let cp: ControlPlane | undefined;
  let zk: Ensemble | undefined;
  let op: OperatorProcess | undefined;
  let brokers: BrokerSet | undefined;
  const work = mkdtempSync(join(tmpdir(), 'amq-keeper-demo-'));
  let ok = false;
  try {
    cp = await step('start the local cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok node)', 'the state dir printed by hack/control-plane.sh', () =>
      startControlPlane({ kwok: true }),
    );
    const kc = cp.kubeconfig;
    const k = (args: string[], input?: string) => kubectlOk(kc, args, input);
    zk = await step('start a 3-node ZooKeeper ensemble on 127.0.0.1:2181-2183', `${work} (zookeeper state dir in /tmp/amq-keeper-zk-*)`, () =>
      startEnsemble(),
    );
    const connectString = zk.connectString;
    await step('helm install amq-keeper charts/amq-keeper (CRD, ServiceAccount, RBAC, operator Deployment)', 'helm output above', async () => {
      await helmOk(kc, ['install', 'amq-keeper', CHART_DIR, '-n', 'amq-keeper', '--create-namespace', '--wait', '--timeout', '3m']);
      await k(['wait', '--for=condition=Established', 'crd/brokerclusters.amqkeeper.io']);
      await k(['create', 'namespace', NS]);
      // Claims need volumes to bind before kube-scheduler places the pods on the kwok node.
      await provisionLocalVolumes(kc);
    });
    // There is no container runtime here, so the chart's operator pod is a kwok
    // pod; the operator itself runs on this machine with that pod's identity.
    op = await step('run the operator out of cluster with the chart ServiceAccount token (its RBAC, nothing more); it takes the Lease', join(work, 'operator.log'), async () => {
      const saConfig = await serviceAccountKubeconfig(kc, 'amq-keeper', 'amq-keeper', join(work, 'operator.kubeconfig'));
      const pod = await k(['-n', 'amq-keeper', 'get', 'pods', '-l', 'app.kubernetes.io/component=operator', '-o', 'jsonpath={.items[0].metadata.name}']);
      return startOperatorProcess(saConfig, {
        args: ['--log-format', 'text', '--leader-elect', '--leader-elect-resource-namespace', 'amq-keeper'],
        env: { POD_NAME: pod.trim() },
        logFile: join(work, 'operator.log'),
      });
    });
    const seed = parse(readFileSync(join(ROOT, 'deploy', 'examples', 'brokercluster.yaml'), 'utf8')) as BrokerCluster;
    // Locally the brokers run as processes, so the cluster uses the local ensemble.
    seed.spec.zookeeper = { external: { connectString }, sessionTimeout: '2s' } as BrokerCluster['spec']['zookeeper'];
    seed.metadata.namespace = NS;
    seed.spec.persistence = { ...seed.spec.persistence, storageClassName: 'local' };
    await step('kubectl apply the seed example (xlBroker, 3 nodes, ports 61616-61618) with zookeeper.external and local volumes', 'kubectl output above', () =>
      k(['apply', '-f', '-'], stringify(seed)),
    );
    const set = (brokers = new BrokerSet(kc, NS, 'xl', work));
    await step('start three ActiveMQ 5.16.8 brokers from the activemq.xml the operator rendered', join(work, 'data', 'node-*', 'broker.log'), async () => {
      await set.writeRenderedConfig();
      await set.startAll(3);
    });
    const master = await step('wait until ZooKeeper elects a master and the operator points xl-master at it', op.logFile, () =>
      waitFor('an elected master', 120_000, async () => {
        const bc = JSON.parse(await k(['-n', NS, 'get', 'bc', 'xl', '-o', 'json'])) as BrokerCluster;
        return bc.status?.master;
      }),
    );
    say('\n$ kubectl get brokerclusters');
    say(await k(['-n', NS, 'get', 'brokerclusters']));
    say('$ kubectl get pods -L amqkeeper.io/role');
    say(await k(['-n', NS, 'get', 'pods', '-L', 'amqkeeper.io/role']));
    say('$ kubectl -n amq-keeper get lease amq-keeper   # the operator copy that reconciles');
    say(await k(['-n', 'amq-keeper', 'get', 'lease', 'amq-keeper']));
    say('$ kubectl get svc xl-master -o wide');
    say(await k(['-n', NS, 'get', 'svc', 'xl-master', '-o', 'wide']));

    const cm = JSON.parse(await k(['-n', NS, 'get', 'cm', 'xl-connection', '-o', 'json'])) as V1ConfigMap;
    const published = cm.data?.failoverUrl ?? '';
    // Locally every node listens on 127.0.0.1. Sends are synchronous here, so
    // that "acknowledged" means stored on a quorum: with useAsyncSend a kill
    // loses what was still in flight, as the seed warns.
    const url = published.replace(/xl-broker-\d\.demo\.svc/g, '127.0.0.1').replace('jms.useAsyncSend=true', 'jms.useAsyncSend=false');
    say(`published failoverUrl: ${published}`);
    say(`used locally:          ${url}`);
    say('(node hosts mapped to 127.0.0.1; synchronous sends, so an acknowledged message is stored on a quorum)\n');
    const COUNT = 1000;
    const HALF = COUNT / 2;
    const producer = runClient(['produce', '--url', url, '--queue', 'demo.orders', '--count', String(COUNT), '--persistent', '--progress-every', '50', '--timeout-ms', '240000']);
    // The kill lands while the client is sending: the send in flight is resent
    // to the new master by the failover transport.
    await step(`send ${COUNT} persistent messages through the failover URL (JMS client); kill -9 the master ${master} after ${HALF}`, `the client output; ${work}/data/node-*/broker.log`, async () => {
      // A client that dies early fails this step with its own error.
      await Promise.race([producer.when((e) => e.event === 'progress' && Number(e.sent) >= HALF), producer.done]);
      await set.kill(Number(master.slice(-1)));
    });
    const next = await step('wait for a slave to take over and xl-master to follow (the client fails over by itself)', op.logFile, () =>
      waitFor('a new master', 60_000, async () => {
        const bc = JSON.parse(await k(['-n', NS, 'get', 'bc', 'xl', '-o', 'json'])) as BrokerCluster;
        return bc.status?.master && bc.status.master !== master ? bc.status.master : undefined;
      }),
    );
    const sent = await step('the client finishes sending through the same URL', 'the client output', () => producer.done);
    say(`\nsent ${Number(sent.acked)}/${COUNT} acknowledged, ${Number(sent.errors)} errors`);
    say('\n$ kubectl get brokerclusters');
    say(await k(['-n', NS, 'get', 'brokerclusters']));
    say('$ kubectl get events --field-selector regarding.name=xl (failover Events)');
    say(await k(['-n', NS, 'get', 'events.v1.events.k8s.io', '--field-selector', 'regarding.name=xl', '--sort-by=.metadata.creationTimestamp', '-o', 'custom-columns=TYPE:.type,REASON:.reason,NOTE:.note']));
    const restartMaster = async () => {
      // Restart the current master (a second failover) so that it reloads its store.
      const bc = JSON.parse(await k(['-n', NS, 'get', 'bc', 'xl', '-o', 'json'])) as BrokerCluster;
      const now = bc.status?.master ?? next;
      const i = Number(now.slice(-1));
      await set.kill(i);
      await set.start(i);
      await waitFor('a master after the restart', 60_000, async () => {
        const c = JSON.parse(await k(['-n', NS, 'get', 'bc', 'xl', '-o', 'json'])) as BrokerCluster;
        return c.status?.master && c.status.master !== now ? c.status.master : undefined;
      });
    };
    const got = await step(`consume everything from the new master ${next}`, 'the client output', () => consumeAll(url, 'demo.orders', COUNT, restartMaster));
    say(`\nreceived ${got.distinct} distinct of ${COUNT}: ${got.lost.length} lost, ${got.duplicates} duplicates`);
    if (got.heldBack.length > 0) {
      say(`(${got.heldBack.length} acknowledged message(s) ${JSON.stringify(got.heldBack)} were held back by the new master until it restarted: not lost, but not delivered before the restart either)`);
    }
    if (got.lost.length !== 0) {
      say(`lost: ${JSON.stringify(got.lost)}`);
      throw new Error(`${got.lost.length} messages lost`);
    }
    // The killed broker, restarted, rejoins as a slave; the operator checkpoints it so that it could take over losslessly.
    await step(`restart ${master}: it rejoins as a slave and the operator brings every slave in sync`, `the operator log ${op.logFile}`, async () => {
      if (!set.pids()[Number(master.slice(-1))]) await set.start(Number(master.slice(-1)));
      await k(['-n', NS, 'wait', 'bc/xl', '--for=condition=ReplicasInSync', '--timeout=90s']);
    });
    say('\n$ kubectl get bc xl -o jsonpath=\'{.status.conditions[?(@.type=="ReplicasInSync")].message}\'');
    say(await k(['-n', NS, 'get', 'bc', 'xl', '-o', 'jsonpath={.status.conditions[?(@.type=="ReplicasInSync")].message}']));
    ok = true;
    say(`\ndemo finished in ${((Date.now() - t0) / 1000).toFixed(0)} s: master ${master} killed, ${next} took over, no message lost.`);
    if (KEEP) {
      const pids = Object.entries(set.pids()).map(([i, pid]) => `xl-broker-${i}=${pid}`).join(' ');
      say(`\nStill running (--keep). Point kubectl at it:\n  export KUBECONFIG=${kc}\n  ${kubectlPath()} -n ${NS} get bc -w\nBroker processes (kill -9 the master's to watch a failover): ${pids}\nOperator log: ${op.logFile}\nStop everything with Ctrl-C.`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await brokers?.killAll();
    await op?.stop();
    await zk?.stop();
    await cp?.stop();
    if (!ok) process.exitCode = 1;
  }
}

main().catch(() => {
  process.exitCode = 1;
});
