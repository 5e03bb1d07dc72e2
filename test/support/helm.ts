// Runs the helm that hack/build-helm.sh builds against a test control plane,
// and acts as a ServiceAccount (a kubeconfig with its token).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { kubectlOk, type Result } from './kubectl';

const ROOT = join(__dirname, '..', '..');
export const CHART_DIR = join(ROOT, 'charts', 'amq-keeper');

let binPromise: Promise<string> | undefined;

/** Path of helm; builds it on first use (hack/build-helm.sh is idempotent and prints the path). */
export function helmPath(): Promise<string> {
  binPromise ??= new Promise<string>((resolve, reject) => {
    execFile('bash', [join(ROOT, 'hack', 'build-helm.sh')], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`hack/build-helm.sh failed: ${stderr}`));
      const bin = stdout.trim().split('\n').pop();
      return bin ? resolve(bin) : reject(new Error('hack/build-helm.sh printed no path'));
    });
  }).catch((err: unknown) => {
    binPromise = undefined;
    throw err;
  });
  return binPromise;
}

// helm keeps its own config, cache and data (repositories, plugins) in these;
// a temp home keeps the tests away from the user's.
let helmHome: string | undefined;
function helmEnv(): NodeJS.ProcessEnv {
  helmHome ??= mkdtempSync(join(tmpdir(), 'amq-keeper-helm-'));
  return {
    ...process.env,
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
}

/** helm with --kubeconfig (pass kubeconfig '' for commands that need no cluster, such as lint). */
export async function helm(kubeconfig: string, args: string[]): Promise<Result> {
  const bin = await helmPath();
  const all = kubeconfig ? ['--kubeconfig', kubeconfig, ...args] : args;
  return new Promise((resolve, reject) => {
    const p = spawn(bin, all, { env: helmEnv(), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** helm that must succeed; returns stdout. */
export async function helmOk(kubeconfig: string, args: string[]): Promise<string> {
  const r = await helm(kubeconfig, args);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface KubeconfigFile {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
  contexts: { name: string; context: { cluster: string } }[];
  'current-context': string;
}

/**
 * Writes a kubeconfig that authenticates as ServiceAccount namespace/name with
 * a fresh token (`kubectl create token`), for the same API server and CA as
 * adminKubeconfig. Returns its path.
 */
export async function serviceAccountKubeconfig(adminKubeconfig: string, namespace: string, name: string, file?: string): Promise<string> {
  const token = (await kubectlOk(adminKubeconfig, ['create', 'token', name, '-n', namespace, '--duration=2h'])).trim();
  const admin = parse(readFileSync(adminKubeconfig, 'utf8')) as KubeconfigFile;
  const ctx = admin.contexts.find((c) => c.name === admin['current-context']);
  const cluster = admin.clusters.find((c) => c.name === ctx?.context.cluster) ?? admin.clusters[0];
  if (!cluster) throw new Error(`${adminKubeconfig} has no cluster`);
  const user = `system:serviceaccount:${namespace}:${name}`;
  const path = file ?? join(mkdtempSync(join(tmpdir(), 'amq-keeper-sa-')), 'kubeconfig');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: cluster.cluster }],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: 'local', user } }],
      'current-context': 'sa',
    }),
    { mode: 0o600 },
  );
  return path;
}
