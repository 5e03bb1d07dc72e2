// A slave promoted right after it attached, before it replayed a write of its
// own, must keep what the master had written. A 5.16.8 slave saved the index it
// downloaded when it attached (the master's last index snapshot) as the
// snapshot of the log's end; promoted, it started from that index and replayed
// nothing after it, so everything the master wrote since that snapshot was
// gone, and the other nodes synced to the loss. The distribution amq-keeper
// assembles patches SlaveLevelDBStore
// (broker/patches/06-slave-snapshot-at-its-own-position.diff).
//
// No operator here, so no checkpoint write narrows the window: the test makes
// the sequence happen on purpose. An earlier failover gives the master an index
// snapshot older than the messages; one slave re-attaches with no write after
// it; the master and the other slave stop; the other slave comes back, so the
// re-attached slave (equal position, older member znode) is elected.
// Real ZooKeeper, real brokers from the operator's rendered configuration, the
// ActiveMQ JMS client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBrokerConfig } from '../src/resources/broker-config';
import { failoverUrl } from '../src/resources/connection-url';
import { cluster, localCluster } from './fixtures/clusters';
import { startEnsemble, type Ensemble } from './support/zookeeper';
import { BrokerSet, portOpen } from './support/broker-set';
import { eventually } from './support/eventually';
import { consumeAll, runClient } from './support/jms-client';

const NS = 'promote';
const NAME = 'xl';
const QUEUE = 'promoted.after.attach';
const COUNT = 200;
const OPENWIRE = 61616;

let zk: Ensemble;
let brokers: BrokerSet;
let url: string;

/** The node serving OpenWire (slaves open no client port), other than `not`. */
function master(not?: number): Promise<number> {
  return eventually(
    async () => {
      const serving: number[] = [];
      for (const i of Object.keys(brokers.pids()).map(Number)) if (i !== not && (await portOpen(OPENWIRE + i))) serving.push(i);
      assert.equal(serving.length, 1, `one master among ${JSON.stringify(brokers.pids())}`);
      return serving[0] as number;
    },
    { timeoutMs: 90_000, intervalMs: 200, what: 'an elected master', explain: async () => brokers.describe() },
  );
}

/** How many times node i's store attached to a master (every start appends to its log). */
function attachments(i: number): number {
  return (readFileSync(brokers.logFile(i), 'utf8').match(/\| Attached\b/g) ?? []).length;
}

/** The replication port of node i, from the rendered configuration. */
function replicationPort(i: number): number {
  const env = readFileSync(join(brokers.configDir, `node-${i}.env`), 'utf8');
  return Number(/^AMQ_REPLICATION_PORT=(\d+)$/m.exec(env)?.[1]);
}

/** Node i's store is attached to master m, after more than `seen` attachments in all. */
function assertAttached(i: number, m: number, seen = 0): void {
  const log = readFileSync(brokers.logFile(i), 'utf8');
  const last = log.slice(log.lastIndexOf('Attaching to master: '));
  assert.match(last, new RegExp(`^Attaching to master: tcp://[^:]+:${replicationPort(m)}\\b`), `broker ${i} attaching to ${m}`);
  assert.match(last, /\| Attached\b/, `broker ${i} attached`);
  assert.ok(attachments(i) > seen, `broker ${i} attached anew`);
}

function untilAttached(i: number, m: number, seen: number): Promise<void> {
  return eventually(() => assertAttached(i, m, seen), {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: `broker ${i} attached to master ${m}`,
    explain: async () => brokers.describe(),
  });
}

/** A master serving, with both other nodes attached to it (a first election can change hands once). */
function settled(): Promise<number> {
  return eventually(
    async () => {
      const m = await master();
      for (const i of [0, 1, 2].filter((n) => n !== m)) assertAttached(i, m);
      assert.equal(await master(), m, 'the same master');
      return m;
    },
    { timeoutMs: 120_000, intervalMs: 500, what: 'a master with both slaves attached', explain: async () => brokers.describe() },
  );
}

async function produce(queue: string, count: number): Promise<void> {
  const sent = await runClient(['produce', '--url', url, '--queue', queue, '--count', String(count), '--persistent', '--timeout-ms', '120000']).done;
  assert.equal(Number(sent.errors), 0, JSON.stringify(sent));
  assert.equal(Number(sent.acked), count, JSON.stringify(sent));
}

before(async () => {
  zk = await startEnsemble();
  // Anonymous clients: this is about the store, and no operator makes a Secret here.
  const c = cluster(localCluster(NS, NAME, zk.connectString, { security: { authentication: false } }).spec, NAME, NS);
  brokers = new BrokerSet(undefined, NS, NAME);
  brokers.writeConfig(buildBrokerConfig(c));
  url = failoverUrl(c, () => '127.0.0.1');
  await brokers.startAll(3);
});

after(async () => {
  await brokers?.killAll();
  await zk?.stop();
});

describe('a slave promoted before it replayed a write of its own', () => {
  test('keeps every message the master wrote after its last index snapshot', async (t) => {
    // A failover: the new master's index snapshot is the one it took as a slave, older than what follows.
    const first = await settled();
    await produce('before.failover', 20);
    await brokers.stop(first);
    const m = await master(first);
    const seen = attachments(first);
    await brokers.start(first);
    await untilAttached(first, m, seen);

    await produce(QUEUE, COUNT);

    // One slave re-attaches and receives no write after it; then the other
    // slave stops (the master keeps its quorum throughout, so it takes no
    // new index snapshot of its own).
    const [fresh, other] = [0, 1, 2].filter((i) => i !== m) as [number, number];
    const before = attachments(fresh);
    await brokers.stop(fresh);
    await brokers.start(fresh);
    await untilAttached(fresh, m, before);
    await brokers.stop(other);

    // The master goes; the other slave comes back. Their positions are equal,
    // and the re-attached slave's member znode is the older one: it is elected.
    await brokers.stop(m);
    await brokers.start(other);
    const promoted = await master(m);
    assert.equal(promoted, fresh, `the slave that re-attached (${fresh}) is elected, not ${promoted}`);
    // Read before a restart in the recovery below could overwrite it.
    const classLoadOfPromotion = readFileSync(brokers.classLoadLog(fresh), 'utf8');
    await brokers.start(m);

    const got = await consumeAll(url, QUEUE, COUNT, async () => {
      const now = await master();
      await brokers.stop(now);
      await brokers.start(now);
      await master();
    });
    t.diagnostic(
      `master ${m}; ${fresh} re-attached and was promoted; received ${got.distinct} of ${COUNT}, lost ${got.lost.length}, duplicates ${got.duplicates}`,
    );
    assert.deepEqual(got.lost, []);
    assert.equal(got.distinct, COUNT);
    // The promoted node's slave store came from the distribution's fix jar (the JVM's class-load log of that start).
    assert.match(
      classLoadOfPromotion,
      /org\.apache\.activemq\.leveldb\.replicated\.SlaveLevelDBStore source: \S*\/activemq-leveldb-store-[\d.]+-amq-keeper-fix\.jar/,
    );
  });
});
