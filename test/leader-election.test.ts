// Several operator processes with --leader-elect against a real API server:
// one reconciles, the others wait without writing; a crashed leader is
// replaced only after its lease ran out, a stopped one deletes its lease so
// another takes over at once (and an uninstall leaves none behind), and
// a leader that finds its lease taken exits before doing anything else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { clusterAccess } from './support/cluster-access';
import { eventually } from './support/eventually';
import { installCrd } from './support/broker-set';
import { startOperatorProcess, type OperatorProcess } from './support/operator-process';
import { example } from './fixtures/clusters';
import { microTime, type Lease, type LeaseSpec } from '../src/leader/lease-record';

const ROOT = join(__dirname, '..');
const LEASE_NS = 'ops';
const NS = 'mq';
// Short, so the test is quick; the rules are the same as with the defaults.
const LEASE_S = 4;
const TIMING = ['--leader-elect-lease-duration', `${LEASE_S}s`, '--leader-elect-renew-deadline', '3s', '--leader-elect-retry-period', '500ms'];

let cp: ControlPlane;
const kube = clusterAccess(() => cp.kubeconfig, NS);
const { k } = kube;
const running: OperatorProcess[] = [];

/** Every version of the Lease, with the moment this test saw it. */
class LeaseObserver {
  readonly history: { at: number; phase: string; spec: LeaseSpec }[] = [];
  private abort: AbortController | undefined;
  async start(config: KubeConfig): Promise<void> {
    this.abort = await new Watch(config).watch(
      `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NS}/leases`,
      { fieldSelector: 'metadata.name=amq-keeper' },
      (phase: string, lease: Lease) => this.history.push({ at: Date.now(), phase, spec: phase === 'DELETED' ? {} : (lease.spec ?? {}) }),
      () => undefined,
    );
  }
  get holder(): string | undefined {
    return this.history[this.history.length - 1]?.spec.holderIdentity;
  }
  /** The first version held by `who` seen after `since`. */
  heldBy(who: string, since = 0): { at: number; phase: string; spec: LeaseSpec } {
    const v = this.history.find((h) => h.at >= since && h.spec.holderIdentity === who);
    if (!v) throw new Error(`lease not held by ${who} (holders seen: ${[...new Set(this.history.map((h) => h.spec.holderIdentity ?? '(none)'))].join(', ')})`);
    return v;
  }
  stop(): void {
    this.abort?.abort();
  }
}
const lease = new LeaseObserver();

async function candidate(identity: string): Promise<OperatorProcess> {
  const op = await startOperatorProcess(cp.kubeconfig, {
    args: ['--leader-elect', '--leader-elect-resource-namespace', LEASE_NS, ...TIMING, '--no-master-tracking', '--log-format', 'text'],
    env: { POD_NAME: identity },
    logFile: join(ROOT, '.state', `leader-election-${identity}-${Date.now()}.log`),
  });
  running.push(op);
  return op;
}

/** Applies a minimal cluster; resolves once its status is written, i.e. some leader reconciled it. */
async function applyReconciled(name: string): Promise<void> {
  await kube.apply(example('minimal.yaml', { name, namespace: NS }));
  await kube.untilCluster(name, (bc) => assert.ok(bc.status?.observedGeneration, `${name} has no status yet`), {
    what: `${name} reconciled`,
    timeoutMs: 30_000,
  });
}

const micros = (t: string | undefined) => Date.parse(t ?? '');

before(async () => {
  cp = await startControlPlane();
  await installCrd(cp.kubeconfig, NS, LEASE_NS);
  const config = new KubeConfig();
  config.loadFromFile(cp.kubeconfig);
  await lease.start(config);
});

after(async () => {
  lease.stop();
  for (const op of running) await op.kill('SIGKILL');
  await cp?.stop();
});

