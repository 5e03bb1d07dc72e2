// The Prometheus JMX exporter's configuration, jmx-exporter.yaml in
// <name>-broker-config: which MBeans the agent in each broker reads and the
// rules that turn their attributes into activemq_* metrics. The agent reads
// the file again when it changes, so new rules need no broker restart.
import { Document } from 'yaml';
import type { BrokerCluster } from '../api/types';
import { clusterName } from '../api/cluster';
import { deadLetterNamePattern } from './dead-letter-names';

/** The file's key in <name>-broker-config; images/broker/entrypoint.sh expects this name. */
export const JMX_EXPORTER_CONFIG_FILE = 'jmx-exporter.yaml';

type MetricType = 'GAUGE' | 'COUNTER';

/** One exporter rule; the first rule whose pattern matches an attribute decides its metric. */
export interface ExporterRule {
  /** Matched against "domain<key=value, ...><>Attribute: value". */
  pattern: string;
  /** COUNTER names get _total from the exporter. */
  name: string;
  type: MetricType;
  help: string;
  labels: Record<string, string>;
  /** Instead of the attribute's own value (a string attribute needs one). */
  value?: string;
  valueFactor?: number;
}

export interface JmxExporterConfig {
  lowercaseOutputName: boolean;
  /** Only these MBeans are read: the exporter skips the many per-connection and per-consumer ones. */
  includeObjectNames: string[];
  rules: ExporterRule[];
}

interface Attribute {
  /** The MBean it is read from. */
  on: 'broker' | 'scheduler' | 'destination';
  attribute: string;
  name: string;
  type: MetricType;
  help: string;
}

// Key order as ActiveMQ writes its ObjectNames, which is what the patterns see.
const BROKER = 'org.apache.activemq<type=Broker, brokerName=([^,]+)';
const REPLICATION = `${BROKER}, service=PersistenceAdapter, instanceName=[^,]+, view=Replication><>`;
const PREFIX = { broker: `${BROKER}><>`, scheduler: `${BROKER}, service=JobScheduler, name=JMS><>` };
// Advisory topics: one per destination and event, many and of no use to alert on.
const NOT_ADVISORY = '(?!ActiveMQ\\.Advisory\\.)';

// [MBean, attribute, metric, type, help], one row per exported attribute.
const ATTRIBUTE_ROWS: readonly (readonly [Attribute['on'], string, string, MetricType, string])[] = [
  ['broker', 'CurrentConnectionsCount', 'activemq_connections', 'GAUGE', 'Client connections open on the broker.'],
  ['broker', 'TotalProducerCount', 'activemq_producers', 'GAUGE', 'Producers attached to the broker.'],
  ['broker', 'TotalConsumerCount', 'activemq_consumers', 'GAUGE', 'Consumers attached to the broker.'],
  ['broker', 'TotalEnqueueCount', 'activemq_enqueue', 'COUNTER', 'Messages sent to the broker since it started serving.'],
  ['broker', 'TotalDequeueCount', 'activemq_dequeue', 'COUNTER', 'Messages acknowledged since the broker started serving.'],
  ['broker', 'TotalMessageCount', 'activemq_messages', 'GAUGE', 'Messages held by the broker, all destinations together.'],
  ['broker', 'MemoryPercentUsage', 'activemq_memory_usage_percent', 'GAUGE', 'Memory limit in use, percent; producers block at 100.'],
  ['broker', 'StorePercentUsage', 'activemq_store_usage_percent', 'GAUGE', 'Store limit in use, percent; persistent sends block at 100.'],
  ['broker', 'TempPercentUsage', 'activemq_temp_usage_percent', 'GAUGE', 'Temp limit in use, percent; non-persistent sends block at 100.'],
  ['broker', 'JobSchedulerStorePercentUsage', 'activemq_scheduler_store_usage_percent', 'GAUGE', 'Scheduler store limit in use, percent.'],
  ['scheduler', 'ScheduledMessageCount', 'activemq_scheduler_jobs', 'GAUGE', 'Scheduler jobs (delayed messages, broker redeliveries); a failover drops them.'],
  ['scheduler', 'DelayedMessageCount', 'activemq_scheduler_delayed_messages', 'GAUGE', 'Delayed messages in the scheduler store.'],
  ['destination', 'QueueSize', 'activemq_destination_queue_size', 'GAUGE', 'Messages waiting in the destination.'],
  ['destination', 'EnqueueCount', 'activemq_destination_enqueue', 'COUNTER', 'Messages sent to the destination.'],
  ['destination', 'DequeueCount', 'activemq_destination_dequeue', 'COUNTER', 'Messages acknowledged from the destination.'],
  ['destination', 'DispatchCount', 'activemq_destination_dispatch', 'COUNTER', 'Messages handed to consumers (redeliveries included).'],
  ['destination', 'ExpiredCount', 'activemq_destination_expired', 'COUNTER', 'Messages whose time to live ran out.'],
  ['destination', 'InFlightCount', 'activemq_destination_inflight', 'GAUGE', 'Messages dispatched and not yet acknowledged.'],
  ['destination', 'ConsumerCount', 'activemq_destination_consumers', 'GAUGE', 'Consumers of the destination.'],
  ['destination', 'ProducerCount', 'activemq_destination_producers', 'GAUGE', 'Producers sending to the destination.'],
];
const ATTRIBUTES: Attribute[] = ATTRIBUTE_ROWS.map(([on, attribute, name, type, help]) => ({ on, attribute, name, type, help }));

