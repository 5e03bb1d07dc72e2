// A store created before the operator rendered maxFailoverProducersToTrack="0"
// must honour the setting once its broker runs with it. The store saves its
// failover producer audit in its index snapshot, and upstream 5.16.8 restored
// that audit with the limit it was saved with (64 producers by default), so an
// upgraded store kept dropping a failover client's resend as a duplicate (a
// lost message in 2 of 2 kills). The distribution patches LevelDBClient
// (broker/patches/04-restored-audit-keeps-configured-limits.diff) to put the
// configured limits on the restored audit.
//
// One real broker (replicas: 1, real ZooKeeper) from the operator's rendered
// configuration, first without the setting (as stores were created before
// it), then with it on the same store. test/upgraded-store/FailoverResend.java
// sends what a failover client sends after it reconnects: the same producer,
// and a sequence number the old audit counts but the queue does not hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { buildBrokerConfig } from '../src/resources/broker-config';
import { cluster, localCluster } from './fixtures/clusters';
import { startEnsemble, type Ensemble } from './support/zookeeper';
import { BrokerSet, portOpen } from './support/broker-set';
import { activemqHome } from './support/brokers';
import { eventually } from './support/eventually';

const execFileP = promisify(execFile);
const NS = 'upgrade';
const NAME = 'xl';
const QUEUE = 'upgraded.store';
const OPENWIRE = 61616;
const PRODUCER = 'ID:amqkeeper-upgraded-store';
const SETTING = ' maxFailoverProducersToTrack="0"';
const RESEND = join(__dirname, 'upgraded-store', 'FailoverResend.java');

let zk: Ensemble;
let brokers: BrokerSet;
let rendered: V1ConfigMap;

/** The JMS message id of the producer's send with that sequence number. */
const messageId = (seq: number): string => `${PRODUCER}:1:1:${seq}`;

async function serving(): Promise<void> {
  await eventually(async () => assert.ok(await portOpen(OPENWIRE), 'openwire port open'), {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: 'the broker serving as master',
    explain: () => brokers.describe(),
  });
}

/** Sends those sequence numbers as the test's producer, then drains the queue. */
async function send(failoverReconnect: boolean, ...seqs: number[]): Promise<{ sent: number[]; received: string[] }> {
  const home = await activemqHome();
  const all = readdirSync(home).find((f) => /^activemq-all-[\d.]+\.jar$/.test(f));
  assert.ok(all, `an activemq-all jar in ${home}`);
  const args = ['-cp', join(home, all), RESEND, `tcp://127.0.0.1:${OPENWIRE}`, QUEUE, PRODUCER, String(failoverReconnect), ...seqs.map(String)];
  const { stdout } = await execFileP('java', args, { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as { sent: number[]; received: string[] };
}

before(async () => {
  zk = await startEnsemble();
  // Anonymous clients: this is about the store, and no operator makes a Secret here.
  rendered = buildBrokerConfig(cluster(localCluster(NS, NAME, zk.connectString, { replicas: 1, security: { authentication: false } }).spec, NAME, NS));
  brokers = new BrokerSet(undefined, NS, NAME);
});

after(async () => {
  await brokers?.killAll();
  await zk?.stop();
});

describe('a store created before maxFailoverProducersToTrack="0"', () => {
  test('keeps no producer in its restored audit, so a failover resend is stored', async (t) => {
    const xml = rendered.data?.['activemq-0.xml'] ?? '';
    assert.ok(xml.includes(SETTING), `the rendered store sets${SETTING}`);

    // The store as it was created before the setting: the stock audit tracks
    // the producer. The messages are consumed, so the queue no longer holds
    // them while the audit still counts their sequence numbers; a clean stop
    // saves that audit in the index snapshot.
    brokers.writeConfig({ ...rendered, data: { ...rendered.data, 'activemq-0.xml': xml.replace(SETTING, '') } });
    await brokers.start(0);
    await serving();
    const seeded = await send(false, 1, 2, 3);
    assert.deepEqual(seeded.received, [1, 2, 3].map(messageId));
    await brokers.stop(0);

    // The same store under the rendered configuration. The resend comes as a
    // failover client's does, so the broker asks the store for the producer's
    // last sequence number; a restored audit that still tracks the producer
    // answers 3, and the broker acknowledges the resend and drops it.
    brokers.writeConfig(rendered);
    await brokers.start(0);
    await serving();
    const resent = await send(true, 3);
    t.diagnostic(`resent sequence 3 after the upgrade: received ${JSON.stringify(resent.received)}`);
    assert.deepEqual(resent.received, [messageId(3)], 'the resend is stored (none received: the restored audit dropped it as a duplicate)');

    const loaded = readFileSync(brokers.classLoadLog(0), 'utf8');
    assert.match(loaded, /org\.apache\.activemq\.leveldb\.LevelDBClient source: \S*\/activemq-leveldb-store-[\d.]+-amq-keeper-fix\.jar/);
  });
});
