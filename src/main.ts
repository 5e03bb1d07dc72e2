#!/usr/bin/env node
// Entry point: parse options, connect, start the controller, stop cleanly on SIGTERM.
import { loadKubeConfig, makeClients } from './kube/client';
import { createLogger } from './observability/logger';
import { startDefaultMetrics } from './observability/metrics';
import { startHttpServer } from './observability/http-server';
import { buildOperator } from './operator';
import { parseOptions, UsageError, USAGE, type Options } from './options';

async function run(opts: Options): Promise<void> {
  const log = createLogger(opts.logFormat, opts.logLevel);
  const operator = buildOperator({
    kube: makeClients(loadKubeConfig(opts.kubeconfig)),
    log,
    namespaces: opts.namespaces,
    concurrency: opts.concurrency,
    masterTracking: opts.masterTracking,
    operator: opts.operator,
    consoleTrustedHosts: opts.consoleTrustedHosts,
    leaderElection: opts.leaderElection && {
      ...opts.leaderElection,
      // As controller-runtime does: exit at once, before this copy can act on
      // stale leadership; the Deployment restarts it as a candidate.
      onLost: (reason) => {
        log.error('leadership lost, exiting', { reason });
        process.exit(1);
      },
    },
  });
  startDefaultMetrics();
  const elector = operator.elector;
  let started = false;
  // A candidate waiting for the lease is ready: a rolling update must be able
  // to start the new pod while the old one still leads.
  const server = opts.httpPort > 0 ? await startHttpServer(opts.httpPort, () => started || (elector !== undefined && !elector.isLeader)) : undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    server?.close();
    operator
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  if (!(await operator.start())) return;
  started = true;
  // kill -HUP: reconcile every cluster now, as the periodic resync would.
  process.on('SIGHUP', () => {
    log.info('resync requested');
    operator.controller.resyncAll();
  });
}

function main(): void {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write((msg ? `error: ${msg}\n\n` : '') + USAGE);
    process.exit(err instanceof UsageError && !msg ? 0 : 2);
  }
  run(opts).catch((err: unknown) => {
    process.stderr.write(`amq-keeper failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

main();
