import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Service } from '@kubernetes/client-node';
import { desiredState } from './desired-state';
import { failoverUrl, masterUrl } from './connection-url';
import { cluster } from '../../test/fixtures/clusters';

const none = { roles: new Map() };

test('a managed cluster owns ZooKeeper and broker objects with the design names', () => {
  const d = desiredState(cluster(), none);
  const names = d.applied.map((o) => `${o.kind}/${o.metadata?.name}`);
  assert.equal(d.masterService.metadata?.name, 'xl-master');
  assert.ok(!names.includes('Service/xl-master'), 'the master Service is applied apart, first');
  assert.ok(names.indexOf('ConfigMap/xl-broker-config') < names.indexOf('Service/xl-broker-0'), 'configuration before Services');
  for (const n of [
    'NetworkPolicy/xl-zk',
    'NetworkPolicy/xl-broker',
    'ConfigMap/xl-zk-config',
    'Service/xl-zk-hs',
    'Service/xl-zk',
    'PodDisruptionBudget/xl-zk',
    'ConfigMap/xl-broker-config',
    'Service/xl-broker-hs',
    'Service/xl-broker-0',
    'Service/xl-broker-2',
    'PodDisruptionBudget/xl-broker',
    'ConfigMap/xl-connection',
  ]) {
    assert.ok(names.includes(n), n);
  }
  assert.deepEqual(
    d.zkPods.map((p) => p.metadata?.name),
    ['xl-zk-0', 'xl-zk-1', 'xl-zk-2'],
  );
  assert.deepEqual(
    d.brokerPods.map((p) => p.metadata?.name),
    ['xl-broker-0', 'xl-broker-1', 'xl-broker-2'],
  );
  assert.deepEqual(
    d.claims.map((p) => p.metadata?.name),
    ['data-xl-zk-0', 'data-xl-zk-1', 'data-xl-zk-2', 'data-xl-broker-0', 'data-xl-broker-1', 'data-xl-broker-2'],
  );
  for (const o of [d.masterService, ...d.applied, ...d.zkPods, ...d.brokerPods]) {
    assert.equal(o.metadata?.ownerReferences?.[0]?.kind, 'BrokerCluster', `${o.metadata?.name} is owned`);
    assert.equal(o.metadata?.labels?.['amqkeeper.io/cluster'], 'xl');
    assert.equal(o.metadata?.labels?.['app.kubernetes.io/managed-by'], 'amq-keeper');
  }
  for (const claim of d.claims) assert.equal(claim.metadata?.ownerReferences, undefined, 'claims outlive the cluster by default');
});

test('an external ensemble means no ZooKeeper objects; deleteClaim makes claims owned', () => {
  const d = desiredState(cluster({ zookeeper: { external: { connectString: 'a:2181' } }, persistence: { deleteClaim: true } }), none);
  assert.equal(d.zkPods.length, 0);
  assert.ok(!d.applied.some((o) => o.metadata?.name?.startsWith('xl-zk')));
  assert.equal(d.claims.length, 3);
  for (const claim of d.claims) assert.equal(claim.metadata?.ownerReferences?.length, 1);
});

test('per-node Services and pods carry the node ports base+i', () => {
  const d = desiredState(cluster(), none);
  const svc = d.applied.find((o) => o.metadata?.name === 'xl-broker-2') as V1Service;
  assert.deepEqual(
    svc.spec?.ports?.map((p) => [p.name, p.port]),
    [
      ['openwire', 61618],
      ['console', 8163],
      ['replication', 63633],
      ['metrics', 9406],
    ],
  );
  assert.deepEqual(svc.spec?.selector, { 'amqkeeper.io/cluster': 'xl', 'amqkeeper.io/component': 'broker', 'amqkeeper.io/node': '2' });
  const pod = d.brokerPods[1];
  assert.deepEqual(
    pod?.spec?.containers[0]?.ports?.map((p) => p.containerPort),
    [61617, 8162, 63632, 9405],
  );
  const cm = d.applied.find((o) => o.metadata?.name === 'xl-broker-config') as V1ConfigMap;
  assert.deepEqual(Object.keys(cm.data ?? {}).sort(), [
    'activemq-0.xml',
    'activemq-1.xml',
    'activemq-2.xml',
    'jmx-exporter.yaml',
    'node-0.env',
    'node-1.env',
    'node-2.env',
  ]);
  assert.match(cm.data?.['node-1.env'] ?? '', /AMQ_CONSOLE_PORT=8162/);
});

test('the master Service selects only the elected node, on that node ports, and nothing without a master', () => {
  const elected = desiredState(cluster(), { masterIndex: 2, roles: new Map() }).masterService;
  assert.equal(elected.spec?.selector?.['amqkeeper.io/node'], '2');
  assert.deepEqual(
    elected.spec?.ports?.map((p) => [p.port, p.targetPort]),
    [
      [61616, 61618],
      [8161, 8163],
    ],
  );
  const nobody = desiredState(cluster(), none).masterService;
  assert.equal(nobody.spec?.selector?.['amqkeeper.io/node'], 'none');
});

test('roles become pod labels; a role change does not change the pod revision', () => {
  const a = desiredState(cluster(), { roles: new Map([['xl-broker-0', 'master' as const]]) });
  const b = desiredState(cluster(), { roles: new Map([['xl-broker-0', 'slave' as const]]) });
  assert.equal(a.brokerPods[0]?.metadata?.labels?.['amqkeeper.io/role'], 'master');
  assert.equal(a.brokerPods[1]?.metadata?.labels?.['amqkeeper.io/role'], undefined);
  assert.equal(a.brokerPods[0]?.metadata?.annotations?.['amqkeeper.io/revision'], b.brokerPods[0]?.metadata?.annotations?.['amqkeeper.io/revision']);
  const changed = desiredState(cluster({ persistence: { sync: 'quorum_disk' } }), none);
  assert.notEqual(changed.brokerPods[0]?.metadata?.annotations?.['amqkeeper.io/revision'], b.brokerPods[0]?.metadata?.annotations?.['amqkeeper.io/revision']);
});

test('the failover URL lists every node Service on its port, with the client options', () => {
  const c = cluster({ client: { useAsyncSend: true, maxReconnectAttempts: 5, redeliveryPolicy: { maximumRedeliveries: 2 } } });
  assert.equal(
    failoverUrl(c),
    'failover:(tcp://xl-broker-0.mq.svc:61616,tcp://xl-broker-1.mq.svc:61617,tcp://xl-broker-2.mq.svc:61618)' +
      '?randomize=false&maxReconnectAttempts=5&jms.useAsyncSend=true&jms.redeliveryPolicy.maximumRedeliveries=2',
  );
  assert.equal(masterUrl(c), 'tcp://xl-master.mq.svc:61616?jms.useAsyncSend=true&jms.redeliveryPolicy.maximumRedeliveries=2');
});
