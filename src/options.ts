// Command-line options of the operator.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { durationMs } from './api/cluster';
import type { LeaderElectionSettings } from './leader/lease-record';
import type { LogFormat } from './observability/logger';
import { DEFAULT_OPERATOR_POD_LABELS, type OperatorPeer } from './resources/network-policies';

export interface Options {
  kubeconfig?: string;
  namespaces?: string[];
  logFormat: LogFormat;
  logLevel: string;
  /** 0 switches the HTTP server off. */
  httpPort: number;
  concurrency: number;
  /** Track the elected master in ZooKeeper. */
  masterTracking: boolean;
  /** Where this operator's pods run, let in by the clusters' NetworkPolicies; undefined when not known (not in a pod). */
  operator?: OperatorPeer;
  /** Hosts besides a master pod's own DNS name that may receive the console login (local development). */
  consoleTrustedHosts: string[];
  /** undefined: no leader election, this process reconciles at once. */
  leaderElection?: LeaderElectionSettings;
}

export const USAGE = `amq-keeper: Kubernetes operator for ActiveMQ Classic master/slave clusters

Options:
  --kubeconfig FILE        kubeconfig to use (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --namespaces a,b         watch only these namespaces (default: all; env WATCH_NAMESPACES)
  --log-format json|text   one JSON object a line (default) or readable text
  --log-level LEVEL        error, warn, info (default) or debug
  --http-port N            port of /metrics, /healthz, /readyz (default 8080; 0 = off)
  --concurrency N          clusters reconciled at once (default 4)
  --no-master-tracking     do not watch ZooKeeper (master Service selects nothing)
  --operator-namespace NS  namespace of the operator's pods, let in by the clusters' NetworkPolicies
                           (default: env POD_NAMESPACE, else the pod's service account namespace)
  --operator-pod-labels k=v,k=v   labels that select the operator's pods in it
                           (default app.kubernetes.io/part-of=amq-keeper,app.kubernetes.io/component=operator)
  --console-trusted-hosts a,b   besides a master pod's own DNS name, the hosts a master may register
                           and still get the admin login (default none; 127.0.0.1 for brokers run
                           as local processes)
  --leader-elect           reconcile only while holding a Lease, so several copies can run
  --leader-elect-resource-name NAME       the Lease (default amq-keeper)
  --leader-elect-resource-namespace NS    its namespace (default: env POD_NAMESPACE)
  --leader-elect-lease-duration D         others wait this long for a silent leader (default 15s)
  --leader-elect-renew-deadline D         the leader gives up after failing to renew this long (default 10s)
  --leader-elect-retry-period D           between attempts to acquire or renew (default 2s)
                           durations: 500ms, 2s; identity: env POD_NAME, else host name + random suffix
  --help                   this text
`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env, podNamespace = serviceAccountNamespace): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespaces: { type: 'string' },
      'log-format': { type: 'string', default: 'json' },
      'log-level': { type: 'string', default: 'info' },
      'http-port': { type: 'string', default: '8080' },
      concurrency: { type: 'string', default: '4' },
      'no-master-tracking': { type: 'boolean', default: false },
      'operator-namespace': { type: 'string' },
      'operator-pod-labels': { type: 'string' },
      'console-trusted-hosts': { type: 'string' },
      'leader-elect': { type: 'boolean', default: false },
      'leader-elect-resource-name': { type: 'string', default: 'amq-keeper' },
      'leader-elect-resource-namespace': { type: 'string' },
      'leader-elect-lease-duration': { type: 'string', default: '15s' },
      'leader-elect-renew-deadline': { type: 'string', default: '10s' },
      'leader-elect-retry-period': { type: 'string', default: '2s' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  const format = values['log-format'];
  if (format !== 'json' && format !== 'text') throw new UsageError(`--log-format must be json or text, not "${format}"`);
  const port = Number(values['http-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--http-port must be 0-65535, not "${values['http-port']}"`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a positive integer`);
  const ns = values.namespaces ?? env.WATCH_NAMESPACES;
  const namespaces = ns
    ? ns
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  return {
    kubeconfig: values.kubeconfig,
    namespaces: namespaces && namespaces.length > 0 ? namespaces : undefined,
    logFormat: format,
    logLevel: values['log-level'] ?? 'info',
    httpPort: port,
    concurrency,
    masterTracking: !values['no-master-tracking'],
    operator: operatorPeer(values['operator-namespace'] || env.POD_NAMESPACE || podNamespace(), values['operator-pod-labels']),
    consoleTrustedHosts: (values['console-trusted-hosts'] ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== ''),
    leaderElection: values['leader-elect']
      ? leaderElection(
          {
            name: values['leader-elect-resource-name'] ?? '',
            namespace: values['leader-elect-resource-namespace'] ?? env.POD_NAMESPACE ?? '',
            leaseDuration: values['leader-elect-lease-duration'] ?? '',
            renewDeadline: values['leader-elect-renew-deadline'] ?? '',
            retryPeriod: values['leader-elect-retry-period'] ?? '',
          },
          env.POD_NAME || `${hostname()}_${randomUUID()}`,
        )
      : undefined,
  };
}

const DNS_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The namespace of the pod this process runs in, from its service account token mount; undefined outside a pod. */
export function serviceAccountNamespace(): string | undefined {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Without a namespace the policies cannot name the operator's pods: they then let in only the node's own traffic. */
function operatorPeer(namespace: string | undefined, labels: string | undefined): OperatorPeer | undefined {
  if (namespace !== undefined && !NAMESPACE.test(namespace)) throw new UsageError(`--operator-namespace must be a namespace name, not "${namespace}"`);
  const podLabels: Record<string, string> = labels === undefined ? { ...DEFAULT_OPERATOR_POD_LABELS } : {};
  for (const pair of (labels ?? '').split(',').filter((p) => p.trim() !== '')) {
    const [key = '', value = '', ...rest] = pair.trim().split('=');
    if (!pair.includes('=') || rest.length > 0 || !LABEL_KEY.test(key) || key.length > 317 || !LABEL_VALUE.test(value) || value.length > 63)
      throw new UsageError(
        `--operator-pod-labels takes key=value pairs separated by commas, such as app.kubernetes.io/component=operator; "${pair}" is not one`,
      );
    podLabels[key] = value;
  }
  if (Object.keys(podLabels).length === 0)
    throw new UsageError('--operator-pod-labels needs at least one key=value pair: no labels would let every pod of the namespace in');
  return namespace ? { namespace, podLabels } : undefined;
}

function leaderElection(
  v: { name: string; namespace: string; leaseDuration: string; renewDeadline: string; retryPeriod: string },
  identity: string,
): LeaderElectionSettings {
  if (!DNS_NAME.test(v.name)) throw new UsageError(`--leader-elect-resource-name must be a lowercase DNS name, not "${v.name}"`);
  if (!v.namespace) {
    throw new UsageError('--leader-elect needs the Lease namespace: pass --leader-elect-resource-namespace or set POD_NAMESPACE');
  }
  const ms = (flag: string, d: string): number => {
    try {
      const n = durationMs(d);
      if (n > 0) return n;
    } catch {
      // reported below
    }
    throw new UsageError(`--leader-elect-${flag} must be a positive duration such as 500ms or 15s, not "${d}"`);
  };
  const timing = {
    leaseDurationMs: ms('lease-duration', v.leaseDuration),
    renewDeadlineMs: ms('renew-deadline', v.renewDeadline),
    retryPeriodMs: ms('retry-period', v.retryPeriod),
  };
  if (timing.leaseDurationMs % 1000 !== 0)
    throw new UsageError(`--leader-elect-lease-duration must be whole seconds (a Lease stores seconds), not "${v.leaseDuration}"`);
  // The leader must give up before others may take over, with a retry to spare.
  if (timing.renewDeadlineMs >= timing.leaseDurationMs) {
    throw new UsageError(`--leader-elect-renew-deadline (${v.renewDeadline}) must be shorter than --leader-elect-lease-duration (${v.leaseDuration})`);
  }
  if (timing.retryPeriodMs * 1.2 >= timing.renewDeadlineMs) {
    throw new UsageError(
      `--leader-elect-retry-period (${v.retryPeriod}) must be well under --leader-elect-renew-deadline (${v.renewDeadline}), so a renewal can be retried`,
    );
  }
  return { ...timing, name: v.name, namespace: v.namespace, identity };
}

export class UsageError extends Error {}
