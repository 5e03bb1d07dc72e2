import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from 'xmlbuilder2';
import { renderActiveMqXml } from './activemq-xml';
import { cluster } from '../../test/fixtures/clusters';

type Node = ReturnType<typeof create>;
const CORE = 'http://activemq.apache.org/schema/core';

function find(doc: Node, local: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  doc.each(
    (n) => {
      const el = n.node as unknown as { localName: string; namespaceURI: string; attributes: ArrayLike<{ name: string; value: string }> };
      if (el.localName === local && el.namespaceURI === CORE) {
        out.push(Object.fromEntries(Array.from(el.attributes).map((a) => [a.name, a.value])));
      }
    },
    false,
    true,
  );
  return out;
}

test('node i gets the seed layout: same brokerName, replication on base+i, openwire on base+i, container = pod', () => {
  const c = cluster({ zookeeper: { external: { connectString: 'zk1:2181,zk2:2181,zk3:2181' } } });
  const doc = create(renderActiveMqXml(c, 1));
  const [broker] = find(doc, 'broker');
  assert.equal(broker?.brokerName, 'xlBroker');
  assert.equal(broker?.schedulerSupport, 'false');
  const [r] = find(doc, 'replicatedLevelDB');
  assert.deepEqual(r, {
    directory: '${activemq.data}/leveldb',
    replicas: '3',
    bind: 'tcp://0.0.0.0:63632',
    zkAddress: 'zk1:2181,zk2:2181,zk3:2181',
    zkPath: '/activemq/leveldb-stores/mq/xl',
    zkSessionTimeout: '2000',
    hostname: 'xl-broker-1.xl-broker-hs.mq.svc',
    sync: 'quorum_mem',
    container: 'xl-broker-1',
    // No failover producer audit: a resend after a master's death is stored, never suppressed.
    maxFailoverProducersToTrack: '0',
  });
  const connectors = find(doc, 'transportConnector');
  assert.equal(connectors.length, 1);
  assert.match(connectors[0]?.uri ?? '', /^tcp:\/\/0\.0\.0\.0:61617\?/);
});

test('the session timeout is written in milliseconds, the one unit the broker parses unambiguously', () => {
  const c = cluster({ zookeeper: { replicas: 3, sessionTimeout: '1500ms' } });
  assert.equal(find(create(renderActiveMqXml(c, 0)), 'replicatedLevelDB')[0]?.zkSessionTimeout, '1500');
});

test('every value is escaped', () => {
  const c = cluster({ zookeeper: { replicas: 3, path: '/a&b/"c"<d>' } });
  const xml = renderActiveMqXml(c, 0);
  assert.match(xml, /zkPath="\/a&amp;b\/&quot;c&quot;&lt;d&gt;"/);
  assert.equal(find(create(xml), 'replicatedLevelDB')[0]?.zkPath, '/a&b/"c"<d>');
});

test('redelivery and dead-letter settings render as the broker expects them', () => {
  const c = cluster({
    broker: {
      schedulerSupport: true,
      redelivery: {
        defaultPolicy: { maximumRedeliveries: 2, initialRedeliveryDelay: 1500 },
        destinations: [{ queue: 'orders.>', policy: { maximumRedeliveries: 5 } }],
      },
      deadLetter: { strategy: 'individual', queuePrefix: 'DEAD.', processNonPersistent: true },
    },
  });
  const doc = create(renderActiveMqXml(c, 0));
  assert.equal(find(doc, 'broker')[0]?.schedulerSupport, 'true');
  const [plugin] = find(doc, 'redeliveryPlugin');
  assert.deepEqual(plugin, { fallbackToDeadLetter: 'true', sendToDlqIfMaxRetriesExceeded: 'true' });
  const policies = find(doc, 'redeliveryPolicy');
  assert.equal(policies.length, 2);
  assert.equal(policies[0]?.queue, 'orders.>');
  assert.equal(policies[0]?.maximumRedeliveries, '5');
  assert.equal(policies[1]?.maximumRedeliveries, '2');
  assert.equal(policies[1]?.initialRedeliveryDelay, '1500');
  const dls = find(doc, 'individualDeadLetterStrategy');
  assert.equal(dls.length, 2, 'queues and topics');
  assert.equal(dls[0]?.queuePrefix, 'DEAD.');
  assert.equal(dls[0]?.processNonPersistent, 'true');
  assert.equal(dls[0]?.processExpired, 'true');
});

