// kubectl amq, run by the real kubectl as a plugin found on PATH (installed
// by hack/install-plugin.sh), against a real API server. No operator runs:
// the BrokerClusters carry a status written here, the broker pods are gated
// from scheduling and their readiness is written here too, and what the
// commands must do is read back from the API server (the operator's answers to
// the annotations are tested with the operator).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BrokerClusterStatus } from '../src/api/types';
import { installCrd } from './support/broker-set';
import { clusterAccess } from './support/cluster-access';
import { type ControlPlane, kubectlPath, startControlPlane } from './support/control-plane';
import { eventually } from './support/eventually';
import { manifest } from './fixtures/clusters';

const ROOT = join(__dirname, '..');
const NS = 'amq';
const NAME = 'xl';
/** A cluster with an external ensemble, no master and nothing published yet. */
const BARE = 'ext';
const FAILOVER_URL = `failover:(tcp://xl-broker-0.${NS}.svc:61616,tcp://xl-broker-1.${NS}.svc:61617,tcp://xl-broker-2.${NS}.svc:61618)`;
const MASTER_URL = `tcp://xl-master.${NS}.svc:61616`;
/** Local port of the console forward; nothing listens, as no pod runs. */
const CONSOLE_PORT = 18_261;

let cp: ControlPlane;
let pluginDir: string;
/** What hack/install-plugin.sh printed. */
let installed: string;
const kube = clusterAccess(() => cp.kubeconfig, NS);
const { k } = kube;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kubectl amq ...` with the plugin's directory and the real kubectl first on PATH, and KUBECONFIG set unless env says otherwise. */
function amq(args: string[], env: Record<string, string | undefined> = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const merged: NodeJS.ProcessEnv = { ...process.env, PATH: `${pluginDir}:${dirname(kubectlPath())}:${process.env.PATH ?? ''}`, KUBECONFIG: cp.kubeconfig };
    for (const [key, value] of Object.entries(env)) {
      if (value === undefined) delete merged[key];
      else merged[key] = value;
    }
    const p = spawn(kubectlPath(), ['amq', ...args], { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Nothing here may run on: a plugin that hangs fails the test, not the run.
    const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function amqOk(args: string[]): Promise<string> {
  const r = await amq(args);
  assert.equal(r.code, 0, `kubectl amq ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const annotations = async (name = NAME): Promise<Record<string, string>> => (await kube.cluster(name)).metadata.annotations ?? {};

