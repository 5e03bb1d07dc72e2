// Command-line options of the operator.
import { parseArgs } from 'node:util';
import type { LogFormat } from './observability/logger';

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
  --help                   this text
`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options {
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
  const namespaces = ns ? ns.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  return {
    kubeconfig: values.kubeconfig,
    namespaces: namespaces && namespaces.length > 0 ? namespaces : undefined,
    logFormat: format,
    logLevel: values['log-level'] ?? 'info',
    httpPort: port,
    concurrency,
    masterTracking: !values['no-master-tracking'],
  };
}

export class UsageError extends Error {}
