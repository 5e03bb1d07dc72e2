// The whole product on the real node: the chart runs the operator as a pod
// from its image, deploy/examples/tls.yaml (the seed's cluster with TLS; the
// demo runs the seed's own) is applied as it is, with its certificate from a
// CA made here, in a namespace that enforces the `restricted` Pod Security
// Standard, and ZooKeeper and the brokers run as pods from the project's
// images. A client on the host uses the published ssl:// failover URL and
// trusts the published ca.crt; names resolve to the Services and pods CoreDNS
// serves, which the certificate names.
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1EndpointSlice, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { clusterAccess } from './support/cluster-access';
import { CHART_DIR, helmOk } from './support/helm';
import { eventually } from './support/eventually';
import { consumeAll, loginEnv, runClient, stopClients } from './support/jms-client';
import { clusterHostsFile, getPod, killContainer } from './support/real-node';
import { checkServiceFollowedZk, ServiceObserver, ZkObserver } from './support/observers';
import { issue, makeCa, trustEnv, trustStore } from './support/certs';
import { loadKubeConfig } from '../src/kube/client';

const NS = 'amq';
const NAME = 'secure';
const EXAMPLE = join(__dirname, '..', 'deploy', 'examples', 'tls.yaml');
/** The client's trust store password (the store holds only the published CA). */
const TRUST_PASSWORD = 'real-node';

let cp: ControlPlane;
const kube = clusterAccess(() => cp.kubeconfig, NS);
const { k, items } = kube;

/** What the parts say, for a failure read far away. */
async function explain(): Promise<string> {
  const r = await kube.kubectl(['get', 'pods', '-A', '-o', 'wide']);
  const events = await kube.kubectl(['-n', NS, 'get', 'events', '--sort-by=.lastTimestamp']);
  const status = await kube.cluster(NAME).then(
    (bc) =>
      JSON.stringify({ master: bc.status?.master, members: bc.status?.members, electionStall: bc.status?.electionStall, conditions: bc.status?.conditions }),
    (err: unknown) => String(err),
  );
  return `${r.stdout}${r.stderr}\nstatus: ${status}\n${events.stdout.split('\n').slice(-25).join('\n')}`;
}

/**
 * The published failover URL with synchronous sends (an acknowledged send is
 * then stored on a quorum), and the client environment that resolves its
 * names as CoreDNS does.
 */
async function client(): Promise<{ url: string; env: Record<string, string> }> {
  const cm = await kube.connection(NAME);
  const url = (cm.data?.failoverUrl ?? '').replace(/jms\.useAsyncSend=true/, 'jms.useAsyncSend=false');
  const { app } = await kube.logins(NAME);
  const trust = trustEnv(trustStore(cm.data?.['ca.crt'] ?? '', TRUST_PASSWORD), TRUST_PASSWORD).JAVA_TOOL_OPTIONS;
  return { url, env: { JAVA_TOOL_OPTIONS: `-Djdk.net.hosts.file=${await clusterHostsFile(cp.kubeconfig, NS)} ${trust}`, ...loginEnv(app) } };
}

/** Held-back and lost messages are told apart by a restart of the master (see consumeAll). */
async function restartMaster(): Promise<void> {
  const m = await settledMaster();
  await k(['-n', NS, 'delete', 'pod', m]);
  await settledMaster(m);
}

/**
 * After a kill the survivors elect a new master. Replicated LevelDB sometimes
 * never finishes that election until brokers restart (about one kill in
 * twenty: the elector keeps reaching for the dead master); the operator finds
 * the stall and restarts the brokers that hold it up. Returns how many
 * stalled elections it healed meanwhile.
 */
async function survivorsElect(old: string): Promise<{ next: string; healed: number }> {
  const before = (await kube.cluster(NAME)).status?.stalledElections ?? 0;
  const next = await settledMaster(old, 180_000);
  const healed = ((await kube.cluster(NAME)).status?.stalledElections ?? 0) - before;
  if (healed > 0) console.log(`# the operator healed ${healed} stalled election(s) after killing ${old}`);
  return { next, healed };
}

