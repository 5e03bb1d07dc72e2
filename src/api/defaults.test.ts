import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDefaults } from './defaults';

test('withDefaults fills nested defaults and keeps what the user set', () => {
  const s = withDefaults({ brokerName: 'b', zookeeper: { external: { connectString: 'a:1' } }, ports: { console: 9000 } });
  assert.equal(s.replicas, 3);
  assert.deepEqual(s.ports, { openwire: 61616, console: 9000, replication: 63631 });
  assert.equal(s.zookeeper.sessionTimeout, '2s');
  assert.equal(s.persistence.sync, 'quorum_mem');
  assert.equal(s.persistence.deleteClaim, false);
  assert.equal(s.broker.schedulerSupport, false);
  assert.equal(s.client.randomize, false);
  assert.deepEqual(s.metrics, { enabled: true, port: 9404 }, 'metrics on, node i on 9404+i');
  assert.equal(s.zookeeper.replicas, undefined, 'no default may make a managed ensemble appear');
});

test('withDefaults fills defaults inside array items', () => {
  const s = withDefaults({
    brokerName: 'b',
    zookeeper: { replicas: 3 },
    broker: { schedulerSupport: true, redelivery: { destinations: [{ queue: 'q', policy: { maximumRedeliveries: 2 } }] } },
  });
  const p = s.broker.redelivery?.destinations?.[0]?.policy;
  assert.equal(p?.maximumRedeliveries, 2);
  assert.equal(p?.redeliveryDelay, 1000);
});
