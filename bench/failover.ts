// bench/failover: real ZooKeeper, three real ActiveMQ 5.16.8 brokers started
// from the operator's rendered configuration, the compiled operator as its own
// process. Over N failovers (kill -9 of the master) it measures
//   zkToService: ZooKeeper reports the new master -> the master Service selects it
//                (seen by the benchmark's own ZooKeeper watch and Service watch),
//   killToService: kill -9 of the master -> the master Service selects the new one,
// and the operator's own switch histogram. It compares with what a Service
// behind a TCP readiness probe would give with the default probe settings,
// computed from those settings (not measured). Targets: zkToService p99 < 50 ms,
// killToService < sessionTimeout + 1 s.
import { execFileSync } from 'node:child_process';
import { stringify } from 'yaml';
import { startControlPlane } from '../test/support/control-plane';
import { startEnsemble } from '../test/support/zookeeper';
import { BrokerSet, installCrd, nodeOf, portOpen } from '../test/support/broker-set';
import { startOperatorProcess } from '../test/support/operator-process';
import { kubectlOk } from '../test/support/kubectl';
import { ServiceObserver, ZkObserver } from '../test/support/observers';
import { loadKubeConfig } from '../src/kube/client';
import { operatorNodeFlags, ROOT, summary, writeResult } from './support';

const FAILOVERS = Number(process.env.BENCH_FAILOVERS ?? 20);
const SESSION_TIMEOUT_MS = 2000;
const NS = 'bench';
const NAME = 'xl';
// Kubernetes defaults of a readinessProbe: periodSeconds 10, failureThreshold 3, successThreshold 1.
const PROBE = { periodMs: 10_000, failureThreshold: 3, successThreshold: 1 };

