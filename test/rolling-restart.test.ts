// Rolling restarts and rejoins with real brokers: a real control plane (kwok
// pods), a real ZooKeeper ensemble, three ActiveMQ 5.16.8 brokers that a
// bridge stops and starts as the operator deletes and recreates their pods,
// and a real JMS client.
//
// The case that matters: 5.16's replicated LevelDB loses everything written
// since the master's last index snapshot when a slave that attached and has
// not yet replayed a single write is promoted. Without the operator's
// checkpoint, the idle cluster below lost 500 of 500 messages in a roll.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { startEnsemble, type Ensemble } from './support/zookeeper';
import { BrokerSet, installCrd, nodeOf } from './support/broker-set';
import { PodBridge, type Restart } from './support/pod-bridge';
import { provisionLocalVolumes } from './support/storage';
import { startOperatorProcess, type OperatorProcess } from './support/operator-process';
import { clusterAccess } from './support/cluster-access';
import { consistently, eventually } from './support/eventually';
import { logTail } from './support/log-tail';
import { ZkObserver } from './support/observers';
import { consumeAll, runClient } from './support/jms-client';
import { loadKubeConfig } from '../src/kube/client';
import { PROGRESS_MS } from '../src/controller/plan';
import type { BrokerCluster } from '../src/api/types';
import { localCluster } from './fixtures/clusters';

const NS = 'roll';
const NAME = 'xl';
const ZK_PATH = `/activemq/leveldb-stores/${NS}/${NAME}`;

let cp: ControlPlane;
let zk: Ensemble;
let op: OperatorProcess;
let brokers: BrokerSet;
let bridge: PodBridge;
let zkObs: ZkObserver;
let url: string;

const kube = clusterAccess(() => cp.kubeconfig, NS);
const { k, getJson, items } = kube;

const brokerPods = () => items<V1Pod>(['-n', NS, 'get', 'pods', '-l', `amqkeeper.io/cluster=${NAME},amqkeeper.io/component=broker`]);

