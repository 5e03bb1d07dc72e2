import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster } from '../../test/fixtures/clusters';
import type { BrokerCluster } from '../api/types';
import { setClusterSource } from './cluster-gauges';
import { registry } from './metrics';

const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();

async function value(name: string, clusterName: string): Promise<number | undefined> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => v.labels.cluster === clusterName)?.value;
}

test('per-cluster gauges come from the cached statuses at scrape time, and a cluster gone is gone from them', async () => {
  const healthy: BrokerCluster = {
    ...cluster({}, 'ok'),
    status: {
      master: 'ok-broker-1',
      readyReplicas: 3,
      conditions: [{ type: 'ReplicasInSync', status: 'True', reason: 'InSync', message: '', lastTransitionTime: ago(60) }],
    },
  };
  const down: BrokerCluster = {
    ...cluster({}, 'down'),
    status: {
      masterLostAt: ago(40),
      readyReplicas: 1,
      electionStall: { since: ago(40) },
      lostPods: [{ pod: 'down-broker-2', node: 'n', action: 'Waiting' }],
      conditions: [{ type: 'ReplicasInSync', status: 'False', reason: 'NoMaster', message: '', lastTransitionTime: ago(30) }],
    },
  };
  let clusters = [healthy, down];
  setClusterSource(() => clusters);
  assert.equal(await value('amqkeeper_cluster_master_elected', 'ok'), 1);
  assert.equal(await value('amqkeeper_cluster_no_master_seconds', 'ok'), 0);
  assert.equal(await value('amqkeeper_cluster_replicas_in_sync', 'ok'), 1);
  assert.equal(await value('amqkeeper_cluster_master_elected', 'down'), 0);
  const noMaster = (await value('amqkeeper_cluster_no_master_seconds', 'down')) ?? 0;
  assert.ok(noMaster >= 40 && noMaster < 45, `no master for ${noMaster} s`);
  const behind = (await value('amqkeeper_cluster_replicas_not_in_sync_seconds', 'down')) ?? 0;
  assert.ok(behind >= 30 && behind < 35, `not in sync for ${behind} s`);
  assert.equal(await value('amqkeeper_cluster_election_stalled', 'down'), 1);
  assert.equal(await value('amqkeeper_cluster_lost_pods', 'down'), 1);
  assert.equal(await value('amqkeeper_cluster_ready_brokers', 'down'), 1);
  assert.equal(await value('amqkeeper_cluster_brokers', 'down'), 3);
  clusters = [healthy];
  assert.equal(await value('amqkeeper_cluster_master_elected', 'down'), undefined, 'deleted clusters leave no series behind');
});