describe('leader election', () => {
  let a: OperatorProcess;
  let b: OperatorProcess;

  test('the first candidate takes the lease and reconciles; the second waits, ready, and writes nothing', async () => {
    a = await candidate('op-a');
    await eventually(() => assert.equal(lease.holder, 'op-a'), { what: 'op-a holds the lease' });
    b = await candidate('op-b');
    await applyReconciled('one');
    assert.equal(await a.metric('amqkeeper_leader'), 1);
    assert.equal(await b.metric('amqkeeper_leader'), 0);
    assert.equal(await b.metric('amqkeeper_kube_writes_total'), 0, 'the waiting candidate wrote to the API server');
    assert.ok((await a.metric('amqkeeper_kube_writes_total')) > 0);
    assert.ok((await fetch(`http://127.0.0.1:${b.port}/readyz`)).ok, 'a waiting candidate is ready (rolling updates need it)');
    assert.match(readFileSync(b.logFile, 'utf8'), /lease held by another.*op-a/);
    assert.equal(lease.heldBy('op-a').spec.leaseDurationSeconds, LEASE_S);
  });

  test('a leader killed with SIGKILL is replaced only after its lease ran out, and the new leader reconciles', async () => {
    const before = lease.history[lease.history.length - 1]!.spec;
    await a.kill('SIGKILL');
    const killedAt = Date.now();
    // Nobody renews now: the last version seen is the dead leader's last renewal.
    const lastRenewal = lease.history.filter((h) => h.spec.holderIdentity === 'op-a').pop()!.spec;
    await eventually(() => assert.equal(lease.holder, 'op-b'), { what: 'op-b takes over', timeoutMs: 20_000 });
    const taken = lease.heldBy('op-b', killedAt);
    const waitedMs = micros(taken.spec.acquireTime) - micros(lastRenewal.renewTime);
    console.log(
      `# SIGKILL of the leader -> new leader in ${taken.at - killedAt} ms (lease ${LEASE_S} s, retry 500 ms); lease unrenewed for ${waitedMs} ms before the takeover`,
    );
    assert.ok(waitedMs >= LEASE_S * 1000 - 50, `op-b took the lease ${waitedMs} ms after op-a's last renewal, before ${LEASE_S} s`);
    assert.ok(taken.at - killedAt < (LEASE_S + 3) * 1000, `takeover took ${taken.at - killedAt} ms`);
    assert.equal(taken.spec.leaseTransitions, (before.leaseTransitions ?? 0) + 1);
    await applyReconciled('two');
    assert.equal(await b.metric('amqkeeper_leader'), 1);
  });

  test('a leader stopped with SIGTERM deletes its lease: a waiting candidate takes over at once', async () => {
    a = await candidate('op-a');
    assert.equal(await a.metric('amqkeeper_leader'), 0);
    const termAt = Date.now();
    await b.kill('SIGTERM');
    assert.equal(await b.exited, 0);
    await eventually(() => assert.equal(lease.holder, 'op-a'), { what: 'op-a takes over', timeoutMs: 20_000 });
    const taken = lease.heldBy('op-a', termAt);
    assert.ok(
      lease.history.some((h) => h.at >= termAt && h.phase === 'DELETED'),
      'the stopping leader deleted its lease',
    );
    console.log(`# SIGTERM of the leader -> new leader in ${taken.at - termAt} ms (lease ${LEASE_S} s)`);
    assert.ok(taken.at - termAt < LEASE_S * 1000, `handover took ${taken.at - termAt} ms: the lease expired instead of being released`);
    await applyReconciled('three');
  });

  test('a leader that finds its lease held by another exits at once', async () => {
    const now = microTime(new Date());
    const stolenAt = Date.now();
    // A merge patch carries no resourceVersion, so it wins over the leader's renewals.
    await k([
      '-n',
      LEASE_NS,
      'patch',
      'lease',
      'amq-keeper',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { holderIdentity: 'intruder', renewTime: now, acquireTime: now } }),
    ]);
    assert.equal(await a.exited, 1, 'a leader that lost its lease must stop with an error, so it is restarted as a candidate');
    console.log(`# lease taken by another -> old leader exited after ${Date.now() - stolenAt} ms`);
    assert.match(readFileSync(a.logFile, 'utf8'), /leadership lost, exiting.*held by intruder/);
  });

  test('bad leader election flags are refused with the flag and the fix', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), '--leader-elect', '--leader-elect-lease-duration', '5s'], {
      cwd: ROOT,
      env: { ...process.env, POD_NAMESPACE: 'ops' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error: --leader-elect-renew-deadline \(10s\) must be shorter than --leader-elect-lease-duration \(5s\)/);
  });
});
