// Per-cluster health as gauges, read from the cached BrokerClusters at scrape
// time (never stale, nothing to clean up when a cluster goes): what a person
// alerts on without scraping the brokers. A cluster's own status is the
// source, so the figures agree with `kubectl get bc -o yaml`.
import { Gauge } from 'prom-client';
import type { BrokerCluster } from '../api/types';
import { registry } from './metrics';

let source: () => readonly BrokerCluster[] = () => [];
/** The controller tells the gauges where its cached clusters are. */
export function setClusterSource(f: () => readonly BrokerCluster[]): void {
  source = f;
}

type Figure = (c: BrokerCluster, now: number) => number;

const since = (t: string | undefined, now: number): number => (t ? Math.max(0, (now - new Date(t).getTime()) / 1000) : 0);
const condition = (c: BrokerCluster, type: string) => c.status?.conditions?.find((x) => x.type === type);

function gauge(name: string, help: string, figure: Figure): Gauge {
  return new Gauge({
    name,
    help,
    labelNames: ['namespace', 'cluster'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const c of source()) this.set({ namespace: c.metadata.namespace ?? '', cluster: c.metadata.name ?? '' }, figure(c, now));
    },
  });
}

export const clusterGauges = [
  gauge('amqkeeper_cluster_master_elected', '1 while a master is elected and serves, per cluster.', (c) => (c.status?.master ? 1 : 0)),
  gauge('amqkeeper_cluster_no_master_seconds', 'Seconds since the cluster lost its master; 0 while one serves.', (c, now) =>
    c.status?.master ? 0 : since(c.status?.masterLostAt, now),
  ),
  gauge('amqkeeper_cluster_replicas_in_sync', '1 while every slave has acknowledged a checkpoint (ReplicasInSync=True).', (c) =>
    condition(c, 'ReplicasInSync')?.status === 'True' ? 1 : 0,
  ),
  gauge('amqkeeper_cluster_replicas_not_in_sync_seconds', 'Seconds since ReplicasInSync turned False; 0 while True.', (c, now) => {
    const cond = condition(c, 'ReplicasInSync');
    return cond && cond.status !== 'True' ? since(cond.lastTransitionTime, now) : 0;
  }),
  gauge('amqkeeper_cluster_ready_brokers', 'Broker pods Ready (the master serving, slaves attached).', (c) => c.status?.readyReplicas ?? 0),
  gauge('amqkeeper_cluster_brokers', 'Broker nodes wanted (spec.replicas).', (c) => c.spec.replicas),
  gauge('amqkeeper_cluster_election_stalled', '1 while a stalled election is being healed (status.electionStall).', (c) => (c.status?.electionStall ? 1 : 0)),
  gauge('amqkeeper_cluster_lost_pods', 'Pods on lost nodes (status.lostPods).', (c) => c.status?.lostPods?.length ?? 0),
];
