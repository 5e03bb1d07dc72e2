// The operator as a child process, as it runs for real: killed with SIGKILL,
// restarted, read through its /metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A TCP connection of a process, from /proc/net/tcp; state in its hex code (01 established, 08 close-wait). */
export interface TcpConnection {
  inode: string;
  remotePort: number;
  state: string;
}

/**
 * The IPv4 TCP connections process pid holds to any of these ports on the
 * same host. A connection its peer closed stays in close-wait until the
 * process closes its end, which a stopped process never does: the way to see
 * a server drop a paused client.
 */
export function tcpConnections(pid: number, remotePorts: readonly number[]): TcpConnection[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed since the listing
    }
  }
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 9)
    .map((f) => ({ inode: f[9]!, remotePort: Number.parseInt(f[2]!.split(':')[1]!, 16), state: f[3]! }))
    .filter((c) => inodes.has(c.inode) && remotePorts.includes(c.remotePort));
}

export interface OperatorProcess {
  child: ChildProcess;
  port: number;
  logFile: string;
  metric(name: string): Promise<number>;
  peakRssMb(): number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM and wait; kill('SIGKILL') for a crash. */
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface OperatorProcessOptions {
  /** Run dist/src/main.js (npm run build first) instead of the TypeScript sources. */
  compiled?: boolean;
  nodeFlags?: string[];
  args?: string[];
  logFile?: string;
  /** Added to this process's environment (e.g. POD_NAME, POD_NAMESPACE). */
  env?: NodeJS.ProcessEnv;
}

/** Starts the operator and resolves once /readyz answers (its caches are synced). */
/** The test brokers are local processes that register 127.0.0.1, not their pods' names. */
const LOCAL_BROKERS = ['--console-trusted-hosts', '127.0.0.1'];

export async function startOperatorProcess(kubeconfig: string, o: OperatorProcessOptions = {}): Promise<OperatorProcess> {
  const port = await freePort();
  const entry = o.compiled ? [join(ROOT, 'dist', 'src', 'main.js')] : ['--import', 'tsx', join(ROOT, 'src', 'main.ts')];
  const logFile = o.logFile ?? join(ROOT, '.state', `operator-${port}.log`);
  mkdirSync(join(logFile, '..'), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(
    process.execPath,
    [...(o.nodeFlags ?? []), ...entry, '--kubeconfig', kubeconfig, '--http-port', String(port), ...LOCAL_BROKERS, ...(o.args ?? [])],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...o.env },
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && !l.startsWith('#'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`operator did not become ready; log: ${logFile}\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    child,
    port,
    logFile,
    exited,
    metric,
    peakRssMb: () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    stop: () => kill('SIGTERM'),
    kill,
  };
}
