// Runs the JMS test client (test/client, ActiveMQ's own client library) and
// streams its JSON lines, so a test can act while messages are in flight.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Login } from '../../src/model/credentials';

const RUN = join(__dirname, '..', 'client', 'run.sh');

export type ClientEvent = Record<string, unknown> & { event: string };

export interface ClientRun {
  /** Every line so far. */
  events: ClientEvent[];
  /** Resolves with the summary line (or rejects with the fatal one), wherever it is among the lines. */
  done: Promise<ClientEvent>;
  /** Resolves when a line matching the predicate arrives. */
  when(pred: (e: ClientEvent) => boolean): Promise<ClientEvent>;
  /** The end of the client's stderr so far. */
  stderr(): string;
}

export interface ClientOptions {
  /** More environment for the client's JVM, e.g. JAVA_TOOL_OPTIONS with a hosts file. */
  env?: Record<string, string>;
}

/** The login of every client this process starts, unless its options say otherwise (AMQ_USERNAME: '' is anonymous). */
let defaultLogin: Login | undefined;

/** Clients log in as this user from now on: the test harness sets the cluster's application user. */
export function useLogin(login: Login | undefined): void {
  defaultLogin = login;
}

/** The client environment of a login. */
export function loginEnv(login: Login | undefined): Record<string, string> {
  return login ? { AMQ_USERNAME: login.username, AMQ_PASSWORD: login.password } : { AMQ_USERNAME: '', AMQ_PASSWORD: '' };
}

/** Clients still running: a test that fails mid-send stops them (stopClients) instead of waiting out their timeout. */
const running = new Set<ChildProcess>();

export function stopClients(): void {
  for (const p of running) p.kill('SIGKILL');
}

export function runClient(args: string[], opts: ClientOptions = {}): ClientRun {
  const env = { ...process.env, ...(defaultLogin ? loginEnv(defaultLogin) : {}), ...opts.env };
  const p = spawn('bash', [RUN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  running.add(p);
  p.on('close', () => running.delete(p));
  const events: ClientEvent[] = [];
  const waiters: { pred: (e: ClientEvent) => boolean; resolve: (e: ClientEvent) => void }[] = [];
  let buf = '';
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line) as ClientEvent;
      events.push(e);
      for (const w of waiters.splice(0)) {
        if (w.pred(e)) w.resolve(e);
        else waiters.push(w);
      }
    }
  });
  const done = new Promise<ClientEvent>((resolve, reject) => {
    // The summary is looked up by its event, not taken as the last line: the
    // client writes it last, but a transport event of the failover transport's
    // own threads is not ordered with it (see Main.emit in test/client).
    p.on('close', (code) => {
      const summary = events.find((e) => e.event === 'summary');
      const fatal = events.find((e) => e.event === 'fatal');
      if (summary) resolve(summary);
      else if (fatal) reject(new Error(`client ${args[0]} ended (${code}) with a fatal line: ${JSON.stringify(fatal)}\n${stderr}`));
      else
        reject(
          new Error(
            `client ${args[0]} ended (${code}) without a summary; its last lines: ${events
              .slice(-3)
              .map((e) => JSON.stringify(e))
              .join('\n')}\n${stderr}`,
          ),
        );
    });
  });
  return {
    events,
    done,
    when: (pred) => {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    stderr: () => stderr,
  };
}

export interface ConsumeAllResult {
  count: number;
  /** Distinct messages received in the end. */
  distinct: number;
  duplicates: number;
  /** Acknowledged messages never received, even after a restart of the master. */
  lost: number[];
  /** Messages that only came after the master was restarted (held back by the broker). */
  heldBack: number[];
}

/**
 * Consumes seq 0..count-1. ActiveMQ 5.16 can hold back a message that the
 * failover client re-sent while the new master took over: it stays in the
 * store, unseen by consumers, until that broker restarts. If anything is
 * missing, recover() restarts the master and the rest is consumed again, so
 * that "held back" and "lost" are told apart and both reported.
 */
export async function consumeAll(url: string, queue: string, count: number, recover: () => Promise<void>, opts: ClientOptions = {}): Promise<ConsumeAllResult> {
  const args = (idle: number) => [
    'consume',
    '--url',
    url,
    '--queue',
    queue,
    '--expect',
    String(count),
    '--idle-timeout-ms',
    String(idle),
    '--drain-ms',
    '1000',
    '--timeout-ms',
    '240000',
  ];
  const first = await runClient(args(15_000), opts).done;
  const missing1 = (first.missing as number[] | undefined) ?? [];
  const result: ConsumeAllResult = { count, distinct: Number(first.distinct), duplicates: Number(first.duplicates), lost: [], heldBack: [] };
  if (missing1.length === 0) return result;
  await recover();
  const second = await runClient(args(10_000), opts).done;
  const missing2 = new Set((second.missing as number[] | undefined) ?? []);
  result.lost = missing1.filter((s) => missing2.has(s));
  result.heldBack = missing1.filter((s) => !missing2.has(s));
  result.distinct += result.heldBack.length;
  result.duplicates += Number(second.duplicates);
  return result;
}
