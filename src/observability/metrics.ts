// Prometheus metrics of the operator, served on /metrics of --http-port.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();

let queueDepthSource: () => number = () => 0;
/** The controller tells the metric where its queue is. */
export function setQueueDepthSource(f: () => number): void {
  queueDepthSource = f;
}

export const metrics = {
  writes: new Counter({
    name: 'amqkeeper_kube_writes_total',
    help: 'Writes to the Kubernetes API by verb and kind.',
    labelNames: ['verb', 'kind'] as const,
    registers: [registry],
  }),
  reconciles: new Counter({
    name: 'amqkeeper_reconciles_total',
    help: 'Reconciles by result.',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  reconcileErrors: new Counter({
    name: 'amqkeeper_reconcile_errors_total',
    help: 'Failed reconciles by reason: the API status reason (Conflict, Forbidden, ...), or the error kind.',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  reconcileSeconds: new Histogram({
    name: 'amqkeeper_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  failovers: new Counter({
    name: 'amqkeeper_failovers_total',
    help: 'Changes of elected master seen in ZooKeeper.',
    labelNames: ['namespace', 'cluster'] as const,
    registers: [registry],
  }),
  electionStalls: new Counter({
    name: 'amqkeeper_election_stalls_total',
    help: 'Elections found stalled (a quorum registered, no master past electionStallTimeout) and healed by restarting brokers.',
    labelNames: ['namespace', 'cluster'] as const,
    registers: [registry],
  }),
  masterSwitchSeconds: new Histogram({
    name: 'amqkeeper_master_switch_seconds',
    help: 'Time from a ZooKeeper change to the master Service being updated.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  }),
  checkpoints: new Counter({
    name: 'amqkeeper_replication_checkpoints_total',
    help: 'Checkpoint writes made through the master console, by result.',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  queueDepth: new Gauge({
    name: 'amqkeeper_queue_depth',
    help: 'Clusters queued or being reconciled.',
    registers: [registry],
    collect() {
      this.set(queueDepthSource());
    },
  }),
  leader: new Gauge({
    name: 'amqkeeper_leader',
    help: '1 while this process holds the leader election lease (or runs without leader election).',
    registers: [registry],
  }),
  zkConnected: new Gauge({
    name: 'amqkeeper_zookeeper_connected',
    help: '1 while the operator has a ZooKeeper session for the ensemble.',
    labelNames: ['ensemble'] as const,
    registers: [registry],
  }),
};

export function startDefaultMetrics(): void {
  collectDefaultMetrics({ register: registry });
}

/** Total writes so far, for benchmarks and tests. */
export async function totalWrites(): Promise<number> {
  const m = await metrics.writes.get();
  return m.values.reduce((sum, v) => sum + v.value, 0);
}
