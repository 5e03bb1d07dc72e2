// Wires watches to the work queue: any change of a BrokerCluster or of an
// object it owns queues a reconcile of that cluster only.
import type { KubernetesObject } from '@kubernetes/client-node';
import { KIND } from '../api/group';
import type { BrokerCluster } from '../api/types';
import { Applier } from '../kube/apply';
import type { KubeClients } from '../kube/client';
import { errorMessage, errorReason } from '../kube/client';
import { KubeEventRecorder, type EventRecorder } from '../kube/events';
import { Informers } from '../kube/informers';
import { StatusWriter } from '../kube/status-writer';
import { metrics, setQueueDepthSource } from '../observability/metrics';
import { setClusterSource } from '../observability/cluster-gauges';
import type { Logger } from '../observability/logger';
import { ReplicationGuard } from '../replication/replication-guard';
import { readGroupDigest } from '../zk/group-digest';
import { zkConnectString, zkPath } from '../api/cluster';
import type { OperatorPeer } from '../resources/network-policies';
import { NO_ELECTION, type ElectionSource } from '../model/election';
import { clusterKeyOf, keyOf } from '../model/cluster-key';
import { Reconciler } from './reconciler';
import { WorkQueue } from './work-queue';

export interface ControllerOptions {
  kube: KubeClients;
  log: Logger;
  /** undefined: every namespace. */
  namespaces?: readonly string[];
  concurrency?: number;
  /**
   * Builds master tracking once the controller can queue reconciles. Without
   * it no master is known, so the master Service selects nobody, and there is
   * no replication check either: rolls then go by pod readiness alone.
   */
  election?: (enqueue: (namespace: string, name: string) => void) => ElectionSource;
  /** Hosts besides a master pod's own DNS name that may receive the console login. */
  consoleTrustedHosts?: readonly string[];
  /** Where the operator's pods run, let in by the clusters' NetworkPolicies; undefined when not known. */
  operator?: OperatorPeer;
  now?: () => Date;
}

export class Controller {
  readonly cache: Informers;
  readonly queue: WorkQueue;
  readonly events: EventRecorder;
  private readonly reconciler: Reconciler;
  readonly election: ElectionSource;

  constructor(private readonly o: ControllerOptions) {
    this.cache = new Informers(o.kube, o.namespaces, o.log);
    this.events = new KubeEventRecorder(o.kube, o.log);
    this.queue = new WorkQueue(
      async (key) => {
        const end = metrics.reconcileSeconds.startTimer();
        try {
          o.log.debug('reconcile', { key });
          const out = await this.reconciler.reconcile(key);
          o.log.debug('reconciled', { key, requeueAfterMs: out.requeueAfterMs });
          metrics.reconciles.inc({ result: 'ok' });
          return out;
        } catch (err) {
          metrics.reconciles.inc({ result: 'error' });
          metrics.reconcileErrors.inc({ reason: errorReason(err) });
          throw err;
        } finally {
          end();
        }
      },
      (key, err, retryIn) => o.log.warn('reconcile failed', { key, error: errorMessage(err), retryInMs: retryIn }),
      { concurrency: o.concurrency ?? 4 },
    );
    setQueueDepthSource(() => this.queue.depth);
    setClusterSource(() => this.cache.list<BrokerCluster>(KIND));

    const enqueue = (ns: string, name: string) => this.queue.add(keyOf(ns, name));
    this.election = o.election ? o.election(enqueue) : NO_ELECTION;
    this.reconciler = new Reconciler({
      kube: o.kube,
      cache: this.cache,
      applier: new Applier(o.kube),
      status: new StatusWriter(o.kube),
      events: this.events,
      election: this.election,
      // The check needs the elected master: only with master tracking.
      replication: o.election ? new ReplicationGuard(new Set(o.consoleTrustedHosts ?? []), o.log, enqueue) : undefined,
      groupDigest: o.election ? (c, password) => readGroupDigest(zkConnectString(c), zkPath(c), password) : undefined,
      log: o.log,
      operator: o.operator,
      now: o.now ?? (() => new Date()),
    });
  }

  private onChange = (kind: string, obj: KubernetesObject): void => {
    const key = clusterKeyOf(kind, obj);
    if (key) this.queue.add(key);
  };

  async start(): Promise<void> {
    await this.cache.start(this.onChange);
    for (const c of this.cache.list<BrokerCluster>(KIND)) this.queue.add(keyOf(c.metadata.namespace ?? '', c.metadata.name ?? ''));
    const op = this.o.operator;
    this.o.log.info('controller started', {
      namespaces: this.o.namespaces ?? 'all',
      // Who the NetworkPolicies let reach ZooKeeper and the consoles as the operator.
      operatorPods: op
        ? `${op.namespace}/${Object.entries(op.podLabels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`
        : 'unknown (not in a pod): only the node itself',
    });
  }

  /** Queues every cluster again, as a periodic resync would. */
  resyncAll(): void {
    for (const c of this.cache.list<BrokerCluster>(KIND)) this.queue.add(keyOf(c.metadata.namespace ?? '', c.metadata.name ?? ''));
  }

  async stop(): Promise<void> {
    this.queue.stop();
    await this.cache.stop();
  }
}
