// The seed's broker features, each proven on real brokers: a real control
// plane, the operator in this process (with master tracking), a real 3-node
// ZooKeeper ensemble and three real ActiveMQ 5.16.8 brokers started from the
// operator-rendered <name>-broker-config, driven by the JMS client in
// test/client through the URL the operator publishes.
//
// One BrokerCluster covers every case: deploy/examples/seed-features.yaml (the
// seed's setup: individual DLQ.<queue>, expired messages dropped,
// non-persistent poison kept, client redelivery 6 x 1 s, async send) plus
// per-destination policies for the other settings, each on its own queues.
// Ports are not the seed's, so this file can run beside test/failover.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { startEnsemble, type Ensemble } from './support/zookeeper';
import { BrokerSet, installCrd, portOpen } from './support/broker-set';
import { startOperator, type RunningOperator } from './support/operator';
import { kubectl, kubectlOk } from './support/kubectl';
import { eventually } from './support/eventually';
import { runClient, type ClientEvent } from './support/jms-client';
import { OPENWIRE, startOpenWireProxy } from './support/openwire-proxy';
import { brokerClusterSpecSchema } from '../src/api/schema';
import { poisonDeliveries } from '../src/api/spec-checks';
import { failoverUrl } from '../src/resources/connection-url';
import type { BrokerCluster } from '../src/api/types';

const ROOT = join(__dirname, '..');
const NS = 'feat';
const NAME = 'feat';
const PORTS = { openwire: 62616, console: 9161, replication: 64631 };

let cp: ControlPlane;
let zk: Ensemble;
let releasePorts: (() => void) | undefined;
let op: RunningOperator | undefined;
let brokers: BrokerSet;
/** The failover URL the operator published, with the node Services replaced by 127.0.0.1. */
let publishedUrl: string;

const k = (args: string[], input?: string) => kubectlOk(cp.kubeconfig, args, input);
const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await k([...args, '-o', 'json'])) as T;
const cluster = (name = NAME) => getJson<BrokerCluster>(['-n', NS, 'get', 'bc', name]);
const indexOf = (pod: string) => Number(pod.slice(pod.lastIndexOf('-') + 1));
const local = (url: string, name = NAME) => url.replace(new RegExp(`${name}-broker-\\d\\.${NS}\\.svc`, 'g'), '127.0.0.1');

/** The seed example, made to run here: other ports, the test's ensemble, and a policy per case. */
function featureCluster(connectString: string): Record<string, unknown> {
  const ex = parse(readFileSync(join(ROOT, 'deploy', 'examples', 'seed-features.yaml'), 'utf8')) as {
    spec: { broker: Record<string, unknown>; zookeeper: Record<string, unknown>; ports?: unknown };
  };
  const spec = ex.spec;
  spec.ports = PORTS;
  // 10 s, not the seed's 2 s: on a loaded 2-core machine a 2 s session expires
  // under GC or CPU pressure, and an unplanned failover would drop the
  // scheduler store that several cases below depend on.
  spec.zookeeper = { external: { connectString }, sessionTimeout: '10s' };
  spec.broker.redelivery = {
    destinations: [
      // Broker redelivery alone (with a client that gives up at once): 1 s, 2 s, 4 s.
      { queue: 'broker.redeliver.>', policy: { maximumRedeliveries: 3, initialRedeliveryDelay: 1000, redeliveryDelay: 1000, useExponentialBackOff: true, backOffMultiplier: 2 } },
      { queue: 'stacked.>', policy: { maximumRedeliveries: 1, initialRedeliveryDelay: 1000, redeliveryDelay: 1000 } },
      // Parks a message in the scheduler for a minute: what a failover does to it.
      { queue: 'slow.>', policy: { maximumRedeliveries: 1, initialRedeliveryDelay: 60_000, redeliveryDelay: 60_000 } },
    ],
  };
  const deadLetter = spec.broker.deadLetter as Record<string, unknown>;
  deadLetter.destinations = [
    { queue: 'client.redeliver.shared', strategy: 'shared' },
    { queue: 'broker.redeliver.shared', strategy: 'shared' },
    { queue: 'expire.dlq', strategy: 'individual', queuePrefix: 'DLQ.', processExpired: true },
    { queue: 'expire.shared', strategy: 'shared', processExpired: true },
    { queue: 'expire.discard', strategy: 'discard' },
    { queue: 'poison.np.drop', strategy: 'individual', queuePrefix: 'DLQ.', processNonPersistent: false },
  ];
  return { apiVersion: 'amqkeeper.io/v1alpha1', kind: 'BrokerCluster', metadata: { name: NAME, namespace: NS }, spec };
}

