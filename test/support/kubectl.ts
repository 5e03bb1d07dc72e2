// Runs the kubectl built by hack/build-k8s.sh against a test control plane.
import { spawn } from 'node:child_process';
import { kubectlPath } from './control-plane';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(kubeconfig: string, args: string[], input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(kubectlPath(), ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // kubectl may exit before reading stdin (EPIPE); its exit code tells what happened.
    p.stdin.on('error', () => undefined);
    p.stdin.end(input ?? '');
  });
}

/** kubectl that must succeed; returns stdout. */
export async function kubectlOk(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const r = await kubectl(kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
