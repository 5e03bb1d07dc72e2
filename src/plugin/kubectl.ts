// Every read and write of the plugin goes through the user's own kubectl, so
// it sees what kubectl sees: the same kubeconfig, context, credentials
// plugins and namespace, and nothing of the operator is needed.
import { spawn } from 'node:child_process';
import type { KubeFlags } from './args';

export class PluginError extends Error {}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const KUBECTL = 'kubectl';

function notOnPath(err: unknown): PluginError | unknown {
  return (err as NodeJS.ErrnoException).code === 'ENOENT' ? new PluginError('kubectl is not on PATH: kubectl amq runs kubectl for every read and write') : err;
}

export class Kubectl {
  private namespaceSeen?: Promise<string>;

  constructor(readonly flags: KubeFlags) {}

  /** The flags that select the same cluster, user and namespace as the user's command line. */
  args(): string[] {
    const f = this.flags;
    return [
      ...(f.kubeconfig ? ['--kubeconfig', f.kubeconfig] : []),
      ...(f.context ? ['--context', f.context] : []),
      ...(f.namespace ? ['--namespace', f.namespace] : []),
    ];
  }

  /** kubectl with these arguments, whatever it exits with. */
  run(args: readonly string[], input?: string): Promise<Run> {
    return new Promise((resolve, reject) => {
      const p = spawn(KUBECTL, [...this.args(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', (err) => reject(notOnPath(err)));
      p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      p.stdin.on('error', () => undefined);
      p.stdin.end(input ?? '');
    });
  }

  /** kubectl that must succeed; its stdout. */
  async ok(args: readonly string[], input?: string): Promise<string> {
    const r = await this.run(args, input);
    if (r.code !== 0) throw new PluginError(`kubectl ${args.join(' ')} failed: ${r.stderr.trim() || `exit code ${r.code}`}`);
    return r.stdout;
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '-o', 'json'])) as T;
  }

  /** The namespace kubectl works in: -n, else the context's, else "default". */
  namespace(): Promise<string> {
    if (this.flags.namespace) return Promise.resolve(this.flags.namespace);
    this.namespaceSeen ??= this.run(['config', 'view', '--minify', '-o', 'jsonpath={..namespace}']).then((r) =>
      r.code === 0 && r.stdout.trim() ? r.stdout.trim() : 'default',
    );
    return this.namespaceSeen;
  }

  /**
   * kubectl on this terminal until it exits; its exit code. Ctrl-C reaches
   * kubectl as well (one process group); a SIGTERM sent to this process alone
   * is passed on, so kubectl never outlives the plugin.
   */
  attached(args: readonly string[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const p = spawn(KUBECTL, [...this.args(), ...args], { stdio: 'inherit' });
      const pass = (signal: NodeJS.Signals) => () => p.kill(signal);
      const onInt = pass('SIGINT');
      const onTerm = pass('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      const done = (): void => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
      p.on('error', (err) => {
        done();
        reject(notOnPath(err));
      });
      p.on('close', (code, signal) => {
        done();
        resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
      });
    });
  }
}
