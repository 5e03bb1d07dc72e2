#!/usr/bin/env node
// Entry point: parse options, connect, start the controller, stop cleanly on SIGTERM.
import { loadKubeConfig, makeClients } from './kube/client';
import { Controller } from './controller/controller';
import { createLogger } from './observability/logger';
import { startDefaultMetrics } from './observability/metrics';
import { startHttpServer } from './observability/http-server';
import { parseOptions, UsageError, USAGE, type Options } from './options';
import { createMasterTracking } from './zk/master-tracking';

async function run(opts: Options): Promise<void> {
  const log = createLogger(opts.logFormat, opts.logLevel);
  const kube = makeClients(loadKubeConfig(opts.kubeconfig));
  const controller = new Controller({
    kube,
    log,
    namespaces: opts.namespaces,
    concurrency: opts.concurrency,
    election: opts.masterTracking ? (enqueue, events) => createMasterTracking({ kube, log, enqueue, events }) : undefined,
  });
  let started = false;
  startDefaultMetrics();
  const server = opts.httpPort > 0 ? await startHttpServer(opts.httpPort, () => started) : undefined;
  await controller.start();
  started = true;
  const shutdown = (signal: string) => {
    log.info('stopping', { signal });
    server?.close();
    controller
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // kill -HUP: reconcile every cluster now, as the periodic resync would.
  process.on('SIGHUP', () => {
    log.info('resync requested');
    controller.resyncAll();
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
    process.stderr.write(`amq-keeper failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}

main();
