// Runs the operator in this process against a test control plane, so tests
// can read its caches, its queue and its write counter.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Controller } from '../../src/controller/controller';
import { loadKubeConfig, makeClients, type KubeClients } from '../../src/kube/client';
import { buildOperator } from '../../src/operator';
import { parseOptions } from '../../src/options';
import { createLogger } from '../../src/observability/logger';
import type { MasterTracking } from '../../src/zk/master-tracking';
import type { OperatorPeer } from '../../src/resources/network-policies';

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
  /** Where the NetworkPolicies look for the operator's pods (this process is not one). */
  operator?: OperatorPeer;
}

export async function startOperator(kubeconfig: string, opts: StartOptions = {}): Promise<RunningOperator> {
  const log = createLogger(process.env.OPERATOR_LOG === 'text' ? 'text' : 'json', process.env.OPERATOR_LOG ? 'debug' : 'error');
  // The operator's own defaults, as --leader-elect gives them.
  const settings = opts.lease
    ? parseOptions(['--leader-elect', '--leader-elect-resource-namespace', opts.lease.namespace, '--leader-elect-resource-name', opts.lease.name], {
        POD_NAME: `test-${process.pid}`,
      }).leaderElection
    : undefined;
  const operator = buildOperator({
    kube: makeClients(loadKubeConfig(kubeconfig)),
    log,
    namespaces: opts.namespaces,
    masterTracking: opts.masterTracking ?? false,
    // The test brokers are local processes that register 127.0.0.1, not their pods' names.
    consoleTrustedHosts: ['127.0.0.1'],
    operator: opts.operator,
    leaderElection: settings && { ...settings, onLost: (reason) => log.error('leadership lost', { reason }) },
  });
  await operator.start();
  return { ...operator, settle: () => operator.controller.queue.idle() };
}

/** resourceVersion of every object, keyed kind/name. */
export function versions(objs: readonly KubernetesObject[]): Record<string, string> {
  return Object.fromEntries(objs.map((o) => [`${o.kind}/${o.metadata?.name}`, o.metadata?.resourceVersion ?? '']));
}