/**
 * The ports are fixed, so two runs of this file (say, two npm test at once on
 * one machine) would join each other's ensemble and brokers. A host-wide flock
 * makes the second wait. It is held by a child whose stdin is this process:
 * if this process dies, the child reads EOF, exits, and the lock is free.
 */
async function lockPorts(): Promise<() => void> {
  const dir = join(tmpdir(), 'amq-keeper-ports');
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, `features-${PORTS.openwire}.lock`);
  const holder = spawn('flock', [lock, '-c', 'echo locked; read -r _'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = setTimeout(() => console.log(`# waiting for another run of test/features.test.ts to release ${lock}`), 2000);
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`flock ${lock} ended (${code})`)));
  });
  clearTimeout(waiting);
  return () => holder.stdin.end();
}

const startNode = async (i: number) => void (await brokers.start(i));
const killNode = (i: number) => brokers.kill(i);

/** The node the operator reports as master, once it serves OpenWire. */
async function settledMaster(not?: number, timeoutMs = 120_000): Promise<number> {
  return eventually(
    async () => {
      const pod = (await cluster()).status?.master;
      assert.ok(pod, 'a master is reported');
      const i = indexOf(pod);
      assert.notEqual(i, not, `still node ${not}`);
      assert.ok(await portOpen(PORTS.openwire + i), `node ${i} serves OpenWire`);
      return i;
    },
    { timeoutMs, intervalMs: 250, what: 'a serving master' },
  );
}

/** Runs one client command to its summary line. */
const client = (args: string[]): Promise<ClientEvent> => runClient(args).done;

type Delivery = {
  seq: number;
  atMs: number;
  timestamp: number;
  redeliveryCounter: number;
  brokerRedeliveryDelay: number | null;
  persistent: boolean;
  originalDestination: string | null;
  dlqDeliveryFailureCause: string | null;
};
const messages = (summary: ClientEvent): Delivery[] => summary.messages as Delivery[];
const gaps = (ds: Delivery[]): number[] => ds.slice(1).map((d, i) => d.atMs - ds[i]!.atMs);

/** Messages in a queue (browsed, not consumed), optionally only those dead-lettered from one queue. */
async function browse(queue: string, from?: string): Promise<Delivery[]> {
  const all = messages(await client(['browse', '--url', publishedUrl, '--queue', queue]));
  return from === undefined ? all : all.filter((m) => m.originalDestination === `queue://${from}`);
}

/** The same cluster's URL with other client options, built by the product's own builder. */
async function urlWithClient(clientSpec: Record<string, unknown>): Promise<string> {
  const c = await cluster();
  return failoverUrl({ ...c, spec: { ...c.spec, client: { ...c.spec.client, ...clientSpec } } }, () => '127.0.0.1');
}

async function produce(queue: string, count: number, extra: string[] = []): Promise<ClientEvent> {
  const s = await client(['produce', '--url', publishedUrl, '--queue', queue, '--count', String(count), ...extra]);
  assert.equal(s.acked, count, `${queue}: every send acknowledged`);
  return s;
}

