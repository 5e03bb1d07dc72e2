// Test harness wrapper around hack/control-plane.sh: a real etcd +
// kube-apiserver + controller-manager + scheduler (and optionally kwok fake
// nodes) on 127.0.0.1, in a fresh temp state dir per call.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';

const repoDir = path.resolve(__dirname, '..', '..');
const hack = (script: string): string => path.join(repoDir, 'hack', script);

export interface ControlPlane {
  /** Admin (system:masters) kubeconfig for the cluster. */
  kubeconfig: string;
  /** Holds pki/, logs/<component>.log, etcd data; removed by stop(). */
  stateDir: string;
  /** Ports on 127.0.0.1, from the state dir's ports.env. */
  ports: { api: number; etcd: number };
  /** Stops every process of this control plane; safe to call twice. */
  stop(): Promise<void>;
  /** SIGTERMs the kube-apiserver alone (it stops listening at once) and resolves once it has exited. */
  stopApiServer(): Promise<void>;
  /** Starts the kube-apiserver again, on the same port with the same certificates; resolves once it is ready. */
  startApiServer(): Promise<void>;
  /** Restarts kwok, which then runs only the nodes annotated kwok.x-k8s.io/node=fake: one that lost it stops reporting. */
  restartKwok(): Promise<void>;
  /**
   * Moves etcd's revision past every resourceVersion handed out so far and
   * compacts its history up to there, so that a watch from any of them is
   * answered 410 Gone. Returns the revision.
   */
  compactEtcd(): Promise<number>;
}

/** A call to etcd's v3 HTTP gateway (its client port serves JSON with base64 keys). */
async function etcd<T>(port: number, path: string, body: object): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/v3/${path}`, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function readPorts(stateDir: string): ControlPlane['ports'] {
  const env = readFileSync(path.join(stateDir, 'ports.env'), 'utf8');
  const port = (key: string): number => {
    const m = new RegExp(`^${key}=(\\d+)$`, 'm').exec(env);
    if (!m?.[1]) throw new Error(`${key} missing from ${stateDir}/ports.env`);
    return Number(m[1]);
  };
  return { api: port('API_PORT'), etcd: port('ETCD_PORT') };
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: repoDir, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${[file, ...args].join(' ')} failed (${err.code ?? err.signal}):\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Path of the kubectl that hack/build-k8s.sh builds (same naming as that script). */
export function kubectlPath(): string {
  const versions = readFileSync(hack('versions.env'), 'utf8');
  const get = (key: string): string => {
    const m = new RegExp(`^${key}=(\\S+)`, 'm').exec(versions);
    if (!m?.[1]) throw new Error(`${key} missing from hack/versions.env`);
    return m[1];
  };
  const cacheRoot = process.env.AMQ_KEEPER_CACHE ?? path.join(homedir(), '.cache', 'amq-keeper');
  return path.join(cacheRoot, `k8s-${get('K8S_VERSION')}-etcd-${get('ETCD_VERSION')}`, 'bin', 'kubectl');
}

/**
 * Builds the binaries if not cached (the first build takes many minutes), then
 * starts a control plane. With kwok, nodes kwok-node-0..kwokNodes-1 (one
 * unless told) exist and pods scheduled to them become Running/Ready with IPs. With node, the real node of
 * hack/node.sh runs pods from the project's images (root only; one at a time
 * per machine). Set KEEP_CONTROL_PLANE_STATE=1 to keep
 * the state dir (logs) after stop().
 */
export async function startControlPlane(opts: { kwok?: boolean; kwokNodes?: number; node?: boolean } = {}): Promise<ControlPlane> {
  await run('bash', [hack('build-k8s.sh')]);
  if (opts.kwok) await run('bash', [hack('build-kwok.sh')]);

  const stateDir = await mkdtemp(path.join(tmpdir(), 'amq-keeper-cp-'));
  const script = hack('control-plane.sh');
  const keepState = process.env.KEEP_CONTROL_PLANE_STATE === '1';
  // If the test process exits without stop(), still kill the daemons.
  const onExit = (): void => {
    try {
      execFileSync('bash', [script, 'down', stateDir], { stdio: 'ignore' });
      if (!keepState) rmSync(stateDir, { recursive: true, force: true });
    } catch {
      // nothing more can be done while exiting
    }
  };
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await run('bash', [script, 'down', stateDir]);
      process.removeListener('exit', onExit);
      if (!keepState) await rm(stateDir, { recursive: true, force: true });
    })());

  try {
    // `up` tears down by itself on failure; its stderr names the failed component.
    const flags = [
      ...(opts.kwok ? ['--with-kwok'] : []),
      ...(opts.kwok && opts.kwokNodes ? ['--kwok-nodes', String(opts.kwokNodes)] : []),
      ...(opts.node ? ['--with-node'] : []),
    ];
    const out = await run('bash', [script, 'up', stateDir, ...flags]);
    const ports = readPorts(stateDir);
    return {
      kubeconfig: out.trim().split('\n').pop() || path.join(stateDir, 'kubeconfig'),
      stateDir,
      ports,
      stop,
      stopApiServer: async () => {
        await run('bash', [script, 'stop-apiserver', stateDir]);
      },
      startApiServer: async () => {
        await run('bash', [script, 'start-apiserver', stateDir]);
      },
      restartKwok: async () => {
        await run('bash', [script, 'restart-kwok', stateDir]);
      },
      compactEtcd: async () => {
        // A key outside the API server's /registry prefix: only the revision moves.
        const put = await etcd<{ header: { revision: string } }>(ports.etcd, 'kv/put', {
          key: b64('/amq-keeper-test/compaction'),
          value: b64(String(Date.now())),
        });
        const revision = Number(put.header.revision);
        await etcd(ports.etcd, 'kv/compaction', { revision: String(revision), physical: true });
        return revision;
      },
    };
  } catch (err) {
    process.removeListener('exit', onExit);
    // The script's stderr says which component failed and why: keep it in the message, which is what reports show.
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`control plane failed to start (logs in ${stateDir}/logs): ${why}`, { cause: err });
  }
}
