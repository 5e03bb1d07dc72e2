// A local 3-node ZooKeeper ensemble for tests, driven through hack/zk-ensemble.sh.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const REPO_DIR = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(REPO_DIR, 'hack', 'zk-ensemble.sh');

export type NodeNumber = 1 | 2 | 3;

export interface EnsembleOptions {
  /** State directory (data, configs, node-<n>.log, node-<n>.pid). Default: a new temp dir. */
  stateDir?: string;
  /** Node n uses base+n-1. Defaults 2181 / 2888 / 3888 (the script's defaults). */
  clientPortBase?: number;
  peerPortBase?: number;
  electionPortBase?: number;
  /** Deadline for `up` / `startNode`, seconds (default 60). */
  upTimeoutSeconds?: number;
  /** Keep the state dir after stop() (default: keep only if AMQ_KEEPER_KEEP_TEST_STATE=1 or stateDir was given). */
  keepStateDir?: boolean;
}

export type NodeMode = 'leader' | 'follower' | 'standalone' | 'down' | string;

export interface Ensemble {
  /** 127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3 */
  connectString: string;
  stateDir: string;
  clientPorts: readonly [number, number, number];
  /** Stops node n; signal "TERM" (default, clean) or "KILL" (crash). */
  stopNode(n: NodeNumber, signal?: 'TERM' | 'KILL'): Promise<void>;
  /** Starts node n and waits until it serves as leader or follower. */
  startNode(n: NodeNumber): Promise<void>;
  /** The node currently reporting Mode: leader (rejects if none). */
  leader(): Promise<NodeNumber>;
  /** Mode of every node, from `srvr`. */
  status(): Promise<Record<NodeNumber, NodeMode>>;
  /** Stops all nodes (and removes the temp state dir unless kept). Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dir of live) {
      try {
        execFileSync('bash', [SCRIPT, 'down', dir], { stdio: 'ignore', env: { ...process.env, ZK_STOP_TIMEOUT: '5' } });
      } catch {
        // best effort at exit
      }
    }
  });
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileP('bash', [SCRIPT, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`hack/zk-ensemble.sh ${args.join(' ')} failed: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

export async function startEnsemble(opts: EnsembleOptions = {}): Promise<Ensemble> {
  const ownDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? mkdtempSync(path.join(tmpdir(), 'amq-keeper-zk-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (opts.clientPortBase !== undefined) env.ZK_CLIENT_PORT_BASE = String(opts.clientPortBase);
  if (opts.peerPortBase !== undefined) env.ZK_PEER_PORT_BASE = String(opts.peerPortBase);
  if (opts.electionPortBase !== undefined) env.ZK_ELECTION_PORT_BASE = String(opts.electionPortBase);
  if (opts.upTimeoutSeconds !== undefined) env.ZK_UP_TIMEOUT = String(opts.upTimeoutSeconds);
  const keep = opts.keepStateDir ?? (!ownDir || process.env.AMQ_KEEPER_KEEP_TEST_STATE === '1');

  installExitHook();
  live.add(stateDir);
  try {
    await run(['up', stateDir], env);
  } catch (e) {
    live.delete(stateDir);
    throw e;
  }
  const connectString = await run(['connect-string', stateDir], env);
  const ports = connectString.split(',').map((hp) => Number(hp.slice(hp.lastIndexOf(':') + 1)));
  if (ports.length !== 3 || ports.some((p) => !Number.isInteger(p))) {
    throw new Error(`unexpected connect string from zk-ensemble.sh: ${connectString}`);
  }
  let stopped = false;

  return {
    connectString,
    stateDir,
    clientPorts: [ports[0], ports[1], ports[2]],
    async stopNode(n, signal = 'TERM') {
      await run(['stop-node', stateDir, String(n), signal], env);
    },
    async startNode(n) {
      await run(['start-node', stateDir, String(n)], env);
    },
    async leader() {
      const out = await run(['leader', stateDir], env);
      const n = Number(out);
      if (n !== 1 && n !== 2 && n !== 3) throw new Error(`unexpected leader output: ${out}`);
      return n;
    },
    async status() {
      const out = await run(['status', stateDir], env);
      const result: Record<NodeNumber, NodeMode> = { 1: 'down', 2: 'down', 3: 'down' };
      for (const line of out.split('\n')) {
        const [n, , mode] = line.trim().split(/\s+/);
        if (n === '1' || n === '2' || n === '3') result[Number(n) as NodeNumber] = mode ?? 'down';
      }
      return result;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await run(['down', stateDir], env);
      } finally {
        live.delete(stateDir);
        if (!keep) rmSync(stateDir, { recursive: true, force: true });
      }
    },
  };
}
