// The set-up of the feature tests (test/features.test.ts, the cases in
// test/features/): a real control plane, the operator in this process (with
// master tracking), a real 3-node ZooKeeper ensemble and three real ActiveMQ
// 5.16.8 brokers started from the operator-rendered <name>-broker-config,
// driven by the JMS client in test/client through the URL the operator
// publishes. One BrokerCluster covers every case (featureCluster in
// test/fixtures/clusters.ts). Ports are not the seed's, so the feature tests
// can run beside test/failover.test.ts.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from './control-plane';
import { startEnsemble, type Ensemble } from './zookeeper';
import { BrokerSet, installCrd, nodeOf, portOpen } from './broker-set';
import { startOperator, type RunningOperator } from './operator';
import { clusterAccess, type ClusterAccess } from './cluster-access';
import { runClient, type ClientEvent } from './jms-client';
import { failoverUrl } from '../../src/resources/connection-url';
import type { BrokerClusterSpecInput } from '../../src/api/types';
import type { Login } from '../../src/model/credentials';
import { FEATURE_READER, featureCluster } from '../fixtures/clusters';

export const NS = 'feat';
export const NAME = 'feat';
export const PORTS = { openwire: 62616, console: 9161, replication: 64631 };
/** Base of the brokers' metrics ports (spec.metrics.port), away from the default 9404 of the other tests. */
export const METRICS_PORT = 9504;
const ZK_PORTS = { clientPortBase: 12181, peerPortBase: 12888, electionPortBase: 13888 };

/** One message as the test client reports it. */
export interface Delivery {
  seq: number;
  atMs: number;
  timestamp: number;
  redeliveryCounter: number;
  brokerRedeliveryDelay: number | null;
  persistent: boolean;
  originalDestination: string | null;
  dlqDeliveryFailureCause: string | null;
}
export const messages = (summary: ClientEvent): Delivery[] => summary.messages as Delivery[];
/** Milliseconds between one delivery and the next. */
export const gaps = (ds: Delivery[]): number[] => ds.slice(1).map((d, i) => d.atMs - ds[i]!.atMs);
/** Runs one client command to its summary line; env: e.g. another login (loginEnv). */
export const client = (args: string[], env?: Record<string, string>): Promise<ClientEvent> => runClient(args, { env }).done;

/**
 * The ports are fixed, so two runs (say, two npm test at once on one machine)
 * would join each other's ensemble and brokers. A host-wide flock makes the
 * second wait. It is held by a child whose stdin is this process: if this
 * process dies, the child reads EOF, exits, and the lock is free.
 */
async function lockPorts(): Promise<() => void> {
  const dir = join(tmpdir(), 'amq-keeper-ports');
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, `features-${PORTS.openwire}.lock`);
  const holder = spawn('flock', [lock, '-c', 'echo locked; read -r _'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = setTimeout(() => console.log(`# waiting for another run of the feature tests to release ${lock}`), 2000);
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`flock ${lock} ended (${code})`)));
  });
  clearTimeout(waiting);
  return () => holder.stdin.end();
}

export class FeatureBrokers {
  cp!: ControlPlane;
  zk!: Ensemble;
  brokers!: BrokerSet;
  /** The failover URL the operator published, with the node Services replaced by 127.0.0.1. */
  publishedUrl!: string;
  /** The cluster's logins from its generated Secret; clients log in as app unless told otherwise. */
  logins!: { app: Login; admin: Login };
  readonly kube: ClusterAccess = clusterAccess(() => this.cp.kubeconfig, NS);
  private op: RunningOperator | undefined;
  private releasePorts: (() => void) | undefined;

  async start(): Promise<void> {
    this.releasePorts = await lockPorts();
    this.cp = await startControlPlane();
    this.zk = await startEnsemble(ZK_PORTS);
    await installCrd(this.cp.kubeconfig, NS);
    await this.kube.k(['-n', NS, 'create', 'secret', 'generic', FEATURE_READER.secret, `--from-literal=password=${FEATURE_READER.password}`]);
    await this.kube.apply(featureCluster({ name: NAME, namespace: NS, ports: PORTS, metricsPort: METRICS_PORT, connectString: this.zk.connectString }));
    this.op = await startOperator(this.cp.kubeconfig, { masterTracking: true });

    // The brokers run exactly what the operator rendered for them.
    this.brokers = new BrokerSet(this.cp.kubeconfig, NS, NAME);
    await this.brokers.writeRenderedConfig();
    this.logins = await this.kube.logins(NAME);
    console.log(`# broker logs: ${this.brokers.work}/data/node-<i>/broker.log`);
    this.publishedUrl = await this.kube.localFailoverUrl(NAME);
    await this.brokers.startAll(3);
    await this.settledMaster();
  }

  async stop(): Promise<void> {
    await this.brokers?.killAll();
    await this.op?.stop();
    await this.zk?.stop();
    await this.cp?.stop();
    this.releasePorts?.();
  }

  /** The node the operator reports as master, once it serves OpenWire. */
  async settledMaster(not?: number, timeoutMs = 120_000): Promise<number> {
    const pod = await this.kube.settledMaster(NAME, {
      not: not === undefined ? undefined : `${NAME}-broker-${not}`,
      timeoutMs,
      what: 'a serving master',
      agrees: async (master) => assert.ok(await portOpen(PORTS.openwire + nodeOf(master)), `node ${nodeOf(master)} serves OpenWire`),
    });
    return nodeOf(pod);
  }

  async startNode(i: number): Promise<void> {
    await this.brokers.start(i);
  }

  killNode(i: number): Promise<void> {
    return this.brokers.kill(i);
  }

  /** Messages in a queue (browsed, not consumed), optionally only those dead-lettered from one queue. */
  async browse(queue: string, from?: string): Promise<Delivery[]> {
    const all = messages(await client(['browse', '--url', this.publishedUrl, '--queue', queue]));
    return from === undefined ? all : all.filter((m) => m.originalDestination === `queue://${from}`);
  }

  /** The same cluster's URL with other client options, built by the product's own builder. */
  async urlWithClient(clientSpec: NonNullable<BrokerClusterSpecInput['client']>): Promise<string> {
    const c = await this.kube.cluster(NAME);
    return failoverUrl({ ...c, spec: { ...c.spec, client: { ...c.spec.client, ...clientSpec } } }, () => '127.0.0.1');
  }

  async produce(queue: string, count: number, extra: string[] = []): Promise<ClientEvent> {
    const s = await client(['produce', '--url', this.publishedUrl, '--queue', queue, '--count', String(count), ...extra]);
    assert.equal(s.acked, count, `${queue}: every send acknowledged`);
    return s;
  }
}

/** Starts the feature cluster before this file's tests and stops it after them. */
export function useFeatureBrokers(): FeatureBrokers {
  const f = new FeatureBrokers();
  before(() => f.start());
  after(() => f.stop());
  return f;
}
