// The commands of kubectl amq. Each steers the operator only through the
// annotations it reads on the BrokerCluster, so a command works the same
// whether or not the operator runs right now; it acts once it does.
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { GROUP, PLURAL } from '../api/group';
import type { BrokerCluster } from '../api/types';
import { switchoverTarget } from '../controller/switchover';
import { ANNOTATION_PAUSE, ANNOTATION_RESTART, ANNOTATION_RESTART_ZOOKEEPER, ANNOTATION_SWITCHOVER, LABEL_CLUSTER, LABEL_COMPONENT } from '../metadata/labels';
import { brokerIndexOf, names } from '../metadata/names';
import { type Parsed, parseDuration, parsePort, UsageError } from './args';
import { Kubectl, PluginError, type Run } from './kubectl';
import { clusterView, renderStatus, type SwitchoverStatus, switchoverOutcome } from './view';

export const USAGE = `kubectl amq: look at and steer the ActiveMQ clusters that amq-keeper runs (BrokerCluster)

Usage:
  kubectl amq status <cluster> [-o json]
      The master, each broker's role, readiness and replication state, the failovers and the warnings.
  kubectl amq switchover <cluster> [<pod>|any] [--wait] [--timeout 5m]
      Move the master to a slave that is in sync (any, or the named pod). --wait waits for the
      operator's answer and prints it; the exit code is 1 when the operator refused.
  kubectl amq restart <cluster> [--zookeeper]
      Roll every broker once (slaves first, master last), or every ZooKeeper server with --zookeeper.
  kubectl amq pause <cluster>
      Stop the operator's writes for the cluster; the master Service still follows the master.
  kubectl amq resume <cluster>
      Let the operator write again.
  kubectl amq url <cluster> [--master]
      Print the failover URL clients connect with (--master: the master Service URL).
  kubectl amq console <cluster> [--port 8161] [--address 127.0.0.1]
      Forward a local port to the master's web console (port 0: any free port).
  kubectl amq help

kubectl's flags, written after "amq" (kubectl refuses flags before a plugin's name):
  --kubeconfig <file>   --context <name>   -n, --namespace <namespace>
`;

const RESOURCE = `${PLURAL}.${GROUP}`;

/** The flags each command takes, besides kubectl's own. */
const COMMANDS: Record<string, { flags: string[]; maxArgs: number }> = {
  status: { flags: ['output'], maxArgs: 1 },
  switchover: { flags: ['wait', 'timeout'], maxArgs: 2 },
  restart: { flags: ['zookeeper'], maxArgs: 1 },
  pause: { flags: [], maxArgs: 1 },
  resume: { flags: [], maxArgs: 1 },
  url: { flags: ['master'], maxArgs: 1 },
  console: { flags: ['port', 'address'], maxArgs: 1 },
};

/** What a command prints and how it exits; console and switchover --wait take time, the rest return at once. */
export interface Out {
  out(text: string): void;
  err(text: string): void;
}

async function clusterNames(k: Kubectl): Promise<string[]> {
  const r = await k.run(['get', RESOURCE, '-o', 'jsonpath={.items[*].metadata.name}']);
  return r.code === 0 ? r.stdout.split(/\s+/).filter(Boolean) : [];
}

/** kubectl's failure to read a BrokerCluster as the problem and its fix. */
async function readFailure(k: Kubectl, r: Run, name?: string): Promise<PluginError> {
  const ns = await k.namespace();
  if (/doesn't have a resource type/.test(r.stderr)) {
    return new PluginError(
      `the BrokerCluster resource (${RESOURCE}) is not installed in this Kubernetes cluster: install amq-keeper first (helm install amq-keeper charts/amq-keeper)`,
    );
  }
  if (name !== undefined && /NotFound|not found/.test(r.stderr)) {
    const there = await clusterNames(k);
    const hint =
      there.length > 0 ? `BrokerClusters there: ${there.join(', ')}` : 'there is none there; list every namespace with: kubectl get brokerclusters -A';
    return new PluginError(`no BrokerCluster "${name}" in namespace "${ns}" (${hint}); name another namespace with -n`);
  }
  return new PluginError(`reading ${name ? `BrokerCluster "${name}"` : 'BrokerClusters'} in namespace "${ns}" failed: ${r.stderr.trim()}`);
}

async function getCluster(k: Kubectl, name: string): Promise<BrokerCluster> {
  const r = await k.run(['get', RESOURCE, name, '-o', 'json']);
  if (r.code !== 0) throw await readFailure(k, r, name);
  return JSON.parse(r.stdout) as BrokerCluster;
}

