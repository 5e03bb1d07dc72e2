// bench/metrics-overhead: what the Prometheus JMX exporter agent costs a
// broker. A real 3-node ZooKeeper ensemble and three real ActiveMQ 5.16.8
// brokers (plain processes on 127.0.0.1, started by images/broker/entrypoint.sh
// from the operator's rendered configuration) are started once per run, with
// spec.metrics.enabled false or true; nothing else differs. In each run the
// JMS client of test/client sends N persistent messages synchronously through
// the failover URL and its send loop gives messages/s. While the agent is on,
// the master's /metrics is scraped at a fixed interval, as Prometheus would,
// for the whole run, so the cost of scraping is part of what is measured.
// Runs come in counterbalanced pairs (off, on, on, off, ...): a drift of the
// machine over the bench (other work, disk caches) weighs on both sides alike.
//   BENCH_MESSAGES (default 2500) measured sends per run, BENCH_PAIRS (default 3)
//   pairs of runs, BENCH_SCRAPE_MS (default 2000) scrape interval,
//   BENCH_PAYLOAD_BYTES (default 1024) message body, BENCH_WARMUP (default 500)
//   unmeasured sends before each measured send, BENCH_SETTLE_MS (default 5000)
//   pause once the group is complete, before the warm-up.
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { nodeMetricsPort, nodePorts } from '../src/api/cluster';
import { buildBrokerConfig } from '../src/resources/broker-config';
import { failoverUrl } from '../src/resources/connection-url';
import type { BrokerCluster } from '../src/api/types';
import { cluster, localCluster } from '../test/fixtures/clusters';
import { BrokerSet, portOpen } from '../test/support/broker-set';
import { eventually } from '../test/support/eventually';
import { runClient, type ClientEvent } from '../test/support/jms-client';
import { startEnsemble, type Ensemble } from '../test/support/zookeeper';
import { summary, writeResult } from './support';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2500);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const SCRAPE_MS = Number(process.env.BENCH_SCRAPE_MS ?? 2000);
const PAYLOAD_BYTES = Number(process.env.BENCH_PAYLOAD_BYTES ?? 1024);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);
// Both sides wait as long after the group is complete: a slave that just attached still compiles and
// collects, and what it costs the machine would otherwise fall on whichever side sends sooner.
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 5000);
const NS = 'bench';
const NAME = 'mo';
// Away from the seed's and the feature tests' ports.
const PORTS = { openwire: 61716, console: 8261, replication: 63731 };
const METRICS_PORT = 9604;
const ZK_PORTS = { clientPortBase: 22181, peerPortBase: 22888, electionPortBase: 23888 };
// 10 s, not 2 s: an expired session on a loaded 2-core machine would fail over mid-send and spoil the run.
const SESSION_TIMEOUT = '10s';
const QUEUE = 'bench.metrics.overhead';
const SEND_TIMEOUT_MS = 600_000;

type Agent = 'off' | 'on';

interface Scrape {
  at: number;
  ms: number;
  bytes: number;
  ok: boolean;
}

interface Run {
  run: number;
  agent: Agent;
  master: number;
  msgsPerSec: number;
  sendLoopMs: number;
  acked: number;
  errors: number;
  transportInterruptions: number;
  /** Scrapes that began while the measured sends ran. */
  scrapesDuringSend: number;
  scrapes: Scrape[];
  /** CPU time of the master's JVM over the measured produce command (connect, sends, close), per 1000 messages. */
  masterCpuMsPer1000: number;
  masterRssMb: number;
}

const CLK_TCK = 100;

