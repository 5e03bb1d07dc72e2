import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { V1ConfigMap, V1Pod, V1Service } from '@kubernetes/client-node';
import { type ExporterRule, JMX_EXPORTER_CONFIG_FILE, jmxExporterConfig, renderJmxExporterConfig } from './jmx-exporter-config';
import { deadLetterNamePattern } from './dead-letter-names';
import { desiredState } from './desired-state';
import { cluster } from '../../test/fixtures/clusters';

/**
 * What the exporter makes of one attribute: the first rule whose pattern
 * matches "domain<key=value, ...><>Attribute: value" (unanchored, as the
 * exporter wraps it), with $n replaced in name and labels.
 */
function exported(rules: ExporterRule[], input: string): { name: string; labels: Record<string, string>; value?: string } | undefined {
  for (const r of rules) {
    const m = new RegExp(`^.*(?:${r.pattern}).*$`).exec(input);
    if (!m) continue;
    const sub = (s: string) => s.replace(/\$(\d+)/g, (_, n: string) => m[Number(n)] ?? '');
    const labels = Object.fromEntries(Object.entries(r.labels).map(([k, v]) => [k, sub(v)]));
    return { name: sub(r.name), labels, ...(r.value === undefined ? {} : { value: sub(r.value) }) };
  }
  return undefined;
}

const destination = (type: 'Queue' | 'Topic', name: string, attribute: string, value = 3) =>
  `org.apache.activemq<type=Broker, brokerName=xlBroker, destinationType=${type}, destinationName=${name}><>${attribute}: ${value}`;
const replication = (attribute: string, value: string) =>
  `org.apache.activemq<type=Broker, brokerName=xlBroker, service=PersistenceAdapter, instanceName=LevelDB[/var/lib/activemq/leveldb], view=Replication><>${attribute}: ${value}`;

const seed = cluster({ broker: { deadLetter: { strategy: 'individual', queuePrefix: 'DLQ.', topicPrefix: 'DLT.', useQueueForTopicMessages: false } } });

test('dead-letter names: ActiveMQ.DLQ always, and the prefix of every individual strategy, per kind for an entry', () => {
  const matches = (c: typeof seed, name: string) => new RegExp(`^(?:${deadLetterNamePattern(c)})$`).test(name);
  assert.ok(matches(seed, 'DLQ.orders'));
  assert.ok(matches(seed, 'DLT.prices'));
  assert.ok(matches(seed, 'ActiveMQ.DLQ'));
  assert.ok(!matches(seed, 'orders'));
  assert.ok(!matches(seed, 'DLQxorders'), 'the prefix is literal');
  const byEntry = cluster({
    broker: {
      deadLetter: {
        strategy: 'discard',
        destinations: [
          { queue: 'orders.>', strategy: 'individual', queuePrefix: 'DEAD-', topicPrefix: 'unused.' },
          { queue: 'billing', strategy: 'shared' },
        ],
      },
    },
  });
  assert.ok(matches(byEntry, 'DEAD-orders.eu'));
  assert.ok(!matches(byEntry, 'unused.x'), "a queue entry's topic prefix makes no dead-letter queue");
  assert.ok(!matches(byEntry, 'DLQ.orders'), 'the top-level discard strategy makes none');
  assert.ok(matches(cluster(), 'ActiveMQ.DLQ'), "no deadLetter: the broker's shared default");
});

test('destination metrics: dead-letter destinations are marked, advisory topics left out, the type label lowercase', () => {
  const { rules } = jmxExporterConfig(seed);
  assert.deepEqual(exported(rules, destination('Queue', 'DLQ.orders', 'QueueSize')), {
    name: 'activemq_destination_queue_size',
    labels: { brokerName: 'xlBroker', destination: 'DLQ.orders', type: 'queue', dead_letter: 'true' },
  });
  assert.deepEqual(exported(rules, destination('Queue', 'orders', 'EnqueueCount'))?.labels, {
    brokerName: 'xlBroker',
    destination: 'orders',
    type: 'queue',
    dead_letter: 'false',
  });
  assert.equal(exported(rules, destination('Topic', 'DLT.prices', 'DequeueCount'))?.labels.dead_letter, 'true');
  assert.equal(exported(rules, destination('Topic', 'prices', 'InFlightCount'))?.name, 'activemq_destination_inflight');
  assert.equal(exported(rules, destination('Topic', 'ActiveMQ.Advisory.Connection', 'EnqueueCount')), undefined);
  assert.equal(exported(rules, destination('Queue', 'orders', 'MaxPageSize')), undefined, 'attributes without a rule are not exported');
  assert.equal(exported(rules, destination('Queue', 'orders', 'MemoryPercentUsage')), undefined, 'no broker rule takes a destination attribute');
});

