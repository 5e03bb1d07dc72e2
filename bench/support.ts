// Helpers shared by the benchmarks: percentiles, the operator as a child
// process with its metrics, and writing results.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

export function summary(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The V8 flags the operator image runs with (images/operator/Dockerfile): a small young generation keeps RSS low. */
export const OPERATOR_NODE_FLAGS = '';

export interface OperatorProcess {
  child: ChildProcess;
  port: number;
  metric(name: string): Promise<number>;
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** Starts the compiled operator (npm run build first) with /metrics on a free port. */
export async function startOperatorProcess(kubeconfig: string, args: string[] = []): Promise<OperatorProcess> {
  const port = await freePort();
  const flags = (process.env.OPERATOR_NODE_FLAGS ?? OPERATOR_NODE_FLAGS).split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, join(ROOT, 'dist', 'src', 'main.js'), '--kubeconfig', kubeconfig, '--http-port', String(port), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const metric = async (name: string): Promise<number> => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await res.text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name) && !l.startsWith('#'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`operator did not become ready:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port,
    metric,
    peakRssMb: () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function writeResult(name: string, result: unknown): string {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}