const BROKER_LABELS = { brokerName: '$1' };

function attributeRule(prefix: string, a: Attribute, labels: Record<string, string>): ExporterRule {
  // ": " ends the attribute name, so EnqueueCount never matches EnqueueCountX.
  return { pattern: `${prefix}${a.attribute}: `, name: a.name, type: a.type, help: a.help, labels };
}

/** The broker's and the job scheduler's attributes: one MBean each per broker. */
function brokerRules(): ExporterRule[] {
  return ATTRIBUTES.flatMap((a) => (a.on === 'destination' ? [] : [attributeRule(PREFIX[a.on], a, BROKER_LABELS)]));
}

/** Per queue and topic; a dead-letter destination's rule comes first, the exporter takes the first match. */
function destinationRules(deadLetter: string): ExporterRule[] {
  const kinds = [
    ['Queue', 'queue'],
    ['Topic', 'topic'],
  ] as const;
  const classes = [
    { names: deadLetter, dead: 'true' },
    { names: `${NOT_ADVISORY}[^,]+`, dead: 'false' },
  ];
  return ATTRIBUTES.filter((a) => a.on === 'destination').flatMap((a) =>
    kinds.flatMap(([bean, type]) =>
      classes.map(({ names, dead }) =>
        attributeRule(`${BROKER}, destinationType=${bean}, destinationName=(${names})><>`, a, { ...BROKER_LABELS, destination: '$2', type, dead_letter: dead }),
      ),
    ),
  );
}

/**
 * The replicated LevelDB store's view, registered before the store waits for
 * an election, so a slave has it too (its broker has no destinations: it waits
 * inside the store's start). Role and status are strings, read from the value.
 */
function replicationRules(): ExporterRule[] {
  const rule = (pattern: string, name: string, help: string, extra: Partial<ExporterRule> = {}): ExporterRule => ({
    pattern: `${REPLICATION}${pattern}`,
    name,
    type: 'GAUGE',
    help,
    labels: BROKER_LABELS,
    ...extra,
  });
  const attachedHelp = 'On the master: slaves attached and caught up (0 on a node that is not master).';
  const slaveHelp = 'On a slave: 1 while attached to the master and caught up, else 0.';
  return [
    rule(
      'NodeRole: (\\w+)',
      'activemq_replication_role',
      'The node\'s role in its replication group: 1 for the role in the "role" label (master, slave or electing).',
      { value: '1', labels: { ...BROKER_LABELS, role: '$2' } },
    ),
    rule(
      'Position: ',
      'activemq_replication_position',
      'Position in the replication log (bytes written since the store was created); a slave behind the master has a lower one.',
    ),
    rule('PositionDate: ', 'activemq_replication_position_time_seconds', 'When the last entry was added to the replication log, seconds since the epoch.', {
      valueFactor: 0.001,
    }),
    rule('Replicas: ', 'activemq_replication_replicas', 'Nodes of the replication group as configured (the quorum is replicas/2+1).'),
    // The master's status reads "[N slave nodes attaching. ][M slave nodes attached. ]".
    rule('Status: (?:\\d+ slave nodes attaching\\. )?(\\d+) slave nodes attached\\. $', 'activemq_replication_slaves_attached', attachedHelp, { value: '$2' }),
    rule('Status: (?:\\d+ slave nodes attaching\\. )?$', 'activemq_replication_slaves_attached', attachedHelp, { value: '0' }),
    rule('Status: Attached$', 'activemq_replication_attached', slaveHelp, { value: '1' }),
    rule('Status: ', 'activemq_replication_attached', slaveHelp, { value: '0' }),
  ];
}

/** The exporter configuration of a cluster's brokers (the same for every node). */
export function jmxExporterConfig(c: BrokerCluster): JmxExporterConfig {
  const broker = 'org.apache.activemq:type=Broker,brokerName=*';
  return {
    lowercaseOutputName: true,
    includeObjectNames: [
      broker,
      `${broker},destinationType=Queue,destinationName=*`,
      `${broker},destinationType=Topic,destinationName=*`,
      `${broker},service=JobScheduler,name=JMS`,
      `${broker},service=PersistenceAdapter,instanceName=*,view=Replication`,
    ],
    rules: [...brokerRules(), ...destinationRules(deadLetterNamePattern(c)), ...replicationRules()],
  };
}

/** jmx-exporter.yaml as the agent reads it. */
export function renderJmxExporterConfig(c: BrokerCluster): string {
  // No anchors for the labels the rules share: the file is read by people too.
  const doc = new Document(jmxExporterConfig(c), { aliasDuplicateObjects: false });
  doc.commentBefore = ` Rendered by amq-keeper for the brokers of ${clusterName(c)}; edit the BrokerCluster, not this file. `;
  return doc.toString({ lineWidth: 0 });
}