test('the discard strategy drops dead letters; no deadLetter keeps the broker default', () => {
  const discard = create(renderActiveMqXml(cluster({ broker: { deadLetter: { strategy: 'discard' } } }), 0));
  assert.equal(find(discard, 'discarding').length, 2);
  const plain = create(renderActiveMqXml(cluster(), 0));
  assert.equal(find(plain, 'deadLetterStrategy').length, 0);
  assert.equal(find(plain, 'redeliveryPlugin').length, 0);
});

test('redelivery: destinations without a defaultPolicy render no defaultEntry (so fallbackToDeadLetter applies); redelivery: {} is ActiveMQ defaults for all', () => {
  const listed = create(
    renderActiveMqXml(
      cluster({
        broker: {
          schedulerSupport: true,
          redelivery: { fallbackToDeadLetter: false, destinations: [{ queue: 'orders.>', policy: { maximumRedeliveries: 2 } }] },
        },
      }),
      0,
    ),
  );
  assert.deepEqual(find(listed, 'redeliveryPlugin')[0], { fallbackToDeadLetter: 'false', sendToDlqIfMaxRetriesExceeded: 'true' });
  assert.equal(find(listed, 'defaultEntry').length, 0);
  assert.deepEqual(
    find(listed, 'redeliveryPolicy').map((p) => [p.queue, p.maximumRedeliveries]),
    [['orders.>', '2']],
  );
  const empty = create(renderActiveMqXml(cluster({ broker: { schedulerSupport: true, redelivery: {} } }), 0));
  assert.equal(find(empty, 'defaultEntry').length, 1);
  assert.deepEqual(find(empty, 'redeliveryPolicy'), [
    {
      maximumRedeliveries: '6',
      initialRedeliveryDelay: '1000',
      redeliveryDelay: '1000',
      useExponentialBackOff: 'false',
      backOffMultiplier: '5',
      maximumRedeliveryDelay: '-1',
    },
  ]);
});

test('per-destination dead-letter settings come first, each complete, then the catch-all queue and topic entries', () => {
  const c = cluster({
    broker: {
      deadLetter: {
        strategy: 'individual',
        processExpired: false,
        processNonPersistent: true,
        destinations: [
          { queue: 'orders.>', strategy: 'shared' },
          { topic: 'events.*', strategy: 'discard' },
        ],
      },
    },
  });
  const xml = renderActiveMqXml(c, 0);
  // Wildcards are escaped in the file and read back unchanged.
  assert.match(xml, /<policyEntry queue="orders\.&gt;">/);
  const doc = create(xml);
  assert.deepEqual(
    find(doc, 'policyEntry').map((e) => e.queue ?? `topic ${e.topic}`),
    ['orders.>', 'topic events.*', '>', 'topic >'],
  );
  assert.deepEqual(find(doc, 'sharedDeadLetterStrategy'), [{ processExpired: 'true', processNonPersistent: 'false', expiration: '0' }]);
  assert.equal(find(doc, 'discarding').length, 1);
  const individual = find(doc, 'individualDeadLetterStrategy');
  assert.equal(individual.length, 2, 'the catch-all queue and topic entries');
  assert.deepEqual(individual[0], {
    queuePrefix: 'DLQ.',
    topicPrefix: 'DLQ.',
    useQueueForQueueMessages: 'true',
    useQueueForTopicMessages: 'true',
    processExpired: 'false',
    processNonPersistent: 'true',
    expiration: '0',
  });
});

test('store and temp limits follow the claim size, so flow control starts before the disk is full', () => {
  const limits = (size: string) => {
    const doc = create(renderActiveMqXml(cluster({ persistence: { size } }), 0));
    return [find(doc, 'storeUsage').at(-1)?.limit, find(doc, 'tempUsage').at(-1)?.limit];
  };
  assert.deepEqual(limits('10Gi'), ['7168 mb', '1024 mb']);
  assert.deepEqual(limits('500M'), ['333 mb', '47 mb']);
  assert.deepEqual(limits('1.5Gi'), ['1075 mb', '153 mb']);
});