/** The operator's log, of the container before too if it restarted, and why that one ended. */
async function operatorDiagnostics(): Promise<void> {
  const pod = (await items<V1Pod>(['-n', 'amq-keeper', 'get', 'pods', '-l', 'app.kubernetes.io/component=operator']))[0];
  const name = pod?.metadata?.name ?? '';
  const ended = pod?.status?.containerStatuses?.[0]?.lastState?.terminated;
  if (ended) console.log(`# operator container before: ${JSON.stringify(ended)}`);
  for (const prev of ended ? [['--previous'], []] : [[]]) {
    const r = await kube.kubectl(['-n', 'amq-keeper', 'logs', name, '--tail', '80', ...prev]);
    console.log(`# operator log${prev.length ? ' (container before)' : ''}:\n${`${r.stdout}${r.stderr}`.replace(/^/gm, '# ')}`);
  }
}

/** What the brokers' stores said: replay errors explain a loss. */
async function storeErrors(): Promise<string> {
  const out: string[] = [];
  for (const i of [0, 1, 2]) {
    for (const prev of [[], ['--previous']]) {
      const r = await kube.kubectl(['-n', NS, 'logs', `${NAME}-broker-${i}`, ...prev]);
      const lines = r.stdout.split('\n').filter((l) => /Exception|invalid record|Attaching to master|Promoted|Slave stopped|master/i.test(l));
      if (lines.length) out.push(`${NAME}-broker-${i}${prev.length ? ' (previous)' : ''}:\n  ${lines.slice(-15).join('\n  ')}`);
    }
  }
  return out.join('\n');
}

/** A ZooKeeper four-letter word, asked of a pod on its client port. */
function fourLetter(host: string, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host, port: 2181 });
    let out = '';
    s.setTimeout(5000, () => s.destroy(new Error(`${word} to ${host}: timeout`)));
    s.on('connect', () => s.write(word));
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

/** The master ZooKeeper, the status and the master Service's endpoints agree on; returns its pod. */
function settledMaster(not?: string, timeoutMs = 120_000): Promise<string> {
  return kube.settledMaster(NAME, {
    not,
    timeoutMs,
    intervalMs: 500,
    explain,
    agrees: async (master) => {
      const ip = (await getPod(cp.kubeconfig, NS, master)).status?.podIP;
      const slices = await items<V1EndpointSlice>(['-n', NS, 'get', 'endpointslices', '-l', `kubernetes.io/service-name=${NAME}-master`]);
      const addresses = slices.flatMap((s) => s.endpoints ?? []).flatMap((e) => e.addresses);
      assert.deepEqual(addresses, [ip], 'the master Service routes to the master pod only');
    },
  });
}

/**
 * Each deletion of a pod, seen as it began (a pod's graceful stop takes
 * seconds): which pod, and how many of the others were Ready then.
 */