before(async () => {
  releasePorts = await lockPorts();
  cp = await startControlPlane();
  zk = await startEnsemble({ clientPortBase: 12181, peerPortBase: 12888, electionPortBase: 13888 });
  await installCrd(cp.kubeconfig, NS);
  await k(['apply', '-f', '-'], stringify(featureCluster(zk.connectString)));
  op = await startOperator(cp.kubeconfig, { masterTracking: true });

  // The brokers run exactly what the operator rendered for them.
  brokers = new BrokerSet(cp.kubeconfig, NS, NAME);
  await brokers.writeRenderedConfig();
  console.log(`# broker logs: ${brokers.work}/data/node-<i>/broker.log`);
  const conn = await eventually(() => getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', `${NAME}-connection`]), { what: 'connection config' });
  publishedUrl = local(conn.data?.failoverUrl ?? '');
  await brokers.startAll(3);
  await settledMaster();
});

after(async () => {
  await brokers?.killAll();
  await op?.stop();
  await zk?.stop();
  await cp?.stop();
  releasePorts?.();
});

describe('settings the API server refuses, naming the field', () => {
  const base = () => ({
    apiVersion: 'amqkeeper.io/v1alpha1',
    kind: 'BrokerCluster',
    metadata: { name: 'bad', namespace: NS },
    spec: { brokerName: 'b', zookeeper: { replicas: 3 } } as Record<string, unknown>,
  });
  const apply = (broker: Record<string, unknown>) => {
    const obj = base();
    obj.spec.broker = broker;
    return kubectl(cp.kubeconfig, ['apply', '--dry-run=server', '-f', '-'], stringify(obj));
  };
  const refused = async (broker: Record<string, unknown>, message: RegExp) => {
    const r = await apply(broker);
    assert.notEqual(r.code, 0, `accepted: ${JSON.stringify(broker)}`);
    assert.match(r.stderr, message);
  };

  test('the valid neighbours of each refused spec are accepted', async () => {
    for (const ok of [
      { schedulerSupport: true, redelivery: { defaultPolicy: { initialRedeliveryDelay: 1000, redeliveryDelay: 1000 } } },
      { deadLetter: { strategy: 'individual', queuePrefix: 'DEAD.', destinations: [{ queue: 'a.>', strategy: 'discard' }] } },
    ]) {
      const r = await apply(ok);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  test('redelivery without schedulerSupport', () =>
    refused({ redelivery: {} }, /spec\.broker: Invalid value: .*spec\.broker\.redelivery needs spec\.broker\.schedulerSupport: true/));
  test('a redelivery delay under 1000 ms', async () => {
    await refused(
      { schedulerSupport: true, redelivery: { defaultPolicy: { initialRedeliveryDelay: 500 } } },
      /spec\.broker\.redelivery\.defaultPolicy\.initialRedeliveryDelay: Invalid value: 500: .*greater than or equal to 1000/,
    );
    await refused(
      { schedulerSupport: true, redelivery: { destinations: [{ queue: 'q', policy: { redeliveryDelay: 999 } }] } },
      /spec\.broker\.redelivery\.destinations\[0\]\.policy\.redeliveryDelay: Invalid value: 999/,
    );
  });
  test('an unknown dead-letter strategy', async () => {
    await refused({ deadLetter: { strategy: 'bogus' } }, /spec\.broker\.deadLetter\.strategy: Unsupported value: "bogus"/);
    await refused({ deadLetter: { destinations: [{ queue: 'q', strategy: 'individal' }] } }, /spec\.broker\.deadLetter\.destinations\[0\]\.strategy: Unsupported value: "individal"/);
  });
  test('a malformed dead-letter prefix', async () => {
    await refused({ deadLetter: { strategy: 'individual', queuePrefix: 'DLQ>' } }, /spec\.broker\.deadLetter\.queuePrefix: Invalid value: "DLQ>"/);
    await refused({ deadLetter: { strategy: 'individual', topicPrefix: 'dead letters.' } }, /spec\.broker\.deadLetter\.topicPrefix: Invalid value: "dead letters\."/);
    // Empty: the dead-letter queue would be the queue itself.
    await refused({ deadLetter: { strategy: 'individual', queuePrefix: '' } }, /spec\.broker\.deadLetter\.queuePrefix: Invalid value: ""/);
    await refused({ deadLetter: { destinations: [{ queue: 'q', queuePrefix: '.DLQ' }] } }, /spec\.broker\.deadLetter\.destinations\[0\]\.queuePrefix: Invalid value: "\.DLQ"/);
  });

  test('kubectl explain documents each feature setting', async () => {
    const explain = (field: string) => eventually(() => k(['explain', `bc.spec.${field}`]), { what: `explain ${field}` });
    const flat = async (field: string) => (await explain(field)).replace(/\s+/g, ' ');
    assert.match(await flat('broker.schedulerSupport'), /AMQ_SCHEDULED_DELAY.*REPEAT\+1 times.*does not deliver them/);
    assert.match(await flat('broker.redelivery'), /maximumRedeliveries: 0 to let this policy alone decide/);
    assert.match(await flat('broker.redelivery.defaultPolicy'), /no broker redelivery \(see fallbackToDeadLetter\)/);
    assert.match(await flat('broker.deadLetter.strategy'), /ActiveMQ\.DLQ.*DLQ\.orders.*discarding/);
    assert.match(await flat('broker.deadLetter.queuePrefix'), /never empty/);
    assert.match(await flat('broker.deadLetter.processExpired'), /time to live/);
    assert.match(await flat('broker.deadLetter.processNonPersistent'), /non-persistent poison/);
    assert.match(await flat('client.useAsyncSend'), /AsyncCallback/);
    assert.match(await flat('client.redeliveryPolicy.maximumRedeliveries'), /Client default 6 \(7 deliveries\)/);
  });
});

describe('the seed features on real brokers', () => {
  test('every client option the product publishes is accepted and applied by the 5.16 client', async () => {
    // Every spec.client field, so a new one cannot be added without this proof.
    const every = {
      useAsyncSend: true,
      randomize: false,
      maxReconnectAttempts: 5,
      initialReconnectDelay: 20,
      redeliveryPolicy: {
        maximumRedeliveries: 4,
        initialRedeliveryDelay: 1500,
        redeliveryDelay: 2500,
        useExponentialBackOff: true,
        backOffMultiplier: 3,
        maximumRedeliveryDelay: 30_000,
      },
    };
    const schema = brokerClusterSpecSchema.properties.client;
    assert.deepEqual(Object.keys(every).sort(), Object.keys(schema.properties).sort());
    assert.deepEqual(Object.keys(every.redeliveryPolicy).sort(), Object.keys(schema.properties.redeliveryPolicy.properties).sort());

    // A second BrokerCluster with these options: the operator publishes its URLs.
    const obj = featureCluster(zk.connectString) as { metadata: { name: string }; spec: Record<string, unknown> };
    obj.metadata.name = 'opts';
    obj.spec.zookeeper = { external: { connectString: zk.connectString }, path: '/amq-keeper-test/opts' };
    obj.spec.client = every;
    await k(['apply', '-f', '-'], stringify(obj));
    const conn = await eventually(() => getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', 'opts-connection']), { what: 'opts-connection' });
    const failover = local(conn.data?.failoverUrl ?? '', 'opts');
    const master = await settledMaster();
    const direct = (conn.data?.masterUrl ?? '').replace(/^tcp:\/\/[^?]+/, `tcp://127.0.0.1:${PORTS.openwire + master}`);
    for (const option of ['jms.useAsyncSend=true', 'randomize=false', 'maxReconnectAttempts=5', 'initialReconnectDelay=20', 'jms.redeliveryPolicy.maximumRedeliveryDelay=30000']) {
      assert.ok(failover.includes(option), `${option} in ${failover}`);
    }
    const want = { ...every.redeliveryPolicy };
    for (const url of [failover, direct]) {
      const ping = await client(['ping', '--url', url, '--timeout-ms', '30000']);
      assert.equal(ping.ok, true, url);
      const o = ping.options as { useAsyncSend: boolean; redeliveryPolicy: typeof want; failover?: Record<string, number | boolean> };
      assert.equal(o.useAsyncSend, true);
      assert.deepEqual(o.redeliveryPolicy, want, url);
      if (url === failover) {
        assert.equal(o.failover?.randomize, false);
        assert.equal(o.failover?.maxReconnectAttempts, 5);
        assert.equal(o.failover?.initialReconnectDelay, 20);
      }
    }
    // And the client really rejects what it does not know, so the check above means something.
    const bad = await runClient(['ping', '--url', `${failover}&jms.redeliveryPolicy.maxRedeliveries=4`, '--timeout-ms', '30000']).done.then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    assert.match(bad, /jms options that couldn't be set on the ConnectionFactory.*Unknown parameters=\[\{redeliveryPolicy\.maxRedeliveries=4\}\]/);
    await k(['-n', NS, 'delete', 'bc', 'opts']);
  });

  test('async send through the published URL: every send is acknowledged by its callback, and arrives', async () => {
    assert.match(publishedUrl, /[?&]jms\.useAsyncSend=true(&|$)/);
    const COUNT = 2000;
    const sent = await client(['produce', '--url', publishedUrl, '--queue', 'async.send', '--count', String(COUNT), '--persistent', '--async', '--timeout-ms', '120000']);
    assert.equal(sent.useAsyncSend, true, 'the connection took jms.useAsyncSend from the URL');
    assert.equal(sent.errors, 0, `failed sends: ${JSON.stringify(sent.errorSeqs)}`);
    assert.equal(sent.acked, COUNT, 'one successful callback per send');
    const got = await client(['consume', '--url', publishedUrl, '--queue', 'async.send', '--expect', String(COUNT), '--idle-timeout-ms', '15000', '--drain-ms', '1000']);
    assert.equal(got.missingCount, 0);
    assert.equal(got.distinct, COUNT);
    assert.equal(got.duplicates, 0);
    console.log(`# async send: ${COUNT} sent, ${String(sent.acked)} callbacks onSuccess, 0 onException; send loop ${String(sent.sendLoopMs)} ms, all acknowledged after ${String(sent.elapsedMs)} ms; ${String(got.distinct)} received`);
  });

  test('delayed delivery: AMQ_SCHEDULED_DELAY 3000 arrives no earlier than 3 s later; delay 3 s, period 4 s, repeat 5 delivers each message 6 times', async () => {
    const delayed = runClient(['receive', '--url', publishedUrl, '--queue', 'sched.delay', '--for-ms', '12000']);
    const repeated = runClient(['receive', '--url', publishedUrl, '--queue', 'sched.repeat', '--for-ms', '36000', '--timeout-ms', '60000']);
    await Promise.all([delayed.when((e) => e.event === 'connected'), repeated.when((e) => e.event === 'connected')]);
    // The seed's Producer_Delay: three messages, delay 3 s, period 4 s, repeat 5.
    await Promise.all([
      produce('sched.delay', 3, ['--persistent', '--delay-ms', '3000']),
      produce('sched.repeat', 3, ['--persistent', '--delay-ms', '3000', '--period-ms', '4000', '--repeat', '5']),
    ]);

    const once = messages(await delayed.done);
    assert.equal(once.length, 3, 'each delayed message once');
    const waited = once.map((m) => m.atMs - m.timestamp);
    for (const w of waited) assert.ok(w >= 3000 && w < 6000, `arrived ${w} ms after it was sent`);

    const all = messages(await repeated.done);
    const bySeq = [0, 1, 2].map((s) => all.filter((m) => m.seq === s));
    const offsets = bySeq.map((ms) => ms.map((m) => m.atMs - m.timestamp));
    console.log(`# scheduled: delay 3000 arrived after ${waited.join(', ')} ms; delay 3000/period 4000/repeat 5: ${all.length} deliveries for 3 messages, offsets of message 0: ${offsets[0]?.join(', ')} ms`);
    // ActiveMQ delivers REPEAT+1 times: 18 for the seed's three messages, not the 15 it claims.
    assert.equal(all.length, 18);
    for (const [seq, ms] of bySeq.entries()) {
      assert.equal(ms.length, 6, `message ${seq}`);
      assert.ok(ms[0]!.atMs - ms[0]!.timestamp >= 3000, `message ${seq} first delivery not before the delay`);
      for (const g of gaps(ms)) assert.ok(g >= 3500 && g <= 5500, `message ${seq}: ${g} ms between deliveries, period 4000`);
    }
  });

  test("client-side redelivery (the seed's 6 x 1 s): 7 deliveries about 1 s apart, then DLQ.<queue> (individual) or ActiveMQ.DLQ (shared)", async () => {
    await Promise.all([produce('client.redeliver.individual', 1, ['--persistent']), produce('client.redeliver.shared', 1, ['--persistent'])]);
    const [individual, shared] = await Promise.all([
      client(['consume-rollback', '--url', publishedUrl, '--queue', 'client.redeliver.individual', '--mode', 'transacted', '--for-ms', '11000']),
      client(['consume-rollback', '--url', publishedUrl, '--queue', 'client.redeliver.shared', '--mode', 'client-ack', '--for-ms', '11000']),
    ]);
    for (const [name, run] of [['transacted rollback', individual], ['CLIENT_ACKNOWLEDGE recover', shared]] as const) {
      const ds = messages(run);
      console.log(`# client redelivery (${name}): ${ds.length} deliveries, gaps ${gaps(ds).join(', ')} ms`);
      assert.equal(ds.length, 7, `${name}: 1 delivery + maximumRedeliveries 6`);
      assert.deepEqual(ds.map((d) => d.redeliveryCounter), [0, 1, 2, 3, 4, 5, 6]);
      for (const g of gaps(ds)) assert.ok(g >= 950 && g <= 3000, `${name}: ${g} ms between deliveries, redeliveryDelay 1000`);
    }
    await eventually(async () => {
      const dlq = await browse('DLQ.client.redeliver.individual');
      assert.equal(dlq.length, 1, 'individual: DLQ.<queue>');
      assert.equal(dlq[0]?.originalDestination, 'queue://client.redeliver.individual');
      assert.match(dlq[0]?.dlqDeliveryFailureCause ?? '', /Delivery\[7\] exceeds redelivery policy limit/);
      assert.equal((await browse('ActiveMQ.DLQ', 'client.redeliver.shared')).length, 1, 'shared: ActiveMQ.DLQ');
    });
    assert.equal((await browse('ActiveMQ.DLQ', 'client.redeliver.individual')).length, 0);
    assert.equal((await browse('DLQ.client.redeliver.shared')).length, 0);
    assert.equal((await browse('client.redeliver.individual')).length, 0);
  });

  test('broker-side redelivery (redeliveryPlugin) with a client that gives up at once: maximumRedeliveries 3 at 1 s, 2 s, 4 s, then the dead-letter queue', async () => {
    const url = await urlWithClient({ redeliveryPolicy: { maximumRedeliveries: 0 } });
    assert.match(url, /jms\.redeliveryPolicy\.maximumRedeliveries=0/);
    await Promise.all([produce('broker.redeliver.individual', 1, ['--persistent']), produce('broker.redeliver.shared', 1, ['--persistent'])]);
    const [individual, shared] = await Promise.all([
      client(['consume-rollback', '--url', url, '--queue', 'broker.redeliver.individual', '--mode', 'transacted', '--for-ms', '14000']),
      client(['consume-rollback', '--url', url, '--queue', 'broker.redeliver.shared', '--mode', 'client-ack', '--for-ms', '14000']),
    ]);
    for (const [name, run] of [['transacted rollback', individual], ['CLIENT_ACKNOWLEDGE recover', shared]] as const) {
      const ds = messages(run);
      console.log(`# broker redelivery (${name}): ${ds.length} deliveries, gaps ${gaps(ds).join(', ')} ms for delays 1000, 2000, 4000`);
      assert.equal(ds.length, 4, `${name}: 1 delivery + maximumRedeliveries 3`);
      // The broker numbers its redeliveries and stamps the delay it used.
      assert.deepEqual(ds.map((d) => d.redeliveryCounter), [0, 1, 2, 3]);
      assert.deepEqual(ds.map((d) => d.brokerRedeliveryDelay), [null, 1000, 2000, 4000]);
      for (const [i, g] of gaps(ds).entries()) {
        const delay = 1000 * 2 ** i;
        assert.ok(g >= delay - 50 && g <= delay + 2000, `${name}: redelivery ${i + 1} after ${g} ms, delay ${delay}`);
      }
    }
    await eventually(async () => {
      const dlq = await browse('DLQ.broker.redeliver.individual');
      assert.equal(dlq.length, 1, 'individual: DLQ.<queue>');
      assert.equal(dlq[0]?.originalDestination, 'queue://broker.redeliver.individual');
      assert.equal((await browse('ActiveMQ.DLQ', 'broker.redeliver.shared')).length, 1, 'shared: ActiveMQ.DLQ');
    });
    assert.equal((await browse('DLQ.broker.redeliver.shared')).length, 0);
  });

  test('broker and client redelivery together: the client count restarts after every broker redelivery (the Warning says how often)', async () => {
    await produce('stacked.redeliver', 1, ['--persistent']);
    // The published URL: client maximumRedeliveries 6; the stacked.> broker policy: 1.
    const ds = messages(await client(['consume-rollback', '--url', publishedUrl, '--queue', 'stacked.redeliver', '--for-ms', '18000']));
    console.log(`# client 6 + broker 1 redeliveries: ${ds.length} deliveries, counters ${ds.map((d) => d.redeliveryCounter).join(',')}`);
    assert.equal(ds.length, poisonDeliveries(6, 1));
    assert.equal(ds.length, 13);
    assert.deepEqual(ds.map((d) => d.redeliveryCounter), [0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    await eventually(async () => assert.equal((await browse('DLQ.stacked.redeliver')).length, 1));
    const warning = (await cluster()).status?.conditions?.find((c) => c.type === 'Warning');
    assert.match(warning?.message ?? '', /spec\.client\.redeliveryPolicy\.maximumRedeliveries: 6: .* delivered 22 times, not 4, with the policy of queue broker\.redeliver\.>/);
    assert.equal(poisonDeliveries(6, 3), 22);
  });

  test('expiry follows processExpired and the discard strategy; a non-persistent poison message follows processNonPersistent', async () => {
    const queues = ['expire.default', 'expire.dlq', 'expire.shared', 'expire.discard'];
    const sent = await Promise.all(queues.map((q) => produce(q, 2, ['--persistent', '--ttl-ms', '1000'])));
    const expiredBy = Math.max(...sent.map((s) => Number(s.lastSentAtMs))) + 1000;
    await Promise.all([produce('poison.np.keep', 1, ['--non-persistent']), produce('poison.np.drop', 1, ['--non-persistent'])]);
    await new Promise((r) => setTimeout(r, Math.max(0, expiredBy + 500 - Date.now())));
    // A consumer makes the broker page the messages in and find them expired.
    const received = await Promise.all(queues.map((q) => client(['receive', '--url', publishedUrl, '--queue', q, '--for-ms', '2000'])));
    for (const r of received) assert.equal(r.received, 0, `${String(r.queue)}: expired messages are not delivered`);
    // The poison messages: a consumer that gives up at once, so only the dead-letter policy decides.
    const giveUp = await urlWithClient({ redeliveryPolicy: { maximumRedeliveries: 0 } });
    const poisoned = await Promise.all(
      ['poison.np.keep', 'poison.np.drop'].map((q) => client(['consume-rollback', '--url', giveUp, '--queue', q, '--for-ms', '3000'])),
    );
    for (const p of poisoned) assert.equal(p.deliveries, 1, `${String(p.queue)} delivered once, then given up`);

    const [dlq, shared, npKeep] = await eventually(async () => {
      const d = await browse('DLQ.expire.dlq');
      const s = await browse('ActiveMQ.DLQ', 'expire.shared');
      const n = await browse('DLQ.poison.np.keep');
      assert.equal(d.length, 2, 'processExpired true, individual: DLQ.expire.dlq');
      assert.equal(s.length, 2, 'processExpired true, shared: ActiveMQ.DLQ');
      assert.equal(n.length, 1, 'processNonPersistent true (the seed): DLQ.poison.np.keep');
      return [d, s, n];
    });
    for (const m of [...dlq, ...shared]) assert.match(m.dlqDeliveryFailureCause ?? '', /Message Expired/);
    assert.equal(npKeep[0]?.originalDestination, 'queue://poison.np.keep');
    // Dropped: processExpired false (the seed), discard, processNonPersistent false. Nothing anywhere.
    for (const q of ['expire.default', 'expire.discard', 'poison.np.drop']) {
      assert.equal((await browse(`DLQ.${q}`)).length, 0, `DLQ.${q}`);
      assert.equal((await browse('ActiveMQ.DLQ', q)).length, 0, `ActiveMQ.DLQ from ${q}`);
      assert.equal((await browse(q)).length, 0, `${q} itself`);
    }
    console.log(`# expiry: ttl 1000 ms; DLQ.expire.dlq ${dlq.length}, ActiveMQ.DLQ from expire.shared ${shared.length}, expire.default/expire.discard 0; non-persistent poison: kept ${npKeep.length} (persistent in the DLQ: ${String(npKeep[0]?.persistent)}), dropped 1`);
  });

  test("a producer's connection that drops as it closes, after its summary line (a master restarting itself): the run ends with that summary, and the messages arrive", async () => {
    // What a master that restarts itself (demoted by ZooKeeper) does to a
    // producer of the published URL (async send) that has written its summary
    // and is closing: its failover transport reports the drop and the
    // reconnect on its own threads, after the summary line. Made deterministic
    // here: the published URL with one address, a proxy to whichever node
    // serves OpenWire, which cuts the first connection at the client's
    // RemoveInfo (sent by Connection.close()). The RemoveInfo is not replayed
    // after the reconnect, so close() waits out jms.closeTimeout (15 s by default).
    const proxy = await startOpenWireProxy([0, 1, 2].map((i) => PORTS.openwire + i), { cutAt: OPENWIRE.REMOVE_INFO });
    try {
      const url = `${publishedUrl.replace(/^failover:\([^)]*\)/, `failover:(tcp://127.0.0.1:${proxy.port})`)}&jms.closeTimeout=3000`;
      assert.match(url, /^failover:\(tcp:\/\/127\.0\.0\.1:\d+\)\?.*jms\.useAsyncSend=true/);
      const run = runClient(['produce', '--url', url, '--queue', 'drop.on.close', '--count', '2', '--persistent', '--timeout-ms', '60000']);
      const sent = await run.done;
      assert.equal(proxy.cuts, 1, 'the connection was cut as the client closed it');
      assert.equal(sent.acked, 2);
      assert.equal(sent.errors, 0);
      // The failover transport reported the drop, on its own threads, after the summary line.
      assert.match(run.stderr(), /after the summary: \{"event":"transportInterrupted"/);
      await eventually(async () => assert.deepEqual((await browse('drop.on.close')).map((m) => m.seq).sort(), [0, 1]));
      console.log(`# a connection cut at the producer's close: summary ${JSON.stringify({ acked: sent.acked, errors: sent.errors })}; after it, on stderr: ${run.stderr().split('\n').filter((l) => l.startsWith('after the summary')).map((l) => /"event":"(\w+)"/.exec(l)?.[1]).join(', ')}`);
    } finally {
      await proxy.close();
    }
  });

  test('a failover in the middle of scheduled deliveries: the new master does not deliver them (SchedulerNotReplicated)', async () => {
    const warning = (await cluster()).status?.conditions?.find((c) => c.type === 'Warning');
    assert.equal(warning?.status, 'True');
    assert.equal(warning?.reason, 'SchedulerNotReplicated');
    assert.match(warning?.message ?? '', /spec\.broker\.schedulerSupport: scheduled and delayed messages, and messages waiting for a broker redelivery, .*new master does not deliver them/);

    const old = await settledMaster();
    const DELAY = 45_000;
    const sent = await produce('sched.failover', 5, ['--persistent', '--delay-ms', String(DELAY)]);
    const dueAt = Number(sent.lastSentAtMs) + DELAY;
    // And one message waiting in the scheduler for a broker redelivery (the slow.> policy: 60 s).
    await produce('slow.redeliver', 1, ['--persistent']);
    const giveUp = await urlWithClient({ redeliveryPolicy: { maximumRedeliveries: 0 } });
    const first = await client(['consume-rollback', '--url', giveUp, '--queue', 'slow.redeliver', '--max', '1', '--for-ms', '10000']);
    assert.equal(first.deliveries, 1);
    const jobsBefore = await client(['scheduled', '--url', publishedUrl]);
    assert.equal(jobsBefore.remoteAddress, `tcp://127.0.0.1:${PORTS.openwire + old}`);
    assert.equal(jobsBefore.count, 6, 'the master holds 5 scheduled messages and 1 redelivery');

    const t0 = Date.now();
    await killNode(old);
    const next = await settledMaster(old, 60_000).catch(async () => {
      // Seen once in ~20 kills: the elector stays in its reconnect loop to the dead
      // master and never reports its own position, so the election never ends
      // (a replicated LevelDB race, not what this test is about). Restarting the
      // survivors ends it; the jobs were scheduled on the killed node, not on them.
      console.log(`# no master 60 s after killing node ${old}: the LevelDB election hung; restarting the other two nodes`);
      const others = [0, 1, 2].filter((n) => n !== old);
      await Promise.all(others.map(killNode));
      await Promise.all(others.map(startNode));
      return settledMaster(old);
    });
    const failoverMs = Date.now() - t0;
    const jobsAfter = await client(['scheduled', '--url', publishedUrl]);
    assert.equal(jobsAfter.remoteAddress, `tcp://127.0.0.1:${PORTS.openwire + next}`);
    assert.equal(jobsAfter.count, 0, 'the new master has no scheduled jobs');

    // The scheduler itself works on the new master: a message scheduled now arrives.
    const control = runClient(['receive', '--url', publishedUrl, '--queue', 'sched.after.failover', '--for-ms', '10000']);
    await control.when((e) => e.event === 'connected');
    await produce('sched.after.failover', 1, ['--persistent', '--delay-ms', '2000']);
    assert.equal((await control.done).received, 1, 'a message scheduled after the failover is delivered');

    // Wait out the delay (plus a margin): nothing scheduled before the failover arrives.
    const late = await client(['receive', '--url', publishedUrl, '--queue', 'sched.failover', '--for-ms', String(Math.max(5000, dueAt + 8000 - Date.now())), '--timeout-ms', '120000']);
    assert.equal(late.received, 0, 'scheduled before the failover, never delivered by the new master');
    // The message that waited for its redelivery is nowhere: not in its queue, not dead-lettered.
    assert.equal((await client(['receive', '--url', publishedUrl, '--queue', 'slow.redeliver', '--for-ms', '2000'])).received, 0);
    assert.equal((await browse('DLQ.slow.redeliver')).length, 0);
    assert.equal((await browse('ActiveMQ.DLQ', 'slow.redeliver')).length, 0);
    console.log(`# failover at ${Math.round((t0 - Number(sent.lastSentAtMs)) / 1000)} s of a ${DELAY / 1000} s delay: master node ${old} -> ${next} in ${failoverMs} ms; scheduled jobs ${String(jobsBefore.count)} -> ${String(jobsAfter.count)}; delivered after the delay: ${String(late.received)} of 5; the broker redelivery: lost`);

    // The killed node comes back as a slave.
    await startNode(old);
    await eventually(
      async () => {
        const members = (await cluster()).status?.members ?? [];
        assert.equal(members.length, 3);
        assert.equal(members.find((m) => m.pod === `${NAME}-broker-${old}`)?.role, 'slave');
      },
      { timeoutMs: 90_000, what: `node ${old} back as a slave` },
    );
  });
});
