// What a person sees with kubectl, for a cluster the operator really runs:
// a control plane whose three kwok nodes run the pods (their claims bound to
// local PersistentVolumes, scheduled by the real kube-scheduler), a real
// ZooKeeper ensemble and three real ActiveMQ 5.16.8 brokers started from the
// configuration the operator rendered, and the operator tracking the master.
// Then where the scheduler puts the pods of a cluster with its own ensemble.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { startEnsemble, type Ensemble } from './support/zookeeper';
import { BrokerSet, installCrd, nodeOf } from './support/broker-set';
import { startOperator, type RunningOperator } from './support/operator';
import { provisionLocalVolumes } from './support/storage';
import { clusterAccess } from './support/cluster-access';
import { eventually } from './support/eventually';
import { consumeAll, runClient } from './support/jms-client';
import { localCluster, manifest } from './fixtures/clusters';
import { LABEL_HOSTNAME, LABEL_ZONE } from '../src/resources/scheduling';

const ROOT = join(__dirname, '..');
const NS = 'mq';
const NAME = 'xl';
const PODS = [0, 1, 2].map((i) => `${NAME}-broker-${i}`);
const NODES = [0, 1, 2].map((i) => `kwok-node-${i}`);
// Away from the seed's ports (61616.., 8161.., 63631..; 2181..) that the
// failover test and the demo use, and below the control plane's port blocks
// (20000-32767), so this test can run next to them.
const PORTS = { openwire: 16616, console: 18161, replication: 16631 };
const ZK_PORTS = { clientPortBase: 12181, peerPortBase: 12888, electionPortBase: 13888 };

let cp: ControlPlane;
let zk: Ensemble;
let op: RunningOperator;
let brokers: BrokerSet;
const kube = clusterAccess(() => cp.kubeconfig, NS);
const { k, items } = kube;

/** Rows of a kubectl table as {COLUMN: value}, cut at the header's column starts (a value may be empty). */
function table(out: string): Record<string, string>[] {
  const [head = '', ...rows] = out.trimEnd().split('\n');
  const cols = [...head.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index ?? 0 }));
  return rows.map((r) => Object.fromEntries(cols.map((c, i) => [c.name, r.slice(c.at, cols[i + 1]?.at ?? r.length).trim()])));
}

/** Waits for a master that ZooKeeper elected and that is not `not`, with every broker a member and the phase Running. */
function runningWithMaster(not?: string): Promise<string> {
  return kube.settledMaster(NAME, {
    not,
    timeoutMs: 180_000,
    what: `a Running cluster with a master${not ? ` other than ${not}` : ''}`,
    agrees: (_pod, bc) => {
      assert.equal(bc.status?.phase, 'Running');
      assert.equal(bc.status?.members?.length, brokers.size);
    },
  });
}

before(async () => {
  cp = await startControlPlane({ kwok: true, kwokNodes: NODES.length });
  zk = await startEnsemble(ZK_PORTS);
  await installCrd(cp.kubeconfig, NS);
  // One claim per broker (the ensemble is external): three volumes; twelve
  // more for the two clusters (three brokers, three ZooKeeper servers each) of
  // the spreading test.
  const storageClassName = await provisionLocalVolumes(cp.kubeconfig, { volumes: 15 });
  await kube.apply(localCluster(NS, NAME, zk.connectString, { ports: PORTS, persistence: { storageClassName } }));
  op = await startOperator(cp.kubeconfig, { masterTracking: true, namespaces: [NS] });

  // The brokers run exactly what the operator rendered for them.
  brokers = new BrokerSet(cp.kubeconfig, NS, NAME);
  await brokers.writeRenderedConfig();
  await brokers.startAll(3);
  await runningWithMaster();
});

after(async () => {
  await brokers?.killAll();
  await op?.stop();
  await zk?.stop();
  await cp?.stop();
  if (brokers && process.env.AMQ_KEEPER_KEEP_TEST_STATE !== '1') rmSync(brokers.work, { recursive: true, force: true });
});