function watchDeletions(list: () => Promise<V1Pod[]>): { seen: { pod: string; othersReady: number }[]; stop: () => Promise<void> } {
  const deleted = new Set<string>();
  const seen: { pod: string; othersReady: number }[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const now = await list().catch(() => []);
      for (const p of now) {
        if (!p.metadata?.deletionTimestamp || deleted.has(p.metadata.uid!)) continue;
        deleted.add(p.metadata.uid!);
        const othersReady = now.filter((o) => o !== p && o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
        seen.push({ pod: p.metadata.name!, othersReady });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    seen,
    stop: async () => {
      watching = false;
      await watcher;
    },
  };
}

before(async () => {
  cp = await startControlPlane({ node: true });
  await helmOk(cp.kubeconfig, ['install', 'amq-keeper', CHART_DIR, '-n', 'amq-keeper', '--create-namespace', '--set', 'image.pullPolicy=Never']);
  await k(['create', 'namespace', NS]);
  await k(['label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
  // What cert-manager would issue for the example: one certificate for the Services and the pods.
  const ca = makeCa('amq-keeper real-node CA');
  const cert = issue(ca, NAME, [`*.${NS}.svc`, `*.${NAME}-broker-hs.${NS}.svc`]);
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: `${NAME}-tls`, namespace: NS },
    stringData: { 'tls.crt': cert.crt, 'tls.key': cert.key, 'ca.crt': ca.crt },
  });
  await k(['-n', NS, 'apply', '-f', EXAMPLE]);
});

after(async () => {
  stopClients();
  await cp?.stop();
});

describe('on the real node', () => {
  test('the operator runs as a pod from its image, with the chart ServiceAccount', async () => {
    await eventually(
      async () => {
        const pods = await items<V1Pod>(['-n', 'amq-keeper', 'get', 'pods']);
        const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        assert.equal(ready.length, 1, 'one Ready operator pod');
        assert.equal(ready[0]?.spec?.serviceAccountName, 'amq-keeper');
      },
      { timeoutMs: 120_000, what: 'the operator pod Ready', explain },
    );
    const logs = await k(['-n', 'amq-keeper', 'logs', 'deployment/amq-keeper']);
    assert.match(logs, /"level":"info"/, "kubectl logs shows the operator's own JSON log");
  });

  test("the managed ensemble forms a quorum from the operator's zoo.cfg", async () => {
    const modes = await eventually(
      async () => {
        const ips = await Promise.all([0, 1, 2].map(async (i) => (await getPod(cp.kubeconfig, NS, `${NAME}-zk-${i}`)).status?.podIP));
        const out = await Promise.all(ips.map((ip) => (ip ? fourLetter(ip, 'srvr') : Promise.reject(new Error('no pod IP yet')))));
        const m = out.map((o) => /Mode: (\w+)/.exec(o)?.[1]);
        assert.deepEqual([...m].sort(), ['follower', 'follower', 'leader'], out.join('\n'));
        return m;
      },
      { timeoutMs: 240_000, intervalMs: 1000, what: 'a 3-server quorum', explain },
    );
    console.log(`# ZooKeeper modes: ${modes.join(', ')}`);
  });

  test('brokers elect a master in the restricted namespace; the Service and the readiness probes follow', async () => {
    const master = await settledMaster(undefined, 300_000);
    await kube.untilCluster(
      NAME,
      async (bc) => {
        assert.equal(bc.status?.members?.length, 3, 'three members in ZooKeeper');
        const pods = await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker']);
        for (const p of pods) {
          assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `${p.metadata?.name} Ready (master, or slave attached)`);
          assert.equal(p.spec?.securityContext?.seccompProfile?.type, 'RuntimeDefault');
        }
      },
      { timeoutMs: 180_000, intervalMs: 1000, what: 'three Ready brokers', explain },
    );
    const logs = await k(['-n', NS, 'logs', master]);
    assert.match(logs, /amq-keeper entrypoint: node \d .*openwire \d+ \(TLS\)/, "kubectl logs shows the broker's own output: its key store made in the pod");
    const cm = await kube.connection(NAME);
    assert.match(cm.data?.failoverUrl ?? '', /^failover:\(ssl:\/\//);
    assert.match(cm.data?.['ca.crt'] ?? '', /BEGIN CERTIFICATE/);
  });

  test('a configuration change rolls the brokers under load, the operator killed mid-roll: slaves first, each Ready again before the next, master last, no message lost', async () => {
    const { url, env } = await client();
    const master = await settledMaster();
    const pods = () => items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker']);
    const deletions = watchDeletions(pods);
    const restarts = deletions.seen;
    // Producers one after another for as long as the roll lasts.
    let sent = 0;
    let errors = 0;
    const load = (async () => {
      while (restarts.length < 3 || sent === 0) {
        const run = await runClient(
          ['produce', '--url', url, '--queue', 'real.roll', '--count', '300', '--start-seq', String(sent), '--persistent', '--timeout-ms', '300000'],
          { env },
        ).done;
        sent += Number(run.acked);
        errors += Number(run.errors);
      }
    })();
    await k(['-n', NS, 'patch', 'bc', NAME, '--type=merge', '-p', '{"spec":{"jvmOptions":"-Damqkeeper.test.roll=1"}}']);
    // The operator is killed (SIGKILL) right after its first restart; its
    // container restarts with no memory and must take the roll up safely.
    await eventually(() => assert.ok(restarts.length >= 1), { timeoutMs: 240_000, intervalMs: 200, what: 'the first restart of the roll', explain });
    const operatorPod = (await items<V1Pod>(['-n', 'amq-keeper', 'get', 'pods', '-l', 'app.kubernetes.io/component=operator']))[0]?.metadata?.name ?? '';
    const operatorRestarts = await killContainer(cp, 'amq-keeper', operatorPod, 'operator');
    await eventually(
      async () => {
        assert.equal(restarts.length, 3, 'three broker pods replaced');
        for (const p of await pods()) {
          assert.match(p.spec?.containers[0]?.env?.find((e) => e.name === 'JAVA_OPTS')?.value ?? '', /amqkeeper\.test\.roll=1/);
          assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `${p.metadata?.name} Ready`);
        }
      },
      { timeoutMs: 420_000, intervalMs: 1000, what: 'every broker replaced and Ready', explain },
    );
    await load;
    await deletions.stop();
    console.log(`# real node roll under load: ${JSON.stringify(restarts)}, master before ${master}`);
    assert.deepEqual(
      restarts.map((r) => r.pod).sort(),
      [0, 1, 2].map((i) => `${NAME}-broker-${i}`),
      'each broker once',
    );
    assert.equal(restarts[2]?.pod, master, 'the master last');
    for (const r of restarts) assert.equal(r.othersReady, 2, `one at a time: the other two were Ready when ${r.pod} went`);
    assert.equal(errors, 0);
    // The restarted operator deleted nothing before it had checked the slaves itself.
    const operator = await getPod(cp.kubeconfig, 'amq-keeper', operatorPod);
    assert.ok((operator.status?.containerStatuses?.[0]?.restartCount ?? 0) > operatorRestarts, 'the operator container was restarted');
    const lines = (await k(['-n', 'amq-keeper', 'logs', operatorPod])).split('\n');
    // (The logger appends a meta message to the message: match its start.)
    const first = (message: string) => lines.findIndex((l) => l.includes(`"message":"${message}`));
    const said = lines.filter((l) => /restarting pod|slaves in sync|checkpoint|leader|started/.test(l)).join('\n');
    assert.ok(first('restarting pod') > first('slaves in sync') && first('slaves in sync') >= 0, `in sync before the first restart after the kill:\n${said}`);
    const got = await consumeAll(url, 'real.roll', sent, restartMaster, { env });
    console.log(
      `# real node roll: sent ${sent}, received ${got.distinct}, duplicates ${got.duplicates}, lost ${got.lost.length}, held back ${got.heldBack.length}`,
    );
    assert.equal(got.lost.length, 0, await storeErrors());
    assert.equal(got.distinct, sent);
  });

  test('kill -9 of the master container: a slave takes over, the kubelet restarts it as a slave, no message lost', async () => {
    const old = await settledMaster();
    const { url, env } = await client();
    assert.match(url, new RegExp(`^failover:\\(ssl://${NAME}-broker-0\\.${NS}\\.svc:61616,`));
    const COUNT = 600;
    const producer = runClient(
      ['produce', '--url', url, '--queue', 'real.node', '--count', String(COUNT), '--persistent', '--progress-every', '50', '--timeout-ms', '300000'],
      { env },
    );
    await producer.when((e) => e.event === 'progress' && Number(e.sent) >= 200);
    const t0 = Date.now();
    const restarts = await killContainer(cp, NS, old, 'broker');
    const { next, healed } = await survivorsElect(old);
    const switchMs = Date.now() - t0;
    const sent = await producer.done;
    assert.equal(sent.errors, 0, `send errors: ${JSON.stringify(sent.errorSeqs)}`);
    assert.equal(sent.acked, COUNT);
    // (After a healed election a restarted broker pod is new, its restart count with it.)
    if (healed === 0) {
      await eventually(
        async () =>
          assert.ok(
            ((await getPod(cp.kubeconfig, NS, old)).status?.containerStatuses?.[0]?.restartCount ?? 0) > restarts,
            'the kubelet restarted the container',
          ),
        { timeoutMs: 60_000, intervalMs: 1000, what: `the kubelet restarting ${old}`, explain },
      );
    }
    const rejoined = async (timeoutMs: number) =>
      eventually(
        async () => {
          const pod = await getPod(cp.kubeconfig, NS, old);
          if (healed === 0) assert.equal(pod.metadata?.labels?.['amqkeeper.io/role'], 'slave');
          assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'attached to the new master');
        },
        { timeoutMs, intervalMs: 1000, what: `${old} back as a slave`, explain },
      );
    // 5.16.8 can restart with a stale view of the group, attaching forever to
    // the master it was itself: the operator starts such a slave again.
    await rejoined(240_000);
    const detached = (await kube.events(NAME, 'PodRestarted')).filter((e) => /not attached to master/.test(e.note ?? ''));
    if (detached.length > 0) console.log(`# the operator restarted a slave with a stale view: ${detached.map((e) => e.note).join('; ')}`);
    const got = await consumeAll(url, 'real.node', COUNT, restartMaster, { env });
    console.log(
      `# real node kill -9: ${old} -> ${next} in ${switchMs} ms; sent ${COUNT}, received ${got.distinct}, duplicates ${got.duplicates}, lost ${got.lost.length}, held back ${got.heldBack.length}`,
    );
    assert.equal(got.lost.length, 0, await storeErrors());
    assert.equal(got.distinct, COUNT);
    const bc = await kube.cluster(NAME);
    if (healed === 0) {
      assert.equal(bc.status?.lastFailover?.from, old);
      assert.equal(bc.status?.lastFailover?.to, next);
    }
  });
  test('a ZooKeeper change rolls the ensemble one server at a time, each back in the quorum before the next, the leader last', async () => {
    const zkPods = () => items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=zookeeper']);
    const modes = async () => {
      const pods = await zkPods();
      const out = await Promise.all(pods.map((p) => (p.status?.podIP ? fourLetter(p.status.podIP, 'srvr').catch(() => '') : Promise.resolve(''))));
      return new Map(pods.map((p, i) => [p.metadata?.name ?? '', /Mode: (\w+)/.exec(out[i] ?? '')?.[1]]));
    };
    const before = await modes();
    const leader = [...before].find(([, m]) => m === 'leader')?.[0];
    assert.ok(leader, `a leader among ${JSON.stringify([...before])}`);
    // Ready means serving in a quorum (srvr), by the pods' readiness probe.
    const deletions = watchDeletions(zkPods);
    const restarts = deletions.seen;
    await k(['-n', NS, 'patch', 'bc', NAME, '--type=merge', '-p', '{"spec":{"zookeeper":{"resources":{"requests":{"memory":"96Mi"}}}}}']);
    await eventually(
      async () => {
        assert.equal(restarts.length, 3, 'three ZooKeeper pods replaced');
        const pods = await zkPods();
        for (const p of pods) assert.equal(p.spec?.containers[0]?.resources?.requests?.memory, '96Mi');
        const after = [...(await modes()).values()].sort();
        assert.deepEqual(after, ['follower', 'follower', 'leader'], 'a quorum of three again');
      },
      { timeoutMs: 420_000, intervalMs: 1000, what: 'every ZooKeeper server replaced and serving', explain },
    );
    await deletions.stop();
    console.log(`# ZooKeeper roll: leader before ${leader}; ${JSON.stringify(restarts)}`);
    assert.equal(restarts[2]?.pod, leader, 'the leader last');
    // The leader went last because the operator asked the servers, not by its place in the list.
    const notes = (await kube.events(NAME, 'PodRestarted')).map((e) => e.note ?? '');
    assert.ok(notes.includes(`restarted ${leader} (leader last)`), notes.join('\n'));
    for (const r of restarts) assert.equal(r.othersReady, 2, `one at a time: the other two served when ${r.pod} went`);
    // The brokers lost their sessions with the leader: each is back, the master serving and both slaves attached.
    await settledMaster();
    await eventually(
      async () => {
        for (const p of await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker']))
          assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `${p.metadata?.name} Ready`);
      },
      { timeoutMs: 180_000, intervalMs: 1000, what: 'every broker Ready after the ZooKeeper roll', explain },
    );
  });

  test('scaling 3 -> 5 -> 3 under load: new nodes catch up before the quorum moves, leaving nodes go last, the master Service follows ZooKeeper throughout, no message lost', async () => {
    const queue = 'real.scale';
    const broker = (i: number) => `${NAME}-broker-${i}`;
    // The test's own view of the election, from the ensemble's pods, against the master Service's history.
    const zkIps = await Promise.all([0, 1, 2].map(async (i) => (await getPod(cp.kubeconfig, NS, `${NAME}-zk-${i}`)).status?.podIP));
    const zkObs = new ZkObserver(zkIps.map((ip) => `${ip}:2181`).join(','), `/activemq/leveldb-stores/${NS}/${NAME}`, 'secure');
    const svcObs = new ServiceObserver(loadKubeConfig(cp.kubeconfig), NS, `${NAME}-master`);
    await zkObs.start();
    await svcObs.start();
    const master = await settledMaster();
    // A producer and a consumer for as long as the scaling lasts, each run on the URL published at its start.
    let sent = 0;
    let sendErrors = 0;
    let scaling = true;
    const got = new Map<number, number>();
    const take = (events: { event: string; seq?: unknown }[]) => {
      for (const e of events) if (e.event === 'message' && typeof e.seq === 'number') got.set(e.seq, (got.get(e.seq) ?? 0) + 1);
      return events.filter((e) => e.event === 'message').length;
    };
    const receive = async (forMs: number) => {
      const { url, env } = await client();
      const run = runClient(['receive', '--url', url, '--queue', queue, '--for-ms', String(forMs), '--timeout-ms', String(forMs + 120_000)], { env });
      // What a failed run received still counts.
      return run.done.then(
        () => take(run.events),
        (err: unknown) => {
          take(run.events);
          throw err;
        },
      );
    };
    // A client run that fails (a long failover) is counted, not fatal: the counts below decide.
    const failures: string[] = [];
    const producer = (async () => {
      while (scaling) {
        const { url, env } = await client();
        const run = await runClient(
          ['produce', '--url', url, '--queue', queue, '--count', '200', '--start-seq', String(sent), '--persistent', '--timeout-ms', '300000'],
          { env },
        ).done.catch((err: unknown) => {
          failures.push(`${new Date().toISOString()} produce: ${String(err).split('\n')[0]}`);
          return undefined;
        });
        // A failed run leaves its sequence range behind; what it acknowledged is unknown, so nothing of it is counted as sent.
        if (run) sent += Number(run.acked);
        if (run) sendErrors += Number(run.errors);
      }
    })();
    const consumer = (async () => {
      while (scaling) await receive(15_000).catch((err: unknown) => failures.push(`${new Date().toISOString()} receive: ${String(err).split('\n')[0]}`));
    })();
    // What the operator did, as the status shows it, for a failure read far away.
    const timeline: string[] = [];
    const sampler = (async () => {
      let last = '';
      while (scaling) {
        const bc = await kube.cluster(NAME).catch(() => undefined);
        const pods = await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker']).catch(() => []);
        const now = `master=${bc?.status?.master ?? '-'} phase=${bc?.status?.phase} pods=${pods.map((p) => `${p.metadata?.name?.replace(`${NAME}-broker-`, '')}${p.metadata?.deletionTimestamp ? 'T' : ''}${p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'R' : ''}`).join(',')}`;
        if (now !== last) timeline.push(`${new Date().toISOString().slice(11, 23)} ${now}`);
        last = now;
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const brokerPods = () => items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker']);
    const scaleTo = async (replicas: number, timeoutMs: number) => {
      await k(['-n', NS, 'patch', 'bc', NAME, '--type=merge', '-p', JSON.stringify({ spec: { replicas } })]);
      await kube.untilCluster(
        NAME,
        async (bc) => {
          const pods = await brokerPods();
          assert.deepEqual(pods.map((p) => p.metadata?.name).sort(), [...Array(replicas).keys()].map(broker), 'the broker pods');
          for (const p of pods) {
            assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `${p.metadata?.name} Ready`);
            assert.ok(!p.metadata?.deletionTimestamp, `${p.metadata?.name} not terminating`);
          }
          assert.equal(bc.status?.readyReplicas, replicas);
          assert.equal(bc.status?.members?.length, replicas, 'every node in the ZooKeeper group');
          assert.equal(bc.status?.conditions?.find((c) => c.type === 'ReplicasInSync')?.status, 'True', 'the slaves in sync');
          const config = await kube.getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', `${NAME}-broker-config`]);
          for (const i of [...Array(replicas).keys()])
            assert.match(config.data?.[`activemq-${i}.xml`] ?? '', new RegExp(`replicas="${replicas}"`), `node ${i} runs the quorum of ${replicas}`);
          assert.deepEqual(
            Object.keys(config.data ?? {})
              .filter((key) => key.startsWith('activemq-'))
              .sort(),
            [...Array(replicas).keys()].map((i) => `activemq-${i}.xml`),
          );
        },
        { timeoutMs, intervalMs: 2000, what: `${replicas} brokers on the new quorum, in sync`, explain },
      );
    };
    const t0 = Date.now();
    let upMs = 0;
    let downMs = 0;
    try {
      await scaleTo(5, 600_000);
      upMs = Date.now() - t0;
      const t1 = Date.now();
      await scaleTo(3, 600_000);
      downMs = Date.now() - t1;
    } finally {
      scaling = false;
      await Promise.all([producer, consumer, sampler]);
      zkObs.stop();
      svcObs.stop();
      console.log(`# scaling timeline:\n# ${timeline.join('\n# ')}\n# client failures: ${failures.join('; ') || 'none'}`);
      if (downMs === 0) await operatorDiagnostics();
    }
    // Nothing of nodes 3 and 4 is left but their claims (deleteClaim is false).
    const services = (await items<V1Service>(['-n', NS, 'get', 'services'])).map((x) => x.metadata?.name);
    assert.ok(!services.includes(broker(3)) && !services.includes(broker(4)), `no Service of a removed node: ${services.join(', ')}`);
    const claims = (await items<V1PersistentVolumeClaim>(['-n', NS, 'get', 'pvc'])).map((x) => x.metadata?.name);
    assert.ok(claims.includes(`data-${broker(4)}`), 'the removed nodes keep their claims');
    assert.doesNotMatch((await kube.connection(NAME)).data?.failoverUrl ?? '', /broker-3|broker-4/);
    const removed = await kube.events(NAME, 'PodRemoved');
    assert.deepEqual(removed.map((e) => /removed ([^:\s]+)/.exec(e.note ?? '')?.[1]).sort(), [broker(3), broker(4)], 'each removal recorded once');
    const problems = checkServiceFollowedZk(zkObs.history, svcObs.history, (n) => broker(Number(n)), 3000);
    console.log(`# scaling: master ${master}; ZooKeeper ${JSON.stringify(zkObs.history)}; Service ${JSON.stringify(svcObs.history)}`);
    assert.deepEqual(problems, [], 'the master Service never selected a pod ZooKeeper had not elected');
    // Whatever is left, then what a restart of the master releases (see consumeAll).
    while ((await receive(10_000)) > 0);
    const missing = () => [...Array(sent).keys()].filter((seq) => !got.has(seq));
    const before = missing();
    if (before.length > 0) {
      await restartMaster();
      while ((await receive(10_000)) > 0);
    }
    const lost = missing();
    const duplicates = [...got.values()].reduce((n, c) => n + c - 1, 0);
    console.log(
      `# real node scaling 3 -> 5 (${upMs} ms) -> 3 (${downMs} ms): sent ${sent}, received ${got.size}, duplicates ${duplicates}, lost ${lost.length}, held back ${before.length - lost.length}`,
    );
    assert.equal(sendErrors, 0);
    assert.deepEqual(failures, [], 'no client run failed');
    assert.deepEqual(lost, [], await storeErrors());
  });
});
