// Starts ActiveMQ broker nodes for tests through images/broker/entrypoint.sh,
// the same script the container image runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fetchedPath } from './fetched';

const REPO_DIR = path.resolve(__dirname, '..', '..');
const ENTRYPOINT = path.join(REPO_DIR, 'images', 'broker', 'entrypoint.sh');

/** ACTIVEMQ_HOME from broker/assemble.sh (assembled once, then cached). */
export function activemqHome(): Promise<string> {
  return fetchedPath('broker/assemble.sh');
}

/** The Byteman agent jar from hack/fetch-byteman.sh (for -javaagent:). */
export function bytemanAgent(): Promise<string> {
  return fetchedPath('hack/fetch-byteman.sh');
}

export interface BrokerOptions {
  /** Directory with activemq-<index>.xml and node-<index>.env (the ConfigMap's content). */
  configDir: string;
  index: number;
  /** AMQ_DATA_DIR: LevelDB, scheduler, conf copy, tmp. Created if missing. */
  dataDir: string;
  /** AMQ_HOSTNAME_OVERRIDE, e.g. "127.0.0.1" for local runs. */
  hostnameOverride?: string;
  /** stdout+stderr of the broker (appended). Default: <dataDir>/broker.log */
  logFile?: string;
  /** Heap options (AMQ_HEAP_OPTS); the entrypoint defaults to -Xms64m -Xmx256m. */
  heapOpts?: string;
  /** Extra JVM options (JAVA_OPTS). */
  javaOpts?: string;
  /** Extra environment for the entrypoint. */
  env?: Record<string, string>;
}

export interface BrokerProcess {
  /** The broker JVM's pid (the entrypoint execs java). */
  pid: number;
  index: number;
  logFile: string;
  /** Sends a signal (default SIGTERM); SIGKILL simulates a crash. No-op once exited. */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code, or null when the process was ended by a signal. */
  exited: Promise<number | null>;
  /** True until the process has exited. */
  readonly running: boolean;
}

const live = new Set<BrokerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const b of live) b.kill('SIGKILL');
  });
}

export async function startBroker(opts: BrokerOptions): Promise<BrokerProcess> {
  const home = await activemqHome();
  mkdirSync(opts.dataDir, { recursive: true });
  const logFile = opts.logFile ?? path.join(opts.dataDir, 'broker.log');
  mkdirSync(path.dirname(logFile), { recursive: true });

  // Each broker its own TMPDIR, as each pod has its own /tmp: the entrypoint's conf copy lives there.
  const runDir = path.join(opts.dataDir, 'run');
  mkdirSync(runDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: runDir,
    ACTIVEMQ_HOME: home,
    AMQ_CONFIG_DIR: opts.configDir,
    AMQ_DATA_DIR: opts.dataDir,
    AMQ_NODE_INDEX: String(opts.index),
    ...(opts.hostnameOverride !== undefined ? { AMQ_HOSTNAME_OVERRIDE: opts.hostnameOverride } : {}),
    ...(opts.heapOpts !== undefined ? { AMQ_HEAP_OPTS: opts.heapOpts } : {}),
    ...(opts.javaOpts !== undefined ? { JAVA_OPTS: opts.javaOpts } : {}),
    ...(opts.env ?? {}),
  };

  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // Same process group as the test runner: a Ctrl-C also ends the brokers.
    child = spawn('bash', [ENTRYPOINT], { env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (e) => reject(new Error(`cannot start ${ENTRYPOINT}: ${e.message}`)));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`no pid for ${ENTRYPOINT}`);

  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running = false;
      live.delete(broker);
      resolve(code);
    });
  });
  const broker: BrokerProcess = {
    pid,
    index: opts.index,
    logFile,
    exited,
    get running() {
      return running;
    },
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (!running) return;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    },
  };
  live.add(broker);
  installExitHook();
  return broker;
}