describe('kubectl', () => {
  test('get bc: every column filled from the spec and the status', async () => {
    const c = await kube.cluster(NAME);
    const out = await k(['-n', NS, 'get', 'bc']);
    assert.match(out.split('\n')[0] ?? '', /^NAME\s+REPLICAS\s+READY\s+MASTER\s+PHASE\s+FAILOVERS\s+AGE\s*$/);
    const rows = table(out);
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.NAME, NAME);
    assert.equal(row.REPLICAS, '3');
    assert.equal(row.READY, '3/3');
    assert.equal(row.MASTER, c.status?.master);
    assert.ok(PODS.includes(row.MASTER ?? ''), `MASTER is a broker pod: ${row.MASTER}`);
    assert.equal(row.PHASE, 'Running');
    assert.equal(row.FAILOVERS, '0');
    assert.match(row.AGE ?? '', /^\d+[smh]/);
    // The same through the long name and through the CRD's categories.
    assert.equal(table(await k(['-n', NS, 'get', 'brokerclusters']))[0]?.MASTER, row.MASTER);
    assert.match(await k(['-n', NS, 'get', 'activemq', '-o', 'name']), /^brokercluster\.amqkeeper\.io\/xl$/m);
  });

  test('get pods -L amqkeeper.io/role: a ROLE column with one master and the slaves', async () => {
    const master = (await kube.cluster(NAME)).status?.master;
    const out = await eventually(
      async () => {
        const o = await k(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker', '-L', 'amqkeeper.io/role']);
        const rows = table(o);
        assert.deepEqual(
          rows.map((r) => r.NAME),
          PODS,
        );
        for (const r of rows) {
          assert.equal(r.READY, '1/1', `${r.NAME} ready`);
          assert.equal(r.STATUS, 'Running');
          assert.equal(r.ROLE, r.NAME === master ? 'master' : 'slave', `${r.NAME} role`);
        }
        return o;
      },
      { what: 'role labels' },
    );
    assert.match(out.split('\n')[0] ?? '', /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+ROLE\s*$/);
    // They run on the kwok nodes because their claims bound to the local
    // volumes, one per node by the operator's default anti-affinity.
    const pods = await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker']);
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), NODES);
    const pvcs = await items<V1PersistentVolumeClaim>(['-n', NS, 'get', 'pvc']);
    assert.deepEqual(
      pvcs.map((c) => [c.metadata?.name, c.status?.phase, c.spec?.storageClassName]),
      PODS.map((p) => [`data-${p}`, 'Bound', 'local']),
    );
  });

  test('after kill -9 of the master: MASTER, FAILOVERS and ROLE follow', async () => {
    const old = (await kube.cluster(NAME)).status?.master ?? '';
    await brokers.kill(nodeOf(old));
    const master = await runningWithMaster(old);
    const row = table(await k(['-n', NS, 'get', 'bc']))[0];
    assert.equal(row?.MASTER, master);
    assert.equal(row?.FAILOVERS, '1');
    await eventually(
      async () => {
        const roles = table(await k(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker', '-L', 'amqkeeper.io/role']));
        assert.equal(roles.find((r) => r.NAME === master)?.ROLE, 'master');
        assert.equal(roles.filter((r) => r.ROLE === 'master').length, 1);
        assert.equal(roles.find((r) => r.NAME === old)?.ROLE, '', 'no role while its broker is gone from ZooKeeper');
      },
      { what: 'the new master labelled' },
    );
    // The old master comes back as a slave.
    await brokers.start(nodeOf(old));
    await kube.untilCluster(NAME, (bc) => assert.equal(bc.status?.members?.find((m) => m.pod === old)?.role, 'slave'), {
      timeoutMs: 120_000,
      what: `${old} back as a slave`,
    });
  });

  test('describe bc: conditions and the failover Events', async () => {
    const c = await kube.cluster(NAME);
    const out = await eventually(
      async () => {
        const o = await k(['-n', NS, 'describe', 'bc', NAME]);
        assert.match(o, /Warning\s+MasterLost\s+.*is no longer elected/);
        assert.match(o, /Normal\s+MasterElected\s+.*elected master/);
        return o;
      },
      { what: 'Events in describe' },
    );
    const conditions = section(out, 'Conditions');
    for (const type of ['Ready', 'ZooKeeperReady', 'BrokersReady', 'MasterElected', 'Warning']) {
      const cond = c.status?.conditions?.find((x) => x.type === type);
      assert.ok(cond, `${type} condition`);
      assert.match(conditions, new RegExp(`Reason:\\s+${cond.reason}\\n\\s+Status:\\s+${cond.status}\\n\\s+Type:\\s+${type}\\n`), `${type} in describe`);
    }
    assert.match(out, new RegExp(`Master:\\s+${c.status?.master}`));
    assert.match(out, /Failovers:\s+1/);
    assert.match(out, /Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message/);
    assert.match(out, /MasterElected\s+\S+\s+amqkeeper\.io\/operator/);
  });

  test('explain brokercluster.spec --recursive lists every field of the schema', async () => {
    const crd = parse(readFileSync(join(ROOT, 'crds', 'brokercluster.yaml'), 'utf8')) as {
      spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
    };
    const spec = crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
    const want = fields(spec, 1);
    assert.ok(want.length > 50, `the schema has many fields (${want.length})`);
    // The OpenAPI document of a new CRD is published a moment after it is Established.
    const out = await eventually(() => k(['explain', 'brokercluster.spec', '--recursive']), { what: 'explain' });
    const listed = out
      .split('\n')
      .map((l) => /^((?: {2})+)(\S+)\t</.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${'.'.repeat(m[1]!.length / 2)}${m[2]}`);
    assert.deepEqual(listed, want);
  });
});

describe('a lost node', () => {
  test('a slave whose node stops reporting is reported, force-deleted and recreated on another node; every message sent meanwhile arrives', async () => {
    await k(['-n', NS, 'patch', 'bc', NAME, '--type=merge', '-p', '{"spec":{"lostNodeTimeout":"5s"}}']);
    const master = await runningWithMaster();
    const slave = PODS.find((p) => p !== master) ?? '';
    const before = (await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker'])).find((p) => p.metadata?.name === slave);
    const node = before?.spec?.nodeName ?? '';
    assert.ok(NODES.includes(node), `${slave} runs on a kwok node: ${node}`);
    // Messages all along: sent in runs of 50 until the node is back in service.
    const url = await kube.localFailoverUrl(NAME);
    let sent = 0;
    let errors = 0;
    let sending = true;
    const producer = (async () => {
      while (sending) {
        const run = await runClient(['produce', '--url', url, '--queue', 'lost.node', '--count', '50', '--start-seq', String(sent), '--persistent']).done;
        sent += Number(run.acked);
        errors += Number(run.errors);
      }
    })();
    try {
      // The machine dies with its broker; kwok, started again without the node, stops its heartbeats.
      await brokers.kill(nodeOf(slave));
      await k(['annotate', 'node', node, 'kwok.x-k8s.io/node-']);
      await cp.restartKwok();
      const replaced = await eventually(
        async () => {
          const now = (await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker'])).find((p) => p.metadata?.name === slave);
          assert.ok(now && now.metadata?.uid !== before?.metadata?.uid, `${slave} recreated`);
          assert.ok(now.spec?.nodeName && now.spec.nodeName !== node, `${slave} scheduled off ${node}: ${now.spec?.nodeName}`);
          assert.equal(now.status?.phase, 'Running');
          return now;
        },
        { timeoutMs: 180_000, intervalMs: 1000, what: `${slave} force-deleted and recreated off its lost node` },
      );
      const notes = (await kube.events(NAME, 'NodeLost')).map((e) => e.note ?? '');
      assert.ok(
        notes.some((n) => n.startsWith(`${slave} is on lost node ${node} (`) && n.includes('force-deleted, to be recreated on another node')),
        notes.join('\n'),
      );
      const bc = await kube.cluster(NAME);
      assert.equal(bc.status?.master, master, 'the master never moved');
      assert.equal(bc.status?.conditions?.find((c) => c.type === 'NodeLost')?.status, 'False', 'nothing lost any more');
      // The kubelet of its new node starts its broker, which copies the store from the master and attaches.
      await brokers.start(nodeOf(slave));
      await kube.untilCluster(NAME, (c) => assert.equal(c.status?.members?.find((m) => m.pod === slave)?.role, 'slave'), {
        timeoutMs: 120_000,
        what: `${slave} back as a slave on ${replaced.spec?.nodeName}`,
      });
    } finally {
      sending = false;
      await producer;
      await k(['annotate', 'node', node, 'kwok.x-k8s.io/node=fake', '--overwrite']);
      await cp.restartKwok();
      await eventually(async () => assert.match(await k(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']), /^True$/), {
        timeoutMs: 90_000,
        what: `${node} Ready again`,
      });
    }
    const got = await consumeAll(url, 'lost.node', sent, async () => {
      await brokers.kill(nodeOf(master));
      await runningWithMaster(master);
      await brokers.start(nodeOf(master));
    });
    console.log(`# lost node: sent ${sent}, received ${got.distinct}, duplicates ${got.duplicates}, lost ${got.lost.length}, held back ${got.heldBack.length}`);
    assert.equal(errors, 0);
    assert.deepEqual(got.lost, []);
    assert.equal(got.distinct, sent);
  });
});

describe('spreading over three nodes', () => {
  const SP_NS = 'spread';
  let spreadOp: RunningOperator;

  /** The pods of cluster `name`, once all six (three brokers, three ZooKeeper servers) are scheduled. */
  const scheduled = (name: string) =>
    eventually(
      async () => {
        const all = await items<V1Pod>(['-n', SP_NS, 'get', 'pods', '-l', `amqkeeper.io/cluster=${name}`]);
        assert.equal(all.length, 6);
        for (const p of all) assert.ok(p.spec?.nodeName, `${p.metadata?.name} scheduled`);
        return all;
      },
      { what: `the pods of ${name} scheduled`, timeoutMs: 60_000 },
    );
  const of = (pods: V1Pod[], component: string) => pods.filter((p) => p.metadata?.labels?.['amqkeeper.io/component'] === component);
  const nodesOf = (pods: V1Pod[]) => pods.map((p) => p.spec?.nodeName).sort();

  before(async () => {
    await k(['create', 'namespace', SP_NS]);
    // Half of kwok-node-1 and kwok-node-2 taken (placed without the
    // scheduler), so the scheduler's own resource scoring prefers kwok-node-0
    // for everything: what spreads the pods then is the anti-affinity.
    for (const node of NODES.slice(1)) {
      await kube.apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `filler-${node}`, namespace: SP_NS },
        spec: { nodeName: node, containers: [{ name: 'filler', image: 'filler', resources: { requests: { cpu: '16', memory: '128Gi' } } }] },
      });
    }
    // No master tracking: these clusters' ensembles are kwok's fake pods,
    // which nothing may connect to (the first operator watches only its namespace).
    spreadOp = await startOperator(cp.kubeconfig, { namespaces: [SP_NS] });
  });

  after(async () => {
    await spreadOp?.stop();
  });

  test('by default the scheduler puts one broker, and apart from them one ZooKeeper server, on each node; [] turns that off', async () => {
    const tolerations = [{ key: 'amqkeeper.io/test', operator: 'Exists', effect: 'NoSchedule' }];
    const nodeSelector = { 'kubernetes.io/os': 'linux' };
    const persistence = { storageClassName: 'local' };
    await kube.apply(manifest('sp', SP_NS, { brokerName: 'spBroker', zookeeper: { replicas: 3, tolerations, nodeSelector }, persistence }));
    // The same cluster without spreading: empty topologySpreadConstraints replace the default.
    await kube.apply(
      manifest('pile', SP_NS, {
        brokerName: 'pileBroker',
        topologySpreadConstraints: [],
        zookeeper: { replicas: 3, topologySpreadConstraints: [] },
        persistence,
      }),
    );

    const spread = await scheduled('sp');
    for (const component of ['broker', 'zookeeper']) {
      const mine = of(spread, component);
      assert.deepEqual(nodesOf(mine), NODES, `one ${component} per node`);
      const selector = { 'amqkeeper.io/cluster': 'sp', 'amqkeeper.io/component': component };
      for (const p of mine) {
        // As the API server stored them: preferred, on node and zone (the kwok nodes have no zone label, which must not matter).
        const terms = p.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
        assert.deepEqual(
          terms.map((t) => [t.podAffinityTerm.topologyKey, t.podAffinityTerm.labelSelector?.matchLabels]),
          [
            [LABEL_HOSTNAME, selector],
            [LABEL_ZONE, selector],
          ],
          `${p.metadata?.name} anti-affinity`,
        );
        if (component === 'zookeeper') {
          assert.deepEqual(p.spec?.nodeSelector, nodeSelector, `${p.metadata?.name} spec.zookeeper.nodeSelector`);
          assert.ok(
            tolerations.every((t) => p.spec?.tolerations?.some((have) => have.key === t.key && have.operator === t.operator && have.effect === t.effect)),
            `${p.metadata?.name} spec.zookeeper.tolerations`,
          );
        } else {
          assert.equal(p.spec?.nodeSelector, undefined, "the ZooKeeper settings are not the brokers'");
        }
      }
    }

    const piled = await scheduled('pile');
    for (const p of piled) assert.equal(p.spec?.affinity, undefined, `${p.metadata?.name} has no anti-affinity`);
    // Without the default the brokers all land on the least used node. (Not
    // the ZooKeeper servers: kube-scheduler's own default spreading counts
    // the pods the pod's Services select, all servers for ZooKeeper, but for
    // a broker its node Service selects only itself.)
    assert.deepEqual(nodesOf(of(piled, 'broker')), Array(3).fill(NODES[0]), 'without the default, the brokers share one node');
  });
});

interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
}

/** Field names depth-first, each level sorted as kubectl sorts them, prefixed with one dot per level. */
function fields(s: Schema, depth: number): string[] {
  const props = s.properties ?? s.items?.properties ?? {};
  return Object.keys(props)
    .sort()
    .flatMap((name) => [`${'.'.repeat(depth)}${name}`, ...fields(props[name]!, depth + 1)]);
}

/** The part of a describe output from the line "<indent>name:" on. */
function section(out: string, name: string): string {
  const i = out.search(new RegExp(`^\\s*${name}:`, 'm'));
  assert.ok(i >= 0, `${name}: in describe`);
  return out.slice(i);
}
