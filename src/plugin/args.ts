// The command line of kubectl amq. kubectl hands a plugin every argument
// after its name and refuses flags placed before it, so --kubeconfig,
// --context and -n/--namespace arrive here and are passed on to each kubectl
// this plugin runs.

export class UsageError extends Error {}

/** What selects the cluster and namespace, as kubectl's own flags. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface Parsed {
  command?: string;
  /** Arguments after the command that are not flags. */
  args: string[];
  kube: KubeFlags;
  /** Every other flag, by its long name; true for a flag without a value. */
  flags: Map<string, string | true>;
  help: boolean;
}

/** Flags that take a value, by every spelling; the long name is the key. */
const VALUED: Record<string, string> = {
  '--kubeconfig': 'kubeconfig',
  '--context': 'context',
  '-n': 'namespace',
  '--namespace': 'namespace',
  '-o': 'output',
  '--output': 'output',
  '--port': 'port',
  '--address': 'address',
  '--timeout': 'timeout',
};
const BOOLEAN: Record<string, string> = { '--wait': 'wait', '--zookeeper': 'zookeeper', '--master': 'master', '-h': 'help', '--help': 'help' };
const SHORT_VALUED = ['-n', '-o'];

export function parseArgs(argv: readonly string[]): Parsed {
  const positional: string[] = [];
  const kube: KubeFlags = {};
  const flags = new Map<string, string | true>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq > 0 ? arg.slice(0, eq) : arg;
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    // kubectl also takes -nmq and -ojson.
    const short = SHORT_VALUED.find((s) => value === undefined && name.startsWith(s) && name.length > s.length && !name.startsWith('--'));
    if (short) {
      value = name.slice(short.length);
      name = short;
    }
    const boolean = BOOLEAN[name];
    if (boolean) {
      if (value !== undefined) throw new UsageError(`${name} takes no value`);
      if (boolean === 'help') help = true;
      else flags.set(boolean, true);
      continue;
    }
    const key = VALUED[name];
    if (!key) throw new UsageError(`unknown flag ${name}`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${name} needs a value`);
      value = next;
      i++;
    }
    if (key === 'kubeconfig' || key === 'context' || key === 'namespace') kube[key] = value;
    else flags.set(key, value);
  }
  const [command, ...args] = positional;
  return command === undefined ? { args, kube, flags, help } : { command, args, kube, flags, help };
}

/** A duration as kubectl writes them (90s, 5m, 1h, 500ms) or plain seconds, in ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new UsageError(`--timeout ${text}: write a duration such as 90s, 5m or 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return Math.round(Number(m[1]) * unit);
}

/** A local port: 0 lets kubectl choose a free one. */
export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`--port ${text}: write a port number from 0 to 65535 (0: any free port)`);
  return n;
}
