// What a test needs to act on the real node (hack/node.sh) as a person would
// from a shell on it: kill a container's process with SIGKILL, and resolve the
// cluster's DNS names from the host, where only CoreDNS on the node's bridge
// knows them.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { clusterAccess } from './cluster-access';
import type { ControlPlane } from './control-plane';

const ROOT = join(__dirname, '..', '..');

function env(file: string, key: string): string {
  const m = new RegExp(`^${key}=(\\S+)`, 'm').exec(readFileSync(join(ROOT, 'hack', file), 'utf8'));
  if (!m?.[1]) throw new Error(`${key} missing from hack/${file}`);
  return m[1];
}

/** The domain the node's kubelet and CoreDNS serve. */
export const CLUSTER_DOMAIN = env('node.env', 'CLUSTER_DOMAIN');

function crictlPath(): string {
  const cache = process.env.AMQ_KEEPER_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'amq-keeper');
  return join(cache, `node-tools-coredns-${env('versions.env', 'COREDNS_VERSION')}-crictl-${env('versions.env', 'CRICTL_VERSION')}`, 'bin', 'crictl');
}

/** crictl against the node's containerd. */
export function crictl(cp: ControlPlane, args: string[]): Promise<string> {
  const endpoint = `unix://${join(cp.stateDir, 'node', 'containerd.sock')}`;
  return new Promise((resolve, reject) => {
    execFile(crictlPath(), ['--runtime-endpoint', endpoint, '--timeout', '20s', ...args], (err, stdout, stderr) => {
      if (err) reject(new Error(`crictl ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

export async function getPod(kubeconfig: string, ns: string, name: string): Promise<V1Pod> {
  return clusterAccess(kubeconfig).getJson<V1Pod>(['-n', ns, 'get', 'pod', name]);
}

/**
 * SIGKILLs the main process of a pod's container, as `kill -9` on the node
 * does; the kubelet then restarts the container. Returns the restart count
 * before the kill.
 */
export async function killContainer(cp: ControlPlane, ns: string, pod: string, container: string): Promise<number> {
  const status = (await getPod(cp.kubeconfig, ns, pod)).status?.containerStatuses?.find((s) => s.name === container);
  const id = status?.containerID?.replace(/^containerd:\/\//, '');
  if (!id || !status?.state?.running) throw new Error(`${ns}/${pod} has no running container ${container}`);
  const info = JSON.parse(await crictl(cp, ['inspect', id])) as { info?: { pid?: number } };
  const pid = info.info?.pid;
  if (!pid) throw new Error(`crictl inspect ${id} gave no pid`);
  process.kill(pid, 'SIGKILL');
  return status.restartCount;
}

/**
 * A hosts file (for the JVM's -Djdk.net.hosts.file) that maps the names
 * CoreDNS serves for a namespace's Services and pods to their addresses, so a
 * client on the host uses the published URLs unchanged. Services resolve to
 * their ClusterIP (reached through kube-proxy), headless pod names to pod IPs.
 */
export async function clusterHostsFile(kubeconfig: string, ns: string): Promise<string> {
  const { items } = clusterAccess(kubeconfig);
  const services = await items<V1Service>(['-n', ns, 'get', 'services']);
  const pods = await items<V1Pod>(['-n', ns, 'get', 'pods']);
  const lines: string[] = [];
  const add = (ip: string | undefined, name: string): void => {
    if (ip && ip !== 'None') lines.push(`${ip} ${name} ${name}.${CLUSTER_DOMAIN}`);
  };
  for (const s of services) add(s.spec?.clusterIP, `${s.metadata?.name}.${ns}.svc`);
  for (const p of pods) {
    if (p.spec?.subdomain) add(p.status?.podIP, `${p.spec.hostname ?? p.metadata?.name}.${p.spec.subdomain}.${ns}.svc`);
  }
  const file = join(mkdtempSync(join(tmpdir(), 'amq-keeper-hosts-')), 'hosts');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