async function writeStatus(name: string, status: BrokerClusterStatus): Promise<void> {
  await k(['-n', NS, 'patch', 'brokerclusters.amqkeeper.io', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

const STATUS: BrokerClusterStatus = {
  phase: 'Running',
  replicas: 3,
  readyReplicas: 2,
  ready: '2/3',
  master: 'xl-broker-1',
  masterSince: '2026-06-01T11:48:00.000Z',
  failovers: 2,
  lastFailover: { from: 'xl-broker-0', to: 'xl-broker-1', at: '2026-06-01T11:48:00.000Z', durationMs: 2300 },
  members: [
    { pod: 'xl-broker-0', role: 'slave', memberId: '3' },
    { pod: 'xl-broker-1', role: 'master', memberId: '4' },
    { pod: 'xl-broker-2', role: 'slave', memberId: '5' },
  ],
  failoverUrl: FAILOVER_URL,
  masterUrl: MASTER_URL,
  conditions: [
    { type: 'MasterElected', status: 'True', reason: 'Elected', message: 'xl-broker-1 is the master' },
    { type: 'ReplicasInSync', status: 'False', reason: 'SlaveAttaching', message: '1 of 2 slaves are attached to the master (waiting for xl-broker-2)' },
    { type: 'Warning', status: 'True', reason: 'SchedulerNotReplicated', message: 'spec.broker.schedulerSupport: scheduled messages are not replicated' },
  ],
};

/** A broker pod as the operator labels it, held back from scheduling: no node runs it. */
function brokerPod(i: number, role: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${NAME}-broker-${i}`,
      namespace: NS,
      labels: { 'amqkeeper.io/cluster': NAME, 'amqkeeper.io/component': 'broker', 'amqkeeper.io/node': String(i), 'amqkeeper.io/role': role },
    },
    spec: { schedulingGates: [{ name: 'amqkeeper.io/test-only' }], containers: [{ name: 'broker', image: 'amq-keeper/broker:test' }] },
  };
}

before(async () => {
  cp = await startControlPlane();
  await installCrd(cp.kubeconfig, NS);
  pluginDir = mkdtempSync(join(tmpdir(), 'amq-keeper-plugin-'));
  installed = execFileSync('bash', [join(ROOT, 'hack', 'install-plugin.sh'), pluginDir], { encoding: 'utf8' });
  await kube.apply(manifest(NAME, NS, { brokerName: 'xlBroker', replicas: 3, zookeeper: { replicas: 3 } }));
  await kube.apply(manifest(BARE, NS, { brokerName: 'extBroker', replicas: 2, zookeeper: { external: { connectString: '127.0.0.1:2181' } } }));
  await writeStatus(NAME, STATUS);
  for (const [i, role] of [
    [0, 'slave'],
    [1, 'master'],
    [2, 'slave'],
  ] as const) {
    await kube.apply(brokerPod(i, role));
  }
  // xl-broker-2 is the one not Ready.
  for (const [i, ready] of [
    [0, 'True'],
    [1, 'True'],
    [2, 'False'],
  ] as const) {
    const status = { conditions: [{ type: 'Ready', status: ready }] };
    await k(['-n', NS, 'patch', 'pod', `${NAME}-broker-${i}`, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  }
  await kube.apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${NAME}-connection`, namespace: NS },
    data: { failoverUrl: FAILOVER_URL, masterUrl: MASTER_URL },
  });
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `${NAME}-master`, namespace: NS },
    spec: {
      selector: { 'amqkeeper.io/cluster': NAME, 'amqkeeper.io/component': 'broker', 'amqkeeper.io/node': '1' },
      ports: [{ name: 'console', port: 8161, targetPort: 8162 }],
    },
  });
});

after(async () => {
  await cp?.stop();
  if (pluginDir) rmSync(pluginDir, { recursive: true, force: true });
});