async function brokerPods(k: Kubectl, name: string): Promise<V1Pod[]> {
  const r = await k.json<{ items: V1Pod[] }>(['get', 'pods', '-l', `${LABEL_CLUSTER}=${name},${LABEL_COMPONENT}=broker`]);
  return r.items;
}

async function annotate(k: Kubectl, name: string, annotation: string): Promise<void> {
  await k.ok(['annotate', RESOURCE, name, annotation, '--overwrite']);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pausedNote = (bc: BrokerCluster): string =>
  bc.metadata.annotations?.[ANNOTATION_PAUSE] === 'true'
    ? `\nnote: ${bc.metadata.name} is paused; the operator acts on this once it is resumed (kubectl amq resume)`
    : '';

async function status(k: Kubectl, name: string, p: Parsed, io: Out): Promise<number> {
  const output = p.flags.get('output');
  if (output !== undefined && output !== 'json') throw new UsageError(`-o ${String(output)}: status prints a table, or JSON with -o json`);
  const bc = await getCluster(k, name);
  const view = clusterView(bc, await brokerPods(k, name));
  io.out(output === 'json' ? `${JSON.stringify(view, null, 2)}\n` : renderStatus(view, new Date()));
  return 0;
}

/** An annotation value the operator has not seen before, which makes a repeated request a new one. */
export function switchoverValue(pod: string | undefined, now: Date): string {
  return `${pod ?? 'any'}@${now.toISOString()}`;
}

async function switchover(k: Kubectl, name: string, asked: string | undefined, p: Parsed, io: Out): Promise<number> {
  const timeoutMs = parseDuration(String(p.flags.get('timeout') ?? '5m'));
  if (p.flags.has('timeout') && !p.flags.has('wait')) throw new UsageError('--timeout goes with --wait');
  const bc = await getCluster(k, name);
  // A node index is short for its pod.
  const pod = asked === undefined || asked === 'any' ? undefined : /^\d+$/.test(asked) ? names.brokerPod(name, Number(asked)) : asked;
  if (pod !== undefined && brokerIndexOf(name, pod) === undefined) {
    throw new UsageError(`${pod} is not a broker pod of ${name}: name one such as ${names.brokerPod(name, 1)}, or none for any slave that is in sync`);
  }
  if (pod !== undefined && pod === bc.status?.master) {
    io.out(`${pod} is the master already; nothing to do\n`);
    return 0;
  }
  const value = switchoverValue(pod, new Date());
  // The value must name what was asked for as the operator reads it.
  if (switchoverTarget(value) !== pod) throw new PluginError(`internal: ${value} does not name ${pod ?? 'any slave'}`);
  await annotate(k, name, `${ANNOTATION_SWITCHOVER}=${value}`);
  io.out(`switchover of ${name} to ${pod ?? 'any slave in sync'} asked for (${ANNOTATION_SWITCHOVER}=${value})${pausedNote(bc)}\n`);
  if (!p.flags.has('wait')) {
    io.out(`follow it with: kubectl amq status ${name}\n`);
    return 0;
  }
  const deadline = Date.now() + timeoutMs;
  let last: SwitchoverStatus | undefined;
  let shown = '';
  while (Date.now() < deadline) {
    const now = await getCluster(k, name);
    const s = now.status?.switchover;
    if (s?.request === value) {
      last = s;
      const line = `${s.state ?? '?'}: ${s.message ?? ''}`;
      if (line !== shown) io.err(`${line}\n`);
      shown = line;
      if (s.state === 'Done') {
        io.out(`switched over: ${switchoverOutcome(s)}\n`);
        return 0;
      }
      if (s.state === 'Refused') {
        io.err(`error: switchover refused: ${s.message ?? 'no reason given'}\n`);
        return 1;
      }
    }
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
  }
  const where = last ? `it was ${last.state}: ${last.message ?? ''}` : 'the operator has not answered it; check that amq-keeper runs';
  throw new PluginError(`switchover not done within ${Math.round(timeoutMs / 1000)} s (${where}); it goes on without waiting: kubectl amq status ${name}`);
}

async function restart(k: Kubectl, name: string, p: Parsed, io: Out): Promise<number> {
  const bc = await getCluster(k, name);
  const zk = p.flags.has('zookeeper');
  if (zk && bc.spec.zookeeper?.external) throw new UsageError(`${name} uses an external ZooKeeper ensemble, which amq-keeper does not run or restart`);
  const key = zk ? ANNOTATION_RESTART_ZOOKEEPER : ANNOTATION_RESTART;
  const value = new Date().toISOString();
  await annotate(k, name, `${key}=${value}`);
  const what = zk ? 'every ZooKeeper server, one at a time' : 'every broker once: slaves first, each after the replication check, master last';
  io.out(`restart of ${name} asked for (${key}=${value}): the operator rolls ${what}${pausedNote(bc)}\nfollow it with: kubectl amq status ${name}\n`);
  return 0;
}

async function pause(k: Kubectl, name: string, io: Out): Promise<number> {
  const bc = await getCluster(k, name);
  if (bc.metadata.annotations?.[ANNOTATION_PAUSE] === 'true') {
    io.out(`${name} is paused already\n`);
    return 0;
  }
  await annotate(k, name, `${ANNOTATION_PAUSE}=true`);
  io.out(
    `${name} paused (${ANNOTATION_PAUSE}=true): the operator writes nothing for it but the master Service, which keeps following the elected master\nresume with: kubectl amq resume ${name}\n`,
  );
  return 0;
}

async function resume(k: Kubectl, name: string, io: Out): Promise<number> {
  const bc = await getCluster(k, name);
  if (bc.metadata.annotations?.[ANNOTATION_PAUSE] === undefined) {
    io.out(`${name} is not paused\n`);
    return 0;
  }
  await k.ok(['annotate', RESOURCE, name, `${ANNOTATION_PAUSE}-`]);
  io.out(`${name} resumed: the operator reconciles it again\n`);
  return 0;
}

async function url(k: Kubectl, name: string, p: Parsed, io: Out): Promise<number> {
  const bc = await getCluster(k, name);
  const key = p.flags.has('master') ? 'masterUrl' : 'failoverUrl';
  const cm = await k.run(['get', 'configmap', names.connection(name), '-o', 'json']);
  const published = cm.code === 0 ? (JSON.parse(cm.stdout) as V1ConfigMap).data?.[key] : undefined;
  const found = published || bc.status?.[key];
  if (!found) {
    throw new PluginError(
      `no ${key} is published for ${name} yet: the operator writes it to ConfigMap ${names.connection(name)} when it reconciles the cluster; check that amq-keeper runs`,
    );
  }
  io.out(`${found}\n`);
  return 0;
}

async function forwardConsole(k: Kubectl, name: string, p: Parsed, io: Out): Promise<number> {
  const port = parsePort(String(p.flags.get('port') ?? '8161'));
  const address = String(p.flags.get('address') ?? '127.0.0.1');
  const bc = await getCluster(k, name);
  const master = bc.status?.master;
  if (!master) throw new PluginError(`no master is elected in ${name}, so no console to forward to; see kubectl amq status ${name}`);
  // The master Service's port 8161 (named console) always leads to the elected master's console.
  const args = ['port-forward', `service/${names.masterService(name)}`, `${port === 0 ? '' : port}:8161`, '--address', address];
  // With spec.tls the console speaks only https (its certificate names the Services, not 127.0.0.1).
  const scheme = bc.spec.tls ? 'https' : 'http';
  const where = port === 0 ? 'the local port kubectl prints below' : `${scheme}://${address}:${port}/admin/`;
  io.err(
    `The console of the master ${master}: ${where}. Ctrl-C stops; a forward stays with the pod it started on, so run this again after a failover.\n+ kubectl ${[...k.args(), ...args].join(' ')}\n`,
  );
  const code = await k.attached(args);
  if (code !== 0) io.err(`error: kubectl port-forward exited with ${code}: the master pod must be Running and its node reachable from the API server\n`);
  return code;
}

/** Runs one command line; the exit code. */
export async function runCommand(p: Parsed, io: Out): Promise<number> {
  if (p.help || p.command === undefined || p.command === 'help') {
    io.out(USAGE);
    return 0;
  }
  const spec = COMMANDS[p.command];
  if (!spec) throw new UsageError(`unknown command "${p.command}"`);
  for (const f of p.flags.keys()) if (!spec.flags.includes(f)) throw new UsageError(`${p.command} takes no --${f}`);
  const k = new Kubectl(p.kube);
  const [name, extra] = p.args;
  if (name === undefined) {
    const there = await clusterNames(k);
    const ns = await k.namespace();
    throw new UsageError(`${p.command} needs a cluster name (BrokerClusters in namespace "${ns}": ${there.join(', ') || 'none'})`);
  }
  if (p.args.length > spec.maxArgs)
    throw new UsageError(`${p.command} takes ${spec.maxArgs === 1 ? 'one cluster name' : 'a cluster name and a pod'}, not ${p.args.join(' ')}`);
  switch (p.command) {
    case 'status':
      return status(k, name, p, io);
    case 'switchover':
      return switchover(k, name, extra, p, io);
    case 'restart':
      return restart(k, name, p, io);
    case 'pause':
      return pause(k, name, io);
    case 'resume':
      return resume(k, name, io);
    case 'url':
      return url(k, name, p, io);
    default:
      return forwardConsole(k, name, p, io);
  }
}