test('broker, scheduler and replicated-store metrics, with the string attributes read from their value', () => {
  const { rules } = jmxExporterConfig(seed);
  const broker = (attribute: string) => exported(rules, `org.apache.activemq<type=Broker, brokerName=xlBroker><>${attribute}: 7`);
  assert.deepEqual(broker('TotalEnqueueCount'), { name: 'activemq_enqueue', labels: { brokerName: 'xlBroker' } });
  assert.equal(broker('StorePercentUsage')?.name, 'activemq_store_usage_percent');
  const scheduler = `org.apache.activemq<type=Broker, brokerName=xlBroker, service=JobScheduler, name=JMS><>ScheduledMessageCount: 2`;
  assert.equal(exported(rules, scheduler)?.name, 'activemq_scheduler_jobs');

  assert.deepEqual(exported(rules, replication('NodeRole', 'slave')), {
    name: 'activemq_replication_role',
    labels: { brokerName: 'xlBroker', role: 'slave' },
    value: '1',
  });
  assert.equal(exported(rules, replication('Position', '4511'))?.name, 'activemq_replication_position');
  assert.equal(exported(rules, replication('PositionDate', '1796044837181'))?.name, 'activemq_replication_position_time_seconds');
  const status = (s: string) => {
    const e = exported(rules, replication('Status', s));
    return [e?.name, e?.value];
  };
  assert.deepEqual(status('2 slave nodes attached. '), ['activemq_replication_slaves_attached', '2']);
  assert.deepEqual(status('1 slave nodes attaching. 1 slave nodes attached. '), ['activemq_replication_slaves_attached', '1']);
  assert.deepEqual(status('2 slave nodes attaching. '), ['activemq_replication_slaves_attached', '0']);
  assert.deepEqual(status(''), ['activemq_replication_slaves_attached', '0']);
  assert.deepEqual(status('Attached'), ['activemq_replication_attached', '1']);
  assert.deepEqual(status('Attaching to master: tcp://10.88.0.5:63631'), ['activemq_replication_attached', '0']);
});

test('every metric name is lowercase with the activemq_ prefix, and counters are named without _total (the exporter adds it)', () => {
  for (const r of jmxExporterConfig(seed).rules) {
    assert.match(r.name, /^activemq_[a-z_]+$/, r.name);
    assert.ok(!r.name.endsWith('_total'), r.name);
    assert.ok(r.help.length > 0, `${r.name} has help`);
  }
});

test('jmx-exporter.yaml is the configuration as YAML, without anchors', () => {
  const text = renderJmxExporterConfig(seed);
  assert.deepEqual(parse(text), jmxExporterConfig(seed));
  assert.doesNotMatch(text, /[&*]a\d/);
});

test('metrics on by default: per-node port base+i in the env, the pod and its Service, and the rules in the ConfigMap; off removes all of it', () => {
  const none = { roles: new Map() };
  const on = desiredState(cluster(), none);
  const cm = (d: typeof on) => d.applied.find((o) => o.metadata?.name === 'xl-broker-config') as V1ConfigMap;
  const svc = (d: typeof on) => d.applied.find((o) => o.metadata?.name === 'xl-broker-2') as V1Service;
  const metricsPort = (p: V1Pod | undefined) => p?.spec?.containers[0]?.ports?.find((x) => x.name === 'metrics')?.containerPort;
  assert.match(cm(on).data?.['node-2.env'] ?? '', /^AMQ_METRICS_PORT=9406$/m);
  assert.ok(cm(on).data?.[JMX_EXPORTER_CONFIG_FILE]);
  assert.equal(metricsPort(on.brokerPods[1]), 9405);
  assert.deepEqual(
    svc(on).spec?.ports?.find((p) => p.name === 'metrics'),
    { name: 'metrics', port: 9406, targetPort: 9406 },
  );

  const off = desiredState(cluster({ metrics: { enabled: false } }), none);
  assert.doesNotMatch(cm(off).data?.['node-2.env'] ?? '', /AMQ_METRICS_PORT/);
  assert.equal(cm(off).data?.[JMX_EXPORTER_CONFIG_FILE], undefined);
  assert.equal(metricsPort(off.brokerPods[1]), undefined);
  assert.equal(
    svc(off).spec?.ports?.find((p) => p.name === 'metrics'),
    undefined,
  );
  assert.notEqual(off.brokerPods[0]?.metadata?.annotations?.['amqkeeper.io/revision'], on.brokerPods[0]?.metadata?.annotations?.['amqkeeper.io/revision']);
});
