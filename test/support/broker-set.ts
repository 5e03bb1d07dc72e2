// The brokers of one BrokerCluster as local processes, started exactly from
// the configuration the operator rendered into <name>-broker-config, with
// every node's host pointed at 127.0.0.1.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { Login } from '../../src/model/credentials';
import { credentialsSecretOf } from '../../src/resources/credentials-secret';
import { ZK_PASSWORD_FILE } from '../../src/resources/broker-security';
import { useLogin } from './jms-client';
import { startBroker, type BrokerProcess } from './brokers';
import { kubectlOk } from './kubectl';
import { clusterAccess, type ClusterAccess } from './cluster-access';
import { eventually } from './eventually';
import { logTail } from './log-tail';

const ROOT = join(__dirname, '..', '..');
/** kubelet's first restart of a crashed container comes within moments. */
const CRASH_RESTART_DELAY_MS = 1_000;
/** How long a JVM whose broker shut down may stay before the harness takes it for hung. */
const LINGER_MS = 20_000;
/** The broker pods' terminationGracePeriodSeconds. */
const STOP_GRACE_MS = 60_000;

/** Applies the CRD, waits until it is served, and creates the namespaces. */
export async function installCrd(kubeconfig: string, ...namespaces: string[]): Promise<void> {
  await kubectlOk(kubeconfig, ['apply', '-f', join(ROOT, 'crds', 'brokercluster.yaml')]);
  await kubectlOk(kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/brokerclusters.amqkeeper.io']);
  for (const ns of namespaces) await kubectlOk(kubeconfig, ['create', 'namespace', ns]);
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** The logins of brokers started from a ConfigMap a test wrote itself (no operator, so no Secret). */
export const TEST_LOGINS = { app: { username: 'app', password: 'app-test' }, admin: { username: 'admin', password: 'admin-test' } };

/** Node index of a pod named <cluster>-broker-<i>. */
export function nodeOf(pod: string): number {
  return Number(pod.slice(pod.lastIndexOf('-') + 1));
}

export class BrokerSet {
  readonly work: string;
  readonly configDir: string;
  /** JVM options added to every broker this set starts from now on. */
  extraJavaOpts: string[] = [];
  private readonly brokers = new Map<number, BrokerProcess>();
  /** Brokers this set is ending on purpose; any other exit is a crash. */
  private readonly ending = new Set<BrokerProcess>();
  /** Every broker that exited on its own, and was started again as kubelet would. */
  private readonly crashes: { node: number; code: number | null; at: number }[] = [];

  /** kubeconfig: where to read the rendered ConfigMap from; undefined when the test writes it (writeConfig). */
  constructor(
    private readonly kubeconfig: string | undefined,
    private readonly namespace: string,
    private readonly cluster: string,
    work?: string,
  ) {
    this.work = work ?? mkdtempSync(join(tmpdir(), `amq-keeper-${cluster}-`));
    this.configDir = join(this.work, 'config');
    this.credentialsDir = join(this.work, 'credentials');
    this.tlsDir = join(this.work, 'tls');
    this.writeCredentials(TEST_LOGINS.app, TEST_LOGINS.admin);
  }

  /** Where the pod's credentials volume would be mounted: the same layout (src/resources/broker-security.ts). */
  readonly credentialsDir: string;
  /** Where the pod's TLS Secret volume would be mounted (src/resources/broker-tls.ts). */
  readonly tlsDir: string;

  /**
   * Writes files into a new directory and swaps it in behind dir with one
   * rename, as the kubelet updates a Secret volume: a broker starting
   * meanwhile reads the old files or the new ones, never a half-written set.
   */
  private swapIn(dir: string, files: Record<string, string>): void {
    const version = `${dir}.${++this.volumeWrites}`;
    for (const [file, value] of Object.entries(files)) {
      mkdirSync(join(version, file, '..'), { recursive: true });
      writeFileSync(join(version, file), value, { mode: 0o600 });
    }
    const link = `${dir}.link`;
    rmSync(link, { force: true });
    symlinkSync(version, link);
    renameSync(link, dir);
  }

  private volumeWrites = 0;

  /**
   * Writes the logins as the pod's credentials volume holds them; users:
   * further users' passwords by name; zookeeperPassword: the group znodes'
   * digest password, when the credentials have one.
   */
  writeCredentials(app: Login, admin: Login, users: Record<string, string> = {}, zookeeperPassword?: string): void {
    const files: Record<string, string> = {
      'app/username': app.username,
      'app/password': app.password,
      'admin/username': admin.username,
      'admin/password': admin.password,
    };
    for (const [name, password] of Object.entries(users)) files[`users/${name}`] = password;
    if (zookeeperPassword !== undefined) files[ZK_PASSWORD_FILE] = zookeeperPassword;
    this.swapIn(this.credentialsDir, files);
  }

  /** With spec.tls: the cluster's TLS Secret, written as the pod's volume holds it. */
  private async writeRenderedTls(kube: ClusterAccess, secretName: string | undefined): Promise<void> {
    if (secretName === undefined) return;
    const s = await kube.getJson<V1Secret>(['-n', this.namespace, 'get', 'secret', secretName]);
    const files: Record<string, string> = {};
    for (const [key, b64] of Object.entries(s.data ?? {})) files[key] = Buffer.from(b64, 'base64').toString('utf8');
    this.swapIn(this.tlsDir, files);
  }

  /**
   * Waits for the cluster's credentials Secret (generated by the operator or
   * the user's), writes it as the pod would see it, and has the test clients
   * log in as its application user. Returns the logins.
   */
  async writeRenderedCredentials(): Promise<{ app: Login; admin: Login }> {
    const kubeconfig = this.kubeconfig;
    if (kubeconfig === undefined) throw new Error('BrokerSet has no kubeconfig to read the credentials Secret from');
    const kube = clusterAccess(kubeconfig, this.namespace);
    const c = await kube.cluster(this.cluster);
    const { app, admin, zookeeperPassword } = await kube.credentials(credentialsSecretOf(c).name);
    const users: Record<string, string> = {};
    for (const u of c.spec.security?.users ?? []) {
      const s = await kube.getJson<V1Secret>(['-n', this.namespace, 'get', 'secret', u.passwordSecret.name]);
      users[u.username] = Buffer.from(s.data?.[u.passwordSecret.key] ?? '', 'base64').toString('utf8');
    }
    this.writeCredentials(app, admin, users, zookeeperPassword);
    await this.writeRenderedTls(kube, c.spec.tls?.secretName);
    useLogin(app);
    return { app, admin };
  }

  /** Waits for the rendered ConfigMap and writes its files where the entrypoint reads them. */
  async writeRenderedConfig(): Promise<V1ConfigMap> {
    const kubeconfig = this.kubeconfig;
    if (kubeconfig === undefined) throw new Error('BrokerSet has no kubeconfig to read the rendered ConfigMap from');
    const cm = await eventually(
      () => clusterAccess(kubeconfig).getJson<V1ConfigMap>(['-n', this.namespace, 'get', 'configmap', `${this.cluster}-broker-config`]),
      { what: `${this.cluster}-broker-config`, intervalMs: 200 },
    );
    this.writeConfig(cm);
    await this.writeRenderedCredentials();
    return cm;
  }

  /** Writes a broker-config ConfigMap's files where the entrypoint reads them. */
  writeConfig(cm: V1ConfigMap): void {
    mkdirSync(this.configDir, { recursive: true });
    for (const [file, content] of Object.entries(cm.data ?? {})) writeFileSync(join(this.configDir, file), content);
  }

  async start(i: number): Promise<BrokerProcess> {
    // The JVM records where each class came from, so a test can tell that a
    // broker runs the store classes the distribution patches.
    const classLog = `-Xlog:class+load=info:file=${this.classLoadLog(i)}`;
    const javaOpts = [process.env.JAVA_OPTS, classLog, ...this.extraJavaOpts].filter(Boolean).join(' ');
    const b = await startBroker({
      configDir: this.configDir,
      index: i,
      dataDir: join(this.work, 'data', `node-${i}`),
      hostnameOverride: '127.0.0.1',
      javaOpts,
      env: { AMQ_CREDENTIALS_DIR: this.credentialsDir, AMQ_TLS_DIR: this.tlsDir },
    });
    this.brokers.set(i, b);
    void b.exited.then((code) => this.exitedOnItsOwn(i, b, code));
    this.watchForLingering(i, b);
    return b;
  }

  /**
   * A 5.16 broker demoted while its store was still starting as master shuts
   * its BrokerService down ("... is shutdown") but its JVM lingers, serving
   * nothing, never rejoining: the start task that would end it is blocked. In
   * a pod its readiness probe fails and the operator restarts the unready
   * pod; a kwok pod is always Ready, so the harness does that restart here,
   * with a line in the output, as a crash the kubelet would follow.
   */
  private watchForLingering(i: number, b: BrokerProcess): void {
    let last = { size: -1, since: Date.now() };
    const timer = setInterval(() => {
      if (!b.running || this.brokers.get(i) !== b) {
        clearInterval(timer);
        return;
      }
      let size: number;
      try {
        size = statSync(b.logFile).size;
      } catch {
        return;
      }
      if (size !== last.size) last = { size, since: Date.now() };
      if (Date.now() - last.since < LINGER_MS) return;
      const tail = readFileSync(b.logFile, 'utf8').slice(-2_000).trimEnd().split('\n');
      const shutDown = /Apache ActiveMQ \S+ \(.*\) is shutdown/.test(tail[tail.length - 1] ?? '');
      if (shutDown && !this.ending.has(b)) {
        clearInterval(timer);
        console.log(
          `# broker ${i}: its broker shut down ${LINGER_MS / 1000} s ago but the JVM lingers; restarting it, as the operator restarts an unready pod`,
        );
        b.kill('SIGKILL');
      }
    }, 2_000);
    timer.unref();
  }

  // A pod's container restarts when its process ends (restartPolicy Always), so
  // a broker that exits by itself is started again; a 5.16 broker demoted while
  // it is still starting ends its JVM ("Failed to execute start task").
  private exitedOnItsOwn(i: number, b: BrokerProcess, code: number | null): void {
    if (this.ending.delete(b) || this.brokers.get(i) !== b) return;
    this.crashes.push({ node: i, code, at: Date.now() });
    const how = code === null ? 'killed by a signal' : `exit code ${code}`;
    console.log(`# broker ${i} exited on its own (${how}); starting it again. Its log ends:\n${logTail(b.logFile, 8)}`);
    setTimeout(() => {
      if (this.brokers.get(i) === b) this.start(i).catch((err: unknown) => console.log(`# broker ${i} could not be started again: ${String(err)}`));
    }, CRASH_RESTART_DELAY_MS);
  }

  async startAll(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, i) => this.start(i)));
  }

  /** The broker log of node i (every start appends to it). */
  logFile(i: number): string {
    return join(this.work, 'data', `node-${i}`, 'broker.log');
  }

  /** The JVM's class-load log of node i (its latest start). */
  classLoadLog(i: number): string {
    return join(this.work, 'data', `node-${i}`, 'class-load.log');
  }

  /** kill -9 behind the set's back: a crash, after which the broker is started again as kubelet would. */
  async crash(i: number): Promise<BrokerProcess> {
    const b = this.brokers.get(i);
    if (!b?.running) throw new Error(`broker ${i} is not running`);
    b.kill('SIGKILL');
    await b.exited;
    return eventually(
      () => {
        const next = this.brokers.get(i);
        if (!next || next === b) throw new Error(`broker ${i} not started again yet`);
        return next;
      },
      { what: `broker ${i} started again after its crash`, timeoutMs: 30_000 },
    );
  }

  /** kill -9, and the broker stays down. */
  kill(i: number): Promise<void> {
    return this.end(i, 'SIGKILL');
  }

  /** A clean stop: the broker closes its store first. */
  /** A clean stop, as a pod's SIGTERM; SIGKILL after the grace period, as the kubelet does. */
  stop(i: number, graceMs = STOP_GRACE_MS): Promise<void> {
    return this.end(i, 'SIGTERM', graceMs);
  }

  private async end(i: number, signal: NodeJS.Signals, graceMs?: number): Promise<void> {
    const b = this.brokers.get(i);
    if (b?.running) this.ending.add(b);
    b?.kill(signal);
    const late = graceMs === undefined ? undefined : setTimeout(() => b?.kill('SIGKILL'), graceMs);
    await b?.exited;
    clearTimeout(late);
    this.brokers.delete(i);
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.brokers.keys()].map((i) => this.kill(i)));
  }

  /** How many brokers are running. */
  get size(): number {
    return this.brokers.size;
  }

  /** Each broker's process state and the end of its log: what a failed test prints. */
  describe(lines = 12): string {
    const crashed = this.crashes.length === 0 ? [] : [`crashes: ${JSON.stringify(this.crashes)}`];
    const each = [...this.brokers.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, b]) => `broker ${i}: pid ${b.pid} ${b.running ? 'running' : 'exited'}; ${b.logFile}\n${logTail(b.logFile, lines)}`);
    return [...crashed, ...each].join('\n');
  }

  pids(): Record<number, number> {
    return Object.fromEntries([...this.brokers.entries()].map(([i, b]) => [i, b.pid]));
  }
}
