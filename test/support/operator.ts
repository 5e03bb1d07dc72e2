// Runs the operator in this process against a test control plane, so tests
// can read its caches, its queue and its write counter.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Controller } from '../../src/controller/controller';
import { loadKubeConfig, makeClients, type KubeClients } from '../../src/kube/client';
import { LeaderElector } from '../../src/leader/leader-elector';
import { parseOptions } from '../../src/options';
import { createLogger } from '../../src/observability/logger';
import { createMasterTracking, type MasterTracking } from '../../src/zk/master-tracking';

export interface RunningOperator {
  controller: Controller;
  kube: KubeClients;
  tracking?: MasterTracking;
  /** Waits until no reconcile is queued or running. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  namespaces?: string[];
  masterTracking?: boolean;
  /** Hold this Lease (namespace/name) before reconciling, as --leader-elect does. */
  lease?: { namespace: string; name: string };
}

export async function startOperator(kubeconfig: string, opts: StartOptions = {}): Promise<RunningOperator> {
  const kube = makeClients(loadKubeConfig(kubeconfig));
  const log = createLogger(process.env.OPERATOR_LOG === 'text' ? 'text' : 'json', process.env.OPERATOR_LOG ? 'debug' : 'error');
  let tracking: MasterTracking | undefined;
  const controller = new Controller({
    kube,
    log,
    namespaces: opts.namespaces,
    election: opts.masterTracking
      ? (enqueue, events) => (tracking = createMasterTracking({ kube, log, enqueue, events }))
      : undefined,
  });
  // The operator's own defaults, as --leader-elect gives them.
  const settings = opts.lease
    ? parseOptions(['--leader-elect', '--leader-elect-resource-namespace', opts.lease.namespace, '--leader-elect-resource-name', opts.lease.name], {
        POD_NAME: `test-${process.pid}`,
      }).leaderElection
    : undefined;
  const elector = settings ? new LeaderElector({ ...settings, rest: kube.rest, log, onLost: (reason) => log.error('leadership lost', { reason }) }) : undefined;
  if (elector) await elector.acquire();
  await controller.start();
  return {
    controller,
    kube,
    tracking,
    settle: () => controller.queue.idle(),
    async stop() {
      tracking?.close();
      await controller.stop();
      await elector?.release();
    },
  };
}

/** resourceVersion of every object, keyed kind/name. */
export function versions(objs: readonly KubernetesObject[]): Record<string, string> {
  return Object.fromEntries(objs.map((o) => [`${o.kind}/${o.metadata?.name}`, o.metadata?.resourceVersion ?? '']));
}