async function checkpoints(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${op.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('amqkeeper_replication_checkpoints_total{result="ok"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** What a failed wait prints: the group as the test reads it, the brokers, the operator's last words. */
async function explain(): Promise<string> {
  return [zkObs.describeGroup(), brokers.describe(), `operator log ${op.logFile}:`, logTail(op.logFile, 15)].join('\n');
}

/** ZooKeeper's master, the status and the condition agree, and every slave is in sync. */
function inSync(timeoutMs = 90_000): Promise<string> {
  return kube.settledMaster(NAME, {
    timeoutMs,
    what: 'a master with every slave in sync',
    explain,
    agrees: async (master, bc) => {
      bridge.check();
      const pods = await brokerPods();
      const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      assert.equal(ready.length, 3, 'three Ready broker pods');
      assert.equal(zkObs.current, master, 'ZooKeeper reports the same master');
      const c = bc.status?.conditions?.find((x) => x.type === 'ReplicasInSync');
      assert.equal(c?.status, 'True', `ReplicasInSync: ${c?.reason}: ${c?.message}`);
      assert.equal(bc.status?.members?.length, 3);
    },
  });
}

async function produce(queue: string, count: number): Promise<void> {
  const sent = await runClient(['produce', '--url', url, '--queue', queue, '--count', String(count), '--persistent', '--timeout-ms', '180000']).done;
  assert.equal(sent.errors, 0);
  assert.equal(sent.acked, count);
}

/** Nothing may be lost; a master restart is the harness's way to release held-back messages. */
async function consumeEvery(queue: string, count: number): Promise<void> {
  const got = await consumeAll(url, queue, count, async () => {
    const m = nodeOf(await inSync());
    await brokers.stop(m);
    await brokers.start(m);
    await inSync();
  });
  console.log(`# ${queue}: sent ${count}, received ${got.distinct}, duplicates ${got.duplicates}, lost ${got.lost.length}`);
  // The brokers' and the operator's logs stay after the run: where to read a loss.
  const logs = `broker logs under ${join(brokers.work, 'data')}, operator log ${op.logFile}`;
  assert.deepEqual(got.lost, [], `${queue}: lost ${got.lost.length} of ${count}; ${logs}`);
  assert.equal(got.distinct, count, logs);
}

/**
 * One roll as the bridge saw it: each broker once, one at a time, slaves
 * first and the master last, a checkpoint acknowledged between two restarts,
 * and every broker started again from the configuration with this sync.
 */
function checkRoll(roll: readonly Restart[], sync: string): void {
  console.log(`# roll: ${JSON.stringify(roll.map((r) => ({ node: r.node, ...r.atDeletion })))}`);
  assert.deepEqual(roll.map((r) => r.node).sort(), [0, 1, 2], 'each broker once');
  for (const r of roll) assert.equal(r.atDeletion.running, 3, 'one at a time: every broker ran when a pod was deleted');
  assert.equal(`${NAME}-broker-${roll[2]!.node}`, roll[2]!.atDeletion.master, 'the master last');
  for (const r of roll.slice(0, 2)) assert.notEqual(`${NAME}-broker-${r.node}`, r.atDeletion.master, 'slaves first');
  for (let i = 1; i < 3; i++) {
    assert.ok(
      Number(roll[i]!.atDeletion.checkpoints) > Number(roll[i - 1]!.atDeletion.checkpoints),
      `a checkpoint was acknowledged after ${NAME}-broker-${roll[i - 1]!.node} rejoined and before the next restart`,
    );
  }
  for (const i of [0, 1, 2]) {
    const xml = readFileSync(join(brokers.configDir, `activemq-${i}.xml`), 'utf8');
    assert.match(xml, new RegExp(`sync="${sync}"`), 'the brokers were started from the new configuration');
  }
}

before(async () => {
  cp = await startControlPlane({ kwok: true });
  zk = await startEnsemble();
  await installCrd(cp.kubeconfig, NS);
  // Bound claims let the scheduler place the pods and kwok make them Ready, as the roller expects.
  const storageClassName = await provisionLocalVolumes(cp.kubeconfig);
  await kube.apply(localCluster(NS, NAME, zk.connectString, { persistence: { storageClassName } }));
  op = await startOperatorProcess(cp.kubeconfig, { args: ['--log-format', 'text', '--log-level', 'debug'] });
  brokers = new BrokerSet(cp.kubeconfig, NS, NAME);
  await brokers.writeRenderedConfig();
  zkObs = new ZkObserver(zk.connectString, ZK_PATH, 'xlBroker');
  await zkObs.start();
  bridge = new PodBridge(loadKubeConfig(cp.kubeconfig), NS, NAME, brokers, async () => ({
    master: zkObs.current,
    checkpoints: await checkpoints(),
    running: bridge.runningCount,
  }));
  await bridge.start();
  url = await kube.localFailoverUrl(NAME);
  assert.match(url, /^failover:\(tcp:\/\/127\.0\.0\.1:61616,/);
});

after(async () => {
  zkObs?.stop();
  await bridge?.stop();
  await brokers?.killAll();
  await op?.stop();
  await zk?.stop();
  await cp?.stop();
});

describe('rolling restarts and rejoins against real brokers', () => {
  test('slaves are brought in sync with a checkpoint, and the condition says so', async () => {
    const master = await inSync();
    const c = await kube.condition(NAME, 'ReplicasInSync');
    assert.equal(c?.reason, 'InSync');
    assert.match(c?.message ?? '', /2 of 2 slaves acknowledged a write made after they attached/);
    assert.ok((await checkpoints()) >= 1, 'at least one checkpoint was written');
    console.log(`# master ${master}, ${await checkpoints()} checkpoint(s) so far`);
  });

  test('a rolling restart of an idle cluster after a failover loses nothing: slaves first, each back in sync before the next, master last', async () => {
    // An earlier failover leaves the master with an index snapshot older than what follows.
    const first = nodeOf(await inSync());
    await brokers.stop(first);
    await brokers.start(first);
    const master = await inSync();
    assert.notEqual(nodeOf(master), first);
    await produce('roll.idle', 500);

    const oldRev = (await getJson<V1Pod>(['-n', NS, 'get', 'pod', `${NAME}-broker-0`])).metadata?.annotations?.['amqkeeper.io/revision'];
    await k(['-n', NS, 'patch', 'bc', NAME, '--type=merge', '-p', '{"spec":{"persistence":{"sync":"quorum_disk"}}}']);
    await eventually(
      async () => {
        bridge.check();
        assert.equal(bridge.restarts.filter((r) => r.startedAt !== undefined).length, 3, 'three brokers restarted');
        const pods = await brokerPods();
        for (const p of pods) assert.notEqual(p.metadata?.annotations?.['amqkeeper.io/revision'], oldRev, `${p.metadata?.name} on the new revision`);
      },
      { timeoutMs: 240_000, what: 'every broker restarted on the new revision', intervalMs: 500 },
    );
    await inSync();
    checkRoll(bridge.restarts, 'quorum_disk');
    await consumeEvery('roll.idle', 500);
  });

  test('slaves that rejoin after crashes are brought in sync before the master can fail', async () => {
    const master = await inSync();
    await produce('rejoin.idle', 300);
    // Both slaves crash and their containers restart; whichever is promoted next attached without a write of its own.
    for (const s of [0, 1, 2].filter((n) => `${NAME}-broker-${n}` !== master)) {
      const before = await checkpoints();
      await brokers.crash(s);
      await eventually(async () => assert.ok((await checkpoints()) > before, 'a checkpoint after the rejoin'), {
        timeoutMs: 90_000,
        what: `a checkpoint after ${s} rejoined`,
      });
      await inSync();
    }
    await brokers.stop(nodeOf(master));
    await eventually(() => assert.ok(zkObs.current && zkObs.current !== master), { timeoutMs: 60_000, what: 'a new master' });
    await brokers.start(nodeOf(master));
    await inSync();
    await consumeEvery('rejoin.idle', 300);
  });

  test('a roll asked for while ZooKeeper has no quorum restarts nothing until the quorum is back, then goes in the safe order and loses nothing', async () => {
    await inSync();
    await produce('roll.noquorum', 300);
    const restartsBefore = bridge.restarts.length;
    const restartedEvents = (await kube.events(NAME, 'PodRestarted')).length;
    const uidOf = async () => new Map((await brokerPods()).map((p) => [p.metadata?.name, p.metadata?.uid] as const));
    const uids = await uidOf();
    const zkReady = (bc: BrokerCluster) => bc.status?.conditions?.find((c) => c.type === 'ZooKeeperReady');

    // The leader alone is no quorum: it serves nobody, the operator included.
    const leader = await zk.leader();
    const others = ([1, 2, 3] as const).filter((n) => n !== leader);
    for (const n of others) await zk.stopNode(n);
    await kube.untilCluster(NAME, (bc) => assert.equal(zkReady(bc)?.reason, 'Unreachable'), {
      timeoutMs: 60_000,
      what: 'ZooKeeperReady=False (Unreachable)',
      explain,
    });

    const bc = await kube.cluster(NAME);
    const sync = bc.spec.persistence?.sync === 'quorum_disk' ? 'quorum_mem' : 'quorum_disk';
    await k(['-n', NS, 'patch', 'bc', NAME, '--type=merge', '-p', JSON.stringify({ spec: { persistence: { sync } } })]);
    const generation = (await kube.cluster(NAME)).metadata.generation;
    // The reconcile of the new generation ran without a session: the roll is held, not merely not yet noticed.
    await kube.untilCluster(
      NAME,
      (bc) => {
        assert.equal(bc.status?.observedGeneration, generation, 'the new generation observed');
        assert.equal(zkReady(bc)?.reason, 'Unreachable');
      },
      { timeoutMs: 60_000, what: `generation ${generation} observed without a quorum`, explain },
    );
    // Two of the operator's requeues while it holds a roll: each of them could have restarted a broker.
    await consistently(
      async () => {
        bridge.check();
        assert.equal(bridge.restarts.length, restartsBefore, `no broker stopped: ${JSON.stringify(bridge.restarts.slice(restartsBefore))}`);
        assert.deepEqual(await uidOf(), uids, 'no broker pod deleted');
        assert.equal(zkReady(await kube.cluster(NAME))?.reason, 'Unreachable', 'still no quorum');
      },
      { durationMs: 2 * PROGRESS_MS + 1_000, intervalMs: 500, what: 'no restart without a quorum' },
    );
    assert.equal((await kube.events(NAME, 'PodRestarted')).length, restartedEvents, 'no PodRestarted Event');

    for (const n of others) await zk.startNode(n);
    // An election that stalls after the outage is healed by restarting the broker holding it up
    // (ElectionStalled, no master then); that pod comes back on the new revision: its restart in the roll.
    await eventually(
      async () => {
        bridge.check();
        assert.equal(bridge.restarts.slice(restartsBefore).filter((r) => r.startedAt !== undefined).length, 3, 'three brokers restarted');
        for (const [pod, uid] of await uidOf()) assert.notEqual(uid, uids.get(pod), `${pod} replaced`);
      },
      { timeoutMs: 240_000, what: 'every broker restarted once the quorum was back', intervalMs: 500, explain },
    );
    await inSync();
    // Restarts that healed a stalled election are not roll steps: the order is judged only when none happened.
    const heals = (await kube.events(NAME, 'PodRestarted')).filter((e) => /stalled election/.test(e.note ?? ''));
    if (heals.length === 0) checkRoll(bridge.restarts.slice(restartsBefore), sync);
    else console.log(`# roll.noquorum: the election stalled after the outage; ${heals.length} restart(s) healed it, so the roll order is not judged`);
    await consumeEvery('roll.noquorum', 300);
  });
});