/** utime+stime of a process, in ms (Linux /proc; USER_HZ is 100 on every common kernel). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : Number.NaN;
}

/** Scrapes a URL at a fixed rate until stopped, as Prometheus does (one scrape at a time, the next on schedule). */
function scrapeLoop(url: string, intervalMs: number): { scrapes: Scrape[]; stop: () => Promise<void> } {
  const scrapes: Scrape[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let next = Date.now(); !stopped; ) {
      const at = Date.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const body = await res.arrayBuffer();
        scrapes.push({ at, ms: Date.now() - at, bytes: body.byteLength, ok: res.ok });
      } catch {
        scrapes.push({ at, ms: Date.now() - at, bytes: 0, ok: false });
      }
      next += intervalMs;
      while (next < Date.now()) next += intervalMs;
      while (!stopped && Date.now() < next) await new Promise((r) => setTimeout(r, Math.min(100, next - Date.now())));
    }
  })();
  return {
    scrapes,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

async function produce(url: string, queue: string, count: number): Promise<{ summary: ClientEvent; events: ClientEvent[] }> {
  const args = ['produce', '--url', url, '--queue', queue, '--count', String(count), '--persistent'];
  const c = runClient([...args, '--payload-bytes', String(PAYLOAD_BYTES), '--timeout-ms', String(SEND_TIMEOUT_MS)]);
  const s = await c.done;
  if (Number(s.acked) !== count || Number(s.errors) !== 0) throw new Error(`${queue}: not every send acknowledged: ${JSON.stringify(s)}`);
  return { summary: s, events: c.events };
}

/** The cluster of one run, defaulted as the API server would. */
function benchCluster(zk: Ensemble, run: number, agent: Agent): BrokerCluster {
  const input = localCluster(NS, NAME, zk.connectString, {
    ports: PORTS,
    metrics: { enabled: agent === 'on', port: METRICS_PORT },
    // Anonymous clients, as test/acknowledged-send.test.ts: no operator here to make the credentials Secret.
    security: { authentication: false },
    // Its own path per run: the previous run's brokers were killed, their ephemeral nodes linger for a session timeout.
    zookeeper: { external: { connectString: zk.connectString }, sessionTimeout: SESSION_TIMEOUT, path: `/amq-keeper-bench/metrics-overhead/run-${run}` },
  });
  return cluster(input.spec, NAME, NS);
}

async function oneRun(zk: Ensemble, run: number, agent: Agent): Promise<Run> {
  const c = benchCluster(zk, run, agent);
  const brokers = new BrokerSet(undefined, NS, NAME);
  brokers.writeConfig(buildBrokerConfig(c));
  const url = failoverUrl(c, () => '127.0.0.1');
  let scraper: ReturnType<typeof scrapeLoop> | undefined;
  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  try {
    await brokers.startAll(3);
    // Only the master opens its OpenWire port.
    const master = await eventually(
      async () => {
        const open = [];
        for (const i of [0, 1, 2]) if (await portOpen(nodePorts(c, i).openwire)) open.push(i);
        if (open.length !== 1) throw new Error(`serving: ${JSON.stringify(open)}`);
        return open[0]!;
      },
      { timeoutMs: 180_000, intervalMs: 250, what: 'an elected master', explain: () => brokers.describe() },
    );
    // Both slaves caught up, so every run sends to a complete replication group. Read from the
    // master's log (fresh each run), which needs no console login.
    await eventually(
      () => {
        const caughtUp = new Set(readFileSync(brokers.logFile(master), 'utf8').match(/Slave has now caught up: \S+/g) ?? []);
        if (caughtUp.size < 2) throw new Error(`${caughtUp.size} slave(s) caught up`);
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'two slaves caught up with the master', explain: () => brokers.describe() },
    );
    console.log(`# run ${run} (agent ${agent}): master node ${master}, both slaves attached, after ${since()}`);
    const metricsPort = nodeMetricsPort(c, master);
    if (agent === 'on') {
      if (metricsPort === undefined) throw new Error('metrics are on but the master has no metrics port');
      const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      await eventually(
        async () => {
          const text = await (await fetch(metricsUrl)).text();
          if (!text.includes('activemq_replication_slaves_attached')) throw new Error('no activemq_* metrics yet');
        },
        { timeoutMs: 30_000, intervalMs: 500, what: 'the master serving its metrics' },
      );
      scraper = scrapeLoop(metricsUrl, SCRAPE_MS);
    } else if (await portOpen(METRICS_PORT + master)) {
      throw new Error(`metrics are off but something listens on ${METRICS_PORT + master}`);
    }

    await new Promise((r) => setTimeout(r, SETTLE_MS));
    if (WARMUP > 0) await produce(url, `${QUEUE}.warmup`, WARMUP);
    console.log(`# run ${run}: ${WARMUP} warm-up sends done after ${since()}`);
    const pid = brokers.pids()[master]!;
    const cpu0 = cpuMs(pid);
    const { summary: s, events } = await produce(url, QUEUE, MESSAGES);
    const cpu = cpuMs(pid) - cpu0;
    await scraper?.stop();
    const scrapes = scraper?.scrapes ?? [];
    const sendLoopMs = Number(s.sendLoopMs);
    const from = Number(s.firstSentAtMs);
    const to = Number(s.lastSentAtMs);
    return {
      run,
      agent,
      master,
      msgsPerSec: Math.round((MESSAGES / sendLoopMs) * 10_000) / 10,
      sendLoopMs,
      acked: Number(s.acked),
      errors: Number(s.errors),
      transportInterruptions: events.filter((e) => e.event === 'transportInterrupted').length,
      scrapesDuringSend: scrapes.filter((x) => x.at >= from && x.at <= to).length,
      scrapes,
      masterCpuMsPer1000: Math.round((cpu / MESSAGES) * 1000),
      masterRssMb: rssMb(pid),
    };
  } finally {
    await scraper?.stop();
    await brokers.killAll();
    rmSync(brokers.work, { recursive: true, force: true });
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  // off, on, on, off, off, on, ...: each agent state sits as often early as late in the bench.
  const order: Agent[] = Array.from({ length: PAIRS }, (_, k): Agent[] => (k % 2 === 0 ? ['off', 'on'] : ['on', 'off'])).flat();
  const load = loadavg().map((x) => round(x, 2));
  const t0 = Date.now();
  const zk = await startEnsemble(ZK_PORTS);
  const sync = benchCluster(zk, 0, 'off').spec.persistence.sync;
  const runs: Run[] = [];
  try {
    for (const [i, agent] of order.entries()) {
      const r = await oneRun(zk, i + 1, agent);
      runs.push(r);
      console.log(
        `run ${r.run}/${order.length} agent ${agent.padEnd(3)}: ${r.msgsPerSec} msg/s (${MESSAGES} in ${r.sendLoopMs} ms, master node ${r.master}` +
          `${agent === 'on' ? `, ${r.scrapesDuringSend} scrapes during the send` : ''})`,
      );
    }
  } finally {
    await zk.stop();
  }

  const side = (agent: Agent) => {
    const rs = runs.filter((r) => r.agent === agent);
    const rates = rs.map((r) => r.msgsPerSec);
    return {
      runs: rs.length,
      msgsPerSec: { mean: round(mean(rates), 1), min: Math.min(...rates), max: Math.max(...rates) },
      masterCpuMsPer1000: round(mean(rs.map((r) => r.masterCpuMsPer1000)), 0),
      masterRssMb: round(mean(rs.map((r) => r.masterRssMb)), 1),
    };
  };
  const off = side('off');
  const on = side('on');
  // Each pair's on/off ratio, runs 1-2, 3-4, ...
  const pairRatios = Array.from({ length: PAIRS }, (_, k) => {
    const pair = runs.slice(2 * k, 2 * k + 2);
    const r = (a: Agent) => pair.find((x) => x.agent === a)!.msgsPerSec;
    return round(r('on') / r('off'), 3);
  });
  const scrapes = runs.flatMap((r) => r.scrapes);
  const okScrapes = scrapes.filter((s) => s.ok);
  const latency = summary(okScrapes.map((s) => s.ms));
  const bytes = okScrapes.map((s) => s.bytes);
  const result = {
    benchmark: 'metrics-overhead',
    messages: MESSAGES,
    warmupMessages: WARMUP,
    settleMs: SETTLE_MS,
    payloadBytes: PAYLOAD_BYTES,
    persistent: true,
    asyncSend: false,
    sync,
    sessionTimeout: SESSION_TIMEOUT,
    scrapeIntervalMs: SCRAPE_MS,
    order,
    runs: runs.map(({ scrapes: s, ...r }) => ({ ...r, scrapes: s.length, scrapeMs: summary(s.filter((x) => x.ok).map((x) => x.ms)) })),
    agentOff: off,
    agentOn: on,
    ratioOnOff: round(on.msgsPerSec.mean / off.msgsPerSec.mean, 3),
    // Less exposed to the other work on the machine than messages/s: the master's own CPU time per message.
    cpuRatioOnOff: round(on.masterCpuMsPer1000 / off.masterCpuMsPer1000, 3),
    pairRatios,
    scrape: {
      count: scrapes.length,
      failed: scrapes.length - okScrapes.length,
      duringSend: runs.reduce((n, r) => n + r.scrapesDuringSend, 0),
      latencyMs: { p50: latency.p50, p99: latency.p99, max: latency.max },
      bodyBytes: { min: Math.min(...bytes), max: Math.max(...bytes) },
    },
    machine: { cpus: cpus().length, loadavgAtStart: load, loadavgAtEnd: loadavg().map((x) => round(x, 2)), node: process.version },
    benchSeconds: Math.round((Date.now() - t0) / 1000),
    at: new Date().toISOString(),
  };
  const file = writeResult('metrics-overhead', result);

  console.log(`\n${MESSAGES} persistent sends of ${PAYLOAD_BYTES} B per run, synchronous, after ${WARMUP} unmeasured; scrape every ${SCRAPE_MS} ms`);
  console.log('run  agent   msg/s    send ms  scrapes  master CPU ms/1000 msgs  master RSS MB');
  for (const r of runs) {
    console.log(
      `${String(r.run).padStart(3)}  ${r.agent.padEnd(5)} ${String(r.msgsPerSec).padStart(7)}  ${String(r.sendLoopMs).padStart(8)}  ${String(r.scrapesDuringSend).padStart(7)}  ${String(r.masterCpuMsPer1000).padStart(23)}  ${String(r.masterRssMb).padStart(13)}`,
    );
  }
  for (const [name, x] of [
    ['agent off', off],
    ['agent on ', on],
  ] as const) {
    console.log(
      `${name}: mean ${x.msgsPerSec.mean} msg/s (${x.msgsPerSec.min}..${x.msgsPerSec.max}), master CPU ${x.masterCpuMsPer1000} ms/1000 msgs, RSS ${x.masterRssMb} MB`,
    );
  }
  console.log(`ratio on/off: ${result.ratioOnOff} (per pair: ${pairRatios.join(', ')}); master CPU per message on/off: ${result.cpuRatioOnOff}`);
  console.log(
    `scrapes: ${result.scrape.count} (${result.scrape.duringSend} during the measured sends, ${result.scrape.failed} failed); latency p50 ${latency.p50} ms, max ${latency.max} ms; body ${result.scrape.bodyBytes.min}..${result.scrape.bodyBytes.max} B`,
  );
  console.log(`written to ${file} (${result.benchSeconds} s)`);
  const broken = runs.filter((r) => r.transportInterruptions > 0);
  if (broken.length > 0) {
    console.log(`runs with a failover during the send (figures not comparable): ${broken.map((r) => r.run).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