describe('kubectl amq', () => {
  test('hack/install-plugin.sh links it where kubectl finds it; no arguments print the usage', async () => {
    assert.match(installed, /^installed: .*kubectl-amq -> .*bin\/kubectl-amq$/m);
    assert.equal(readlinkSync(join(pluginDir, 'kubectl-amq')), join(ROOT, 'bin', 'kubectl-amq'));
    const plugins = await new Promise<string>((resolve) => {
      const p = spawn(kubectlPath(), ['plugin', 'list'], { env: { ...process.env, PATH: `${pluginDir}:${process.env.PATH ?? ''}` } });
      let s = '';
      p.stdout.on('data', (d: Buffer) => (s += d.toString()));
      p.on('close', () => resolve(s));
    });
    assert.match(plugins, new RegExp(`^${pluginDir}/kubectl-amq$`, 'm'));
    for (const args of [[], ['help']]) {
      const usage = await amqOk(args);
      for (const command of ['status', 'switchover', 'restart', 'pause', 'resume', 'url', 'console'])
        assert.match(usage, new RegExp(`kubectl amq ${command} <cluster>`));
    }
  });

  test('status: the master, each node with role, ready and in-sync, the failovers and the warnings', async () => {
    const out = await amqOk(['status', NAME, '-n', NS]);
    assert.match(out, /^Cluster: +amq\/xl \(Running, 2\/3 ready\)$/m);
    assert.match(out, /^Master: +xl-broker-1 since 2026-06-01T11:48:00.000Z \(\d+[smhd] ago\)$/m);
    assert.match(out, /^Failovers: +2; last xl-broker-0 -> xl-broker-1 at 2026-06-01T11:48:00.000Z, no master for 2300 ms$/m);
    assert.match(out, /^In sync: +no \(SlaveAttaching\): 1 of 2 slaves are attached to the master \(waiting for xl-broker-2\)$/m);
    assert.match(out, /^POD +ROLE +READY +IN-SYNC +STATUS +RESTARTS +NODE$/m);
    assert.match(out, /^xl-broker-0 +slave +yes +unknown +Pending +0 +-$/m);
    assert.match(out, /^xl-broker-1 +master +yes +- +Pending +0 +-$/m);
    assert.match(out, /^xl-broker-2 +slave +no +no +Pending +0 +-$/m);
    assert.match(out, /^Warnings:\n {2}- spec\.broker\.schedulerSupport: scheduled messages are not replicated$/m);

    const json = JSON.parse(await amqOk(['status', NAME, '-n', NS, '-o', 'json'])) as {
      master: string;
      failovers: number;
      nodes: { pod: string; role: string; ready: string; inSync: string }[];
      warnings: string[];
    };
    assert.equal(json.master, 'xl-broker-1');
    assert.equal(json.failovers, 2);
    assert.deepEqual(
      json.nodes.map((n) => [n.pod, n.role, n.ready, n.inSync]),
      [
        ['xl-broker-0', 'slave', 'yes', 'unknown'],
        ['xl-broker-1', 'master', 'yes', '-'],
        ['xl-broker-2', 'slave', 'no', 'no'],
      ],
    );
    assert.equal(json.warnings.length, 1);

    const bare = await amqOk(['status', BARE, '-n', NS]);
    assert.match(bare, /^Master: +none/m);
    assert.match(bare, /^ext-broker-0 +- +- +unknown +Missing +0 +-$/m);
    assert.match(bare, /^Warnings: +none$/m);
  });

  test("kubectl's flags after the plugin's name: --kubeconfig, --context and the context's namespace; errors name the fix", async () => {
    // A kubeconfig of its own with a context whose namespace is amq, and no KUBECONFIG.
    const dir = mkdtempSync(join(tmpdir(), 'amq-keeper-kubeconfig-'));
    try {
      const config = join(dir, 'config');
      writeFileSync(config, await k(['config', 'view', '--raw', '--flatten']));
      const current = (await k(['config', 'view', '-o', 'jsonpath={.contexts[0].context.cluster} {.contexts[0].context.user}'])).split(' ');
      await k(['config', 'set-context', 'amq-ctx', `--cluster=${current[0]}`, `--user=${current[1]}`, `--namespace=${NS}`, '--kubeconfig', config]);
      const viaContext = await amq(['status', NAME, '--kubeconfig', config, '--context', 'amq-ctx'], { KUBECONFIG: undefined });
      assert.equal(viaContext.code, 0, viaContext.stderr);
      assert.match(viaContext.stdout, /^Master: +xl-broker-1/m);
      // The current context has no namespace: "default", and the error says where it looked and what is there.
      const elsewhere = await amq(['status', NAME], { KUBECONFIG: config });
      assert.equal(elsewhere.code, 1);
      assert.match(
        elsewhere.stderr,
        /^error: no BrokerCluster "xl" in namespace "default" \(there is none there; list every namespace with: kubectl get brokerclusters -A\); name another namespace with -n$/m,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const missing = await amq(['status', 'nope', '-n', NS]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: no BrokerCluster "nope" in namespace "amq" \(BrokerClusters there: ext, xl\)/m);
    const noName = await amq(['pause', '-n', NS]);
    assert.equal(noName.code, 1);
    assert.match(noName.stderr, /pause needs a cluster name \(BrokerClusters in namespace "amq": ext, xl\)/);
    const badFlag = await amq(['url', NAME, '-n', NS, '--wait']);
    assert.equal(badFlag.code, 1);
    assert.match(badFlag.stderr, /^error: url takes no --wait\nSee: kubectl amq help$/m);
    const before = await amq(['-n', NS, 'status', NAME]);
    assert.equal(before.code, 0, 'kubectl flags may also come before the command');
  });

  test('switchover: a new annotation value for every request, "any" or the slave named', async () => {
    await amqOk(['switchover', NAME, '-n', NS]);
    const first = (await annotations())['amqkeeper.io/switchover'] ?? '';
    assert.match(first, /^any@\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    await new Promise((r) => setTimeout(r, 5));
    const out = await amqOk(['switchover', NAME, 'any', '-n', NS]);
    assert.match(out, /^switchover of xl to any slave in sync asked for \(amqkeeper\.io\/switchover=any@.+\)$/m);
    const second = (await annotations())['amqkeeper.io/switchover'] ?? '';
    assert.match(second, /^any@/);
    assert.notEqual(second, first, 'a repeated request is a new value');
    await amqOk(['switchover', NAME, '2', '-n', NS]);
    assert.match((await annotations())['amqkeeper.io/switchover'] ?? '', /^xl-broker-2@/);
    await amqOk(['switchover', NAME, 'xl-broker-0', '-n', NS]);
    const named = (await annotations())['amqkeeper.io/switchover'] ?? '';
    assert.match(named, /^xl-broker-0@/);
    // The master itself: nothing to ask; something not a broker pod of the cluster: refused here.
    assert.match(await amqOk(['switchover', NAME, 'xl-broker-1', '-n', NS]), /xl-broker-1 is the master already/);
    const wrong = await amq(['switchover', NAME, 'zk-0', '-n', NS]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /zk-0 is not a broker pod of xl/);
    assert.equal((await annotations())['amqkeeper.io/switchover'], named);
  });

  test("switchover --wait: prints the operator's answer; refused exits 1; no answer times out", async () => {
    const answer = async (pod: string, status: (value: string) => BrokerClusterStatus['switchover']): Promise<Ran> => {
      const before = (await annotations())['amqkeeper.io/switchover'];
      const running = amq(['switchover', NAME, ...(pod === 'any' ? [] : [pod]), '--wait', '--timeout', '60s', '-n', NS]);
      // The value the plugin wrote, answered as the operator would.
      const value = await eventually(
        async () => {
          const v = (await annotations())['amqkeeper.io/switchover'];
          assert.ok(v && v !== before && v.startsWith(`${pod}@`), `new value: ${v}`);
          return v;
        },
        { what: 'the switchover annotation' },
      );
      await writeStatus(NAME, {
        switchover: { request: value, state: 'Waiting', at: new Date().toISOString(), message: 'slaves not in sync: xl-broker-2 is attaching' },
      });
      await new Promise((r) => setTimeout(r, 1500));
      await writeStatus(NAME, { switchover: status(value) });
      return running;
    };
    const done = await answer('xl-broker-2', (request) => ({
      request,
      state: 'Done',
      from: 'xl-broker-1',
      to: 'xl-broker-2',
      interruptionMs: 1800,
      message: 'xl-broker-1 -> xl-broker-2',
    }));
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^switched over: xl-broker-1 -> xl-broker-2; no master for 1800 ms$/m);
    assert.match(done.stderr, /^Waiting: slaves not in sync: xl-broker-2 is attaching$/m);

    const refused = await answer('any', (request) => ({
      request,
      state: 'Refused',
      message: 'the slaves are not in sync after 60 s: xl-broker-2 is attaching',
    }));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: switchover refused: the slaves are not in sync after 60 s: xl-broker-2 is attaching$/m);

    const unanswered = await amq(['switchover', NAME, '--wait', '--timeout', '2s', '-n', NS]);
    assert.equal(unanswered.code, 1);
    assert.match(unanswered.stderr, /switchover not done within 2 s \(the operator has not answered it; check that amq-keeper runs\)/);
  });

  test('restart: a new value of amqkeeper.io/restart each time, or of restart-zookeeper', async () => {
    await amqOk(['restart', NAME, '-n', NS]);
    const first = (await annotations())['amqkeeper.io/restart'] ?? '';
    assert.ok(!Number.isNaN(Date.parse(first)), `a time: ${first}`);
    await new Promise((r) => setTimeout(r, 5));
    assert.match(await amqOk(['restart', NAME, '-n', NS]), /the operator rolls every broker once/);
    assert.notEqual((await annotations())['amqkeeper.io/restart'], first);
    assert.match(await amqOk(['restart', NAME, '--zookeeper', '-n', NS]), /restart-zookeeper=/);
    assert.ok((await annotations())['amqkeeper.io/restart-zookeeper']);
    // An ensemble amq-keeper does not run is not for it to restart.
    const external = await amq(['restart', BARE, '--zookeeper', '-n', NS]);
    assert.equal(external.code, 1);
    assert.match(external.stderr, /ext uses an external ZooKeeper ensemble/);
    assert.equal((await annotations(BARE))['amqkeeper.io/restart-zookeeper'], undefined);
  });

  test('pause and resume: amqkeeper.io/pause-reconcile set to "true", then removed', async () => {
    assert.match(await amqOk(['pause', NAME, '-n', NS]), /xl paused .*master Service/);
    assert.equal((await annotations())['amqkeeper.io/pause-reconcile'], 'true');
    assert.match(await amqOk(['pause', NAME, '-n', NS]), /paused already/);
    assert.match(await amqOk(['status', NAME, '-n', NS]), /^Paused: +yes/m);
    // A request made while paused says when it is taken up.
    assert.match(await amqOk(['restart', NAME, '-n', NS]), /xl is paused; the operator acts on this once it is resumed/);
    assert.match(await amqOk(['resume', NAME, '-n', NS]), /xl resumed/);
    assert.equal((await annotations())['amqkeeper.io/pause-reconcile'], undefined);
    assert.match(await amqOk(['resume', NAME, '-n', NS]), /xl is not paused/);
  });

  test('url: the failover URL of the connection ConfigMap, the master URL, or the status; a clear error before either exists', async () => {
    assert.equal(await amqOk(['url', NAME, '-n', NS]), `${FAILOVER_URL}\n`);
    assert.equal(await amqOk(['url', NAME, '--master', '-n', NS]), `${MASTER_URL}\n`);
    const none = await amq(['url', BARE, '-n', NS]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no failoverUrl is published for ext yet: the operator writes it to ConfigMap ext-connection/);
    await writeStatus(BARE, { failoverUrl: 'failover:(tcp://ext-broker-0.amq.svc:61616,tcp://ext-broker-1.amq.svc:61617)' });
    assert.equal(await amqOk(['url', BARE, '-n', NS]), 'failover:(tcp://ext-broker-0.amq.svc:61616,tcp://ext-broker-1.amq.svc:61617)\n');
  });

  test("console: kubectl port-forward of the master Service's console port on 127.0.0.1; none without a master", async () => {
    const r = await amq(['console', NAME, '-n', NS, '--port', String(CONSOLE_PORT)]);
    assert.match(r.stderr, /^The console of the master xl-broker-1: http:\/\/127\.0\.0\.1:18261\/admin\//m);
    assert.match(r.stderr, new RegExp(`^\\+ kubectl --namespace amq port-forward service/xl-master ${CONSOLE_PORT}:8161 --address 127\\.0\\.0\\.1$`, 'm'));
    // kubectl ran it and said why it could not forward: the pod the Service selects runs nowhere.
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unable to forward port because pod is not running\. Current status=Pending/);
    assert.match(r.stderr, /error: kubectl port-forward exited with \d+/);
    const none = await amq(['console', BARE, '-n', NS]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no master is elected in ext, so no console to forward to/);
  });
});
