// Wires watches to the work queue: any change of a BrokerCluster or of an
// object it owns queues a reconcile of that cluster only.
import type { KubernetesObject } from '@kubernetes/client-node';
import { KIND } from '../api/group';
import type { BrokerCluster } from '../api/types';
import { Applier } from '../kube/apply';
import type { KubeClients } from '../kube/client';
import { errorMessage } from '../kube/client';
import { KubeEventRecorder, type EventRecorder } from '../kube/events';
import { Informers } from '../kube/informers';
import { StatusWriter } from '../kube/status-writer';
import { metrics, setQueueDepthSource } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import { DISTRIBUTION_CONSOLE_CREDENTIALS, type ConsoleCredentials } from '../replication/jolokia';
import { ReplicationGuard } from '../replication/replication-guard';
import { NO_ELECTION, type ElectionSource } from './election-source';
import { clusterKeyOf, keyOf } from './keys';
import { ChildReconciler } from './reconcile-children';
import { Reconciler } from './reconciler';
import { WorkQueue } from './work-queue';

export interface ControllerOptions {
  kube: KubeClients;
  log: Logger;
  /** undefined: every namespace. */
  namespaces?: readonly string[];
  concurrency?: number;
  /** Builds master tracking once the controller can queue reconciles. */
  election?: (enqueue: (namespace: string, name: string) => void, events: EventRecorder) => ElectionSource;
  /** The brokers' web console login, for the replication checks of a rolling restart. */
  console?: ConsoleCredentials;
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
          throw err;
        } finally {
          end();
        }
      },
      (key, err, retryIn) => o.log.warn('reconcile failed', { key, error: errorMessage(err), retryInMs: retryIn }),
      { concurrency: o.concurrency ?? 4 },
    );
    setQueueDepthSource(() => this.queue.depth);

    this.election = o.election ? o.election((ns, name) => this.queue.add(keyOf(ns, name)), this.events) : NO_ELECTION;
    this.reconciler = new Reconciler({
      kube: o.kube,
      cache: this.cache,
      children: new ChildReconciler(new Applier(o.kube), this.cache),
      status: new StatusWriter(o.kube),
      events: this.events,
      election: this.election,
      replication: o.election
        ? new ReplicationGuard(o.console ?? DISTRIBUTION_CONSOLE_CREDENTIALS, o.log, (ns, name) => this.queue.add(keyOf(ns, name)))
        : undefined,
      log: o.log,
    });
  }

  private onChange = (kind: string, obj: KubernetesObject): void => {
    const key = clusterKeyOf(kind, obj);
    if (key) this.queue.add(key);
  };

  async start(): Promise<void> {
    await this.cache.start(this.onChange);
    for (const c of this.cache.list<BrokerCluster>(KIND)) this.queue.add(keyOf(c.metadata.namespace ?? '', c.metadata.name ?? ''));
    this.o.log.info('controller started', { namespaces: this.o.namespaces ?? 'all' });
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