async function until<T>(what: string, timeoutMs: number, f: () => T | undefined | Promise<T | undefined>, intervalMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function main(): Promise<void> {
  execFileSync('npx', ['tsc', '-p', '.'], { cwd: ROOT, stdio: 'inherit' });
  const cp = await startControlPlane();
  const zk = await startEnsemble();
  let brokers: BrokerSet | undefined;
  try {
    const k = (args: string[], input?: string) => kubectlOk(cp.kubeconfig, args, input);
    await installCrd(cp.kubeconfig, NS);
    const spec = {
      brokerName: 'xlBroker',
      zookeeper: { external: { connectString: zk.connectString }, sessionTimeout: `${SESSION_TIMEOUT_MS}ms` },
    };
    await k(['apply', '-f', '-'], stringify({ apiVersion: 'amqkeeper.io/v1alpha1', kind: 'BrokerCluster', metadata: { name: NAME, namespace: NS }, spec }));
    const op = await startOperatorProcess(cp.kubeconfig, { compiled: true, nodeFlags: operatorNodeFlags(), args: ['--log-level', 'warn'] });
    brokers = new BrokerSet(cp.kubeconfig, NS, NAME);
    const set = brokers;
    await set.writeRenderedConfig();
    const zkObs = new ZkObserver(zk.connectString, `/activemq/leveldb-stores/${NS}/${NAME}`, 'xlBroker');
    await zkObs.start();
    const svc = new ServiceObserver(loadKubeConfig(cp.kubeconfig), NS, `${NAME}-master`);
    await svc.start();
    await set.startAll(3);
    const agreed = () => {
      const pod = zkObs.current;
      return pod && svc.current === pod.slice(pod.lastIndexOf('-') + 1) ? pod : undefined;
    };
    let master = await until('first master', 120_000, agreed, 50);

    const zkToService: number[] = [];
    const killToService: number[] = [];
    const killToPortOpen: number[] = [];
    const rejoined = () =>
      until(
        'rejoin',
        120_000,
        async () => {
          const bc = JSON.parse(await k(['-n', NS, 'get', 'bc', NAME, '-o', 'json'])) as { status?: { members?: unknown[] } };
          return (bc.status?.members?.length ?? 0) === 3 ? true : undefined;
        },
        200,
      );
    /** Kills after which replicated LevelDB elected nothing until the survivors restarted (not measured). */
    let stalledElections = 0;
    for (let n = 0; n < FAILOVERS; n++) {
      const old = master;
      const oldIndex = nodeOf(old);
      const zkSeen = zkObs.history.length;
      const svcSeen = svc.history.length;
      const tKill = Date.now();
      await set.kill(oldIndex);
      const elected = () => {
        const pod = agreed();
        return pod && pod !== old ? pod : undefined;
      };
      try {
        master = await until(`failover ${n + 1}`, 45_000, elected);
      } catch {
        // The store's own election hang (the elector keeps reaching for the dead
        // master): a person restarts the survivors; the sample is not one of the operator's.
        if (++stalledElections > 3) throw new Error('replicated LevelDB elected no master after 4 kills');
        console.log(`failover ${n + 1}: no master 45 s after the kill (replicated LevelDB election hang): restarting the survivors, not counted`);
        for (const i of Object.keys(set.pids()).map(Number)) {
          await set.stop(i);
          await set.start(i);
        }
        master = await until('an election after restarting the survivors', 120_000, elected, 50);
        await set.start(oldIndex);
        await rejoined();
        n--;
        continue;
      }
      const newIndex = nodeOf(master);
      const zkAt = zkObs.history.slice(zkSeen).find((s) => s.value === master)?.at ?? NaN;
      const svcAt = svc.history.slice(svcSeen).find((s) => s.value === String(newIndex))?.at ?? NaN;
      zkToService.push(svcAt - zkAt);
      killToService.push(svcAt - tKill);
      await until('new master port', 30_000, async () => ((await portOpen(61616 + newIndex)) ? true : undefined), 10);
      killToPortOpen.push(Date.now() - tKill);
      console.log(`failover ${n + 1}/${FAILOVERS}: ${old} -> ${master}  zk->service ${svcAt - zkAt} ms  kill->service ${svcAt - tKill} ms`);
      // Bring the killed node back and wait until the group has three members again.
      await set.start(oldIndex);
      await rejoined();
    }
    const switchCount = await op.metric('amqkeeper_master_switch_seconds_count');
    const switchSum = await op.metric('amqkeeper_master_switch_seconds_sum');
    await op.stop();
    zkObs.stop();
    svc.stop();

    const zs = summary(zkToService);
    const ks = summary(killToService);
    const ps = summary(killToPortOpen);
    // A Service over all broker pods with a TCP readiness probe on 61616, default settings:
    // the new master becomes an endpoint at the first probe after its port opens (0..period later),
    // the dead master stops being one after failureThreshold failed probes (the first failure
    // comes 0..period after the kill).
    const probe = {
      computed: true,
      settings: PROBE,
      newMasterVisibleAfterKillMs: { best: ps.p50, worst: ps.p50 + PROBE.periodMs },
      deadMasterRemovedAfterKillMs: { best: (PROBE.failureThreshold - 1) * PROBE.periodMs, worst: PROBE.failureThreshold * PROBE.periodMs },
      note: 'computed from the probe settings and the measured time until the new master opens its port; on node loss no probe runs and the endpoint stays until the node is NotReady (~40-50 s)',
    };
    const result = {
      benchmark: 'failover',
      failovers: FAILOVERS,
      stalledElections,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      zkToServiceMs: zs,
      killToServiceMs: ks,
      killToNewMasterPortOpenMs: ps,
      operatorSwitchMs: { count: switchCount, mean: switchCount ? (switchSum / switchCount) * 1000 : NaN },
      readinessProbeService: probe,
      targets: { zkToServiceP99Ms: 50, killToServiceMaxMs: SESSION_TIMEOUT_MS + 1000 },
      pass: zs.p99 < 50 && ks.max < SESSION_TIMEOUT_MS + 1000,
      at: new Date().toISOString(),
    };
    const file = writeResult('failover', result);
    const row = (name: string, s: { p50: number; p99: number; max: number }) =>
      console.log(`${name.padEnd(34)} p50 ${String(s.p50).padStart(6)}  p99 ${String(s.p99).padStart(6)}  max ${String(s.max).padStart(6)} ms`);
    console.log(`\n${FAILOVERS} failovers, zkSessionTimeout ${SESSION_TIMEOUT_MS} ms, ${stalledElections} stalled election(s) restarted and not counted`);
    row('ZooKeeper change -> Service', zs);
    row('kill -9 -> Service on new master', ks);
    row('kill -9 -> new master port open', ps);
    console.log(`operator's own switch (ZK notification -> Service applied): mean ${result.operatorSwitchMs.mean.toFixed(1)} ms over ${switchCount}`);
    console.log(`readiness-probe Service (COMPUTED from period 10 s, failureThreshold 3):`);
    console.log(`  new master visible after kill      ${probe.newMasterVisibleAfterKillMs.best}..${probe.newMasterVisibleAfterKillMs.worst} ms`);
    console.log(`  dead master removed after kill     ${probe.deadMasterRemovedAfterKillMs.best}..${probe.deadMasterRemovedAfterKillMs.worst} ms`);
    console.log(`targets: ZK->Service p99 < 50 ms, kill->Service < ${SESSION_TIMEOUT_MS + 1000} ms: ${result.pass ? 'met' : 'NOT met'}`);
    console.log(`written to ${file}`);
    if (!result.pass) process.exitCode = 1;
  } finally {
    await brokers?.killAll();
    await zk.stop();
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
