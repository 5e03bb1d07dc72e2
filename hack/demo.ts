// The local end-to-end journey (README command one), on a real node: a
// control plane, a kubelet with containerd, CoreDNS, the chart's operator pod,
// the seed's BrokerCluster applied as it is (ZooKeeper and brokers as pods
// from the project's images), a real JMS client on the host, a kill -9 of the
// master's container, and the proof that no message was lost.
//
//   npx tsx hack/demo.ts [--keep]
//
// --keep leaves everything running and prints how to point kubectl at it.
import { join } from 'node:path';
import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import { kubectlPath, startControlPlane, type ControlPlane } from '../test/support/control-plane';
import { kubectlOk } from '../test/support/kubectl';
import { consumeAll, loginEnv, runClient, stopClients } from '../test/support/jms-client';
import { readCredentials } from '../src/resources/credentials-secret';
import type { BrokerCluster } from '../src/api/types';
import { CHART_DIR, helmOk } from '../test/support/helm';
import { clusterHostsFile, killContainer } from '../test/support/real-node';

const ROOT = join(__dirname, '..');
const NS = 'demo';
const KEEP = process.argv.includes('--keep');
const t0 = Date.now();
let stepNo = 0;

function say(text: string): void {
  process.stdout.write(`${text}\n`);
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
  let ok = false;
  try {
    cp = await step(
      'start the local cluster: etcd, kube-apiserver, controller-manager, scheduler, and a real node (containerd, kubelet, kube-proxy, CoreDNS), images loaded',
      'the state dir printed by hack/control-plane.sh (logs/, node/logs/)',
      () => startControlPlane({ node: true }),
    );
    const kc = cp.kubeconfig;
    const logs = join(cp.stateDir, 'node', 'logs');
    const k = (args: string[], input?: string) => kubectlOk(kc, args, input);
    const bc = async (): Promise<BrokerCluster> => JSON.parse(await k(['-n', NS, 'get', 'bc', 'xl', '-o', 'json'])) as BrokerCluster;
    const pod = async (name: string): Promise<V1Pod> => JSON.parse(await k(['-n', NS, 'get', 'pod', name, '-o', 'json'])) as V1Pod;
    const ready = (p: V1Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

    await step(
      'helm install amq-keeper charts/amq-keeper: the operator runs as a pod from its image, with the chart ServiceAccount',
      `kubectl -n amq-keeper logs deploy/amq-keeper; ${logs}/kubelet.log`,
      async () => {
        await helmOk(kc, [
          'install',
          'amq-keeper',
          CHART_DIR,
          '-n',
          'amq-keeper',
          '--create-namespace',
          '--set',
          'image.pullPolicy=Never',
          '--wait',
          '--timeout',
          '3m',
        ]);
        await k(['create', 'namespace', NS]);
        // The namespace refuses any pod that does not meet the restricted standard.
        await k(['label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted']);
      },
    );
    await step(
      'kubectl apply -f deploy/examples/brokercluster.yaml (the seed: xlBroker, 3 ZooKeeper servers, 3 brokers on ports 61616-61618)',
      'kubectl output above',
      () => k(['-n', NS, 'apply', '-f', join(ROOT, 'deploy', 'examples', 'brokercluster.yaml')]),
    );
    const master = await step(
      'wait until ZooKeeper forms its quorum, the brokers elect a master, and xl-master points at it',
      `kubectl -n ${NS} logs xl-zk-0 / xl-broker-0; kubectl -n amq-keeper logs deploy/amq-keeper`,
      () =>
        waitFor('an elected master with three Ready brokers', 300_000, async () => {
          const c = await bc();
          return c.status?.master && c.status.readyReplicas === 3 ? c.status.master : undefined;
        }),
    );
    say('\n$ kubectl get pods -A -o wide');
    say(await k(['get', 'pods', '-A', '-o', 'wide']));
    say('$ kubectl get brokerclusters');
    say(await k(['-n', NS, 'get', 'brokerclusters']));
    say('$ kubectl get pods -L amqkeeper.io/role');
    say(await k(['-n', NS, 'get', 'pods', '-L', 'amqkeeper.io/role']));
    say('$ kubectl -n amq-keeper get lease amq-keeper   # the operator copy that reconciles');
    say(await k(['-n', 'amq-keeper', 'get', 'lease', 'amq-keeper']));
    const brokerLog = (await k(['-n', NS, 'logs', master])).trimEnd().split('\n');
    say(`$ kubectl logs ${master}   # first and last lines`);
    say(`${[...brokerLog.slice(0, 1), '...', ...brokerLog.slice(-3)].join('\n')}\n`);

    const cm = JSON.parse(await k(['-n', NS, 'get', 'cm', 'xl-connection', '-o', 'json'])) as V1ConfigMap;
    const published = cm.data?.failoverUrl ?? '';
    // Synchronous sends, so that "acknowledged" means stored on a quorum: with
    // useAsyncSend a kill loses what was still in flight, as the seed warns.
    const url = published.replace('jms.useAsyncSend=true', 'jms.useAsyncSend=false');
    // The host is not a pod: the client reads the names CoreDNS serves from a hosts file.
    // The application user of the Secret the connection ConfigMap names (generated by the operator).
    const secretName = cm.data?.credentialsSecret ?? '';
    const read = readCredentials(JSON.parse(await k(['-n', NS, 'get', 'secret', secretName, '-o', 'json'])) as V1Secret);
    if (!('credentials' in read)) throw new Error(`Secret ${secretName} lacks ${read.missingKeys.join(', ')}`);
    const env = { JAVA_TOOL_OPTIONS: `-Djdk.net.hosts.file=${await clusterHostsFile(kc, NS)}`, ...loginEnv(read.credentials.app) };
    say(`published failoverUrl: ${published}; login: ${read.credentials.app.username} (password from Secret ${secretName})`);
    say(`used here:             ${url}`);
    say('(names resolved as CoreDNS resolves them in the cluster; synchronous sends, so an acknowledged message is stored on a quorum)\n');
    const COUNT = 1000;
    const HALF = COUNT / 2;
    const producer = runClient(
      ['produce', '--url', url, '--queue', 'demo.orders', '--count', String(COUNT), '--persistent', '--progress-every', '50', '--timeout-ms', '240000'],
      { env },
    );
    const before = (await pod(master)).status?.containerStatuses?.[0]?.restartCount ?? 0;
    await step(
      `send ${COUNT} persistent messages through the failover URL (JMS client); kill -9 the broker process of ${master} after ${HALF}`,
      `the client output; kubectl -n ${NS} logs ${master} --previous`,
      async () => {
        // A client that dies early fails this step with its own error.
        await Promise.race([producer.when((e) => e.event === 'progress' && Number(e.sent) >= HALF), producer.done]);
        await killContainer(cp!, NS, master, 'broker');
      },
    );
    const stalledBefore = (await bc()).status?.stalledElections ?? 0;
    let healed = false;
    const newMaster = async (): Promise<string | undefined> => {
      const c = await bc();
      return c.status?.master && c.status.master !== master ? c.status.master : undefined;
    };
    const next = await step(
      'wait for a slave to take over and xl-master to follow (the client fails over by itself)',
      'kubectl -n amq-keeper logs deploy/amq-keeper',
      async () => {
        // About one kill in twenty replicated LevelDB does not finish the
        // election until brokers restart; the operator finds the stall
        // (ElectionStalled Event) and restarts the broker that holds it up.
        const elected = await waitFor('a new master', 180_000, newMaster);
        healed = ((await bc()).status?.stalledElections ?? 0) > stalledBefore;
        if (healed) say('\n(the election stalled; the operator restarted the broker that held it up: see the ElectionStalled and ElectionRecovered Events)');
        return elected;
      },
    );
    const sent = await step('the client finishes sending through the same URL', 'the client output', () => producer.done);
    say(`\nsent ${Number(sent.acked)}/${COUNT} acknowledged, ${Number(sent.errors)} errors`);
    say('\n$ kubectl get brokerclusters');
    say(await k(['-n', NS, 'get', 'brokerclusters']));
    say('$ kubectl get events --field-selector regarding.name=xl (failover Events)');
    say(
      await k([
        '-n',
        NS,
        'get',
        'events.v1.events.k8s.io',
        '--field-selector',
        'regarding.name=xl',
        '--sort-by=.metadata.creationTimestamp',
        '-o',
        'custom-columns=TYPE:.type,REASON:.reason,NOTE:.note',
      ]),
    );
    await step(
      `the kubelet restarts the killed container: ${master} rejoins as a slave and the operator brings every slave in sync`,
      `kubectl -n ${NS} logs ${master}; ${logs}/kubelet.log`,
      async () => {
        if (!healed) {
          await waitFor(`the kubelet restarting ${master}`, 60_000, async () =>
            ((await pod(master)).status?.containerStatuses?.[0]?.restartCount ?? 0) > before ? true : undefined,
          );
        }
        const rejoined = (ms: number) =>
          waitFor(`${master} Ready and a slave`, ms, async () => {
            const p = await pod(master);
            return ready(p) && (healed || p.metadata?.labels?.['amqkeeper.io/role'] === 'slave') ? true : undefined;
          });
        try {
          await rejoined(90_000);
        } catch {
          // 5.16.8 can restart with a stale view of the group, attaching forever
          // to the master it was itself; a fresh start reads the group again.
          say(`\n(${master} did not attach to ${next} in 90 s: a stale view of the master; kubectl delete pod ${master})`);
          await k(['-n', NS, 'delete', 'pod', master]);
          await rejoined(180_000);
        }
        await k(['-n', NS, 'wait', 'bc/xl', '--for=condition=ReplicasInSync', '--timeout=120s']);
      },
    );
    say('\n$ kubectl get pods -L amqkeeper.io/role   # RESTARTS shows the kill');
    say(await k(['-n', NS, 'get', 'pods', '-L', 'amqkeeper.io/role']));
    say('$ kubectl get bc xl -o jsonpath=\'{.status.conditions[?(@.type=="ReplicasInSync")].message}\'');
    say(await k(['-n', NS, 'get', 'bc', 'xl', '-o', 'jsonpath={.status.conditions[?(@.type=="ReplicasInSync")].message}']));
    const restartMaster = async (): Promise<void> => {
      // Restart the current master (a second failover) so that it reloads its store.
      const now = (await bc()).status?.master ?? next;
      await k(['-n', NS, 'delete', 'pod', now]);
      await waitFor('a master after the restart', 120_000, async () => {
        const m = (await bc()).status?.master;
        return m && m !== now ? m : undefined;
      });
    };
    const got = await step(`consume everything from the new master ${next}`, 'the client output', () =>
      consumeAll(url, 'demo.orders', COUNT, restartMaster, { env }),
    );
    say(`\nreceived ${got.distinct} distinct of ${COUNT}: ${got.lost.length} lost, ${got.duplicates} duplicates`);
    if (got.heldBack.length > 0) {
      say(
        `(${got.heldBack.length} acknowledged message(s) ${JSON.stringify(got.heldBack)} were held back by the new master until it restarted: not lost, but not delivered before the restart either)`,
      );
    }
    if (got.lost.length !== 0) {
      say(`lost: ${JSON.stringify(got.lost)}`);
      throw new Error(`${got.lost.length} messages lost`);
    }
    ok = true;
    const how = healed ? ' after the operator healed a stalled election' : '';
    say(
      `\ndemo finished in ${((Date.now() - t0) / 1000).toFixed(0)} s: master ${master} killed, ${next} took over${how}, the kubelet restarted ${master}${healed ? '' : ' as a slave'}, no message lost.`,
    );
    if (KEEP) {
      say(
        `\nStill running (--keep). Point kubectl at it:\n  export KUBECONFIG=${kc}\n  ${kubectlPath()} -n ${NS} get bc -w\nNode logs: ${logs}\nStop everything with Ctrl-C.`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    stopClients();
    await cp?.stop();
    if (!ok) process.exitCode = 1;
  }
}

main().catch(() => {
  process.exitCode = 1;
});
