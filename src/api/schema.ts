// The BrokerCluster OpenAPI schema, written once. The CRD in crds/ is generated
// from it (hack/gen-crd.ts) and the TypeScript types in types.ts are inferred
// from it, so the two cannot drift.
import { MAX_BROKERS } from '../metadata/names';

const port = (name: string, seed: number, what: string) =>
  ({
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    default: seed,
    description:
      `Base ${what} port. Node i listens on ${name} base+i (the seed's ${seed}, ${seed + 1}, ${seed + 2} ` +
      `for three nodes); the range base..base+replicas-1 must not overlap the other port ranges.`,
  }) as const;

const preserved = (description: string) => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description }) as const;

const durationPattern = '^[0-9]+(ms|s)$';

const redeliveryPolicy = {
  type: 'object',
  description:
    'A broker-side redelivery policy (a redeliveryPolicy of the redeliveryPlugin in activemq.xml): when a consumer ' +
    'gives a message up (poison ack), the broker sends it again after a delay, up to maximumRedeliveries times, then ' +
    'to the dead-letter queue.',
  properties: {
    maximumRedeliveries: {
      type: 'integer',
      minimum: -1,
      default: 6,
      description:
        'Broker redeliveries before the message goes to the dead-letter queue (the message is delivered ' +
        'maximumRedeliveries+1 times when spec.client.redeliveryPolicy.maximumRedeliveries is 0); -1 means unlimited.',
    },
    initialRedeliveryDelay: {
      type: 'integer',
      minimum: 1000,
      default: 1000,
      description: 'Milliseconds before the first redelivery. The broker refuses values below 1000.',
    },
    redeliveryDelay: {
      type: 'integer',
      minimum: 1000,
      default: 1000,
      description: 'Milliseconds between later redeliveries. The broker refuses values below 1000.',
    },
    useExponentialBackOff: {
      type: 'boolean',
      default: false,
      description:
        'Multiply the delay by backOffMultiplier after each redelivery (initialRedeliveryDelay, then ' +
        'redeliveryDelay*backOffMultiplier, then that times backOffMultiplier, ...).',
    },
    backOffMultiplier: {
      type: 'number',
      minimum: 1,
      default: 5,
      description: 'Factor applied to the delay when useExponentialBackOff is true.',
    },
    maximumRedeliveryDelay: {
      type: 'integer',
      minimum: -1,
      default: -1,
      description: 'Upper bound in milliseconds for the exponential delay; -1 means no bound.',
    },
  },
} as const;

const destinationPattern = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: '^[A-Za-z0-9._>*-]+$',
  description: 'An ActiveMQ destination name or wildcard (">" matches everything, "*" one segment), e.g. "orders.>".',
} as const;

// Not empty: an empty prefix names the dead-letter queue after the queue
// itself, so a poison message would go straight back where it came from.
const prefixField = (what: string, dflt: string) =>
  ({
    type: 'string',
    default: dflt,
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]*$',
    description:
      `individual strategy: prefix of the dead-letter queue for ${what}, e.g. "${dflt}" makes ${dflt}<name>. ` +
      'Letters, digits, ".", "_" and "-", not starting with "." and never empty (an empty prefix would name the ' +
      'dead-letter queue after the destination itself).',
  }) as const;

const deadLetterSettings = {
  strategy: {
    type: 'string',
    enum: ['shared', 'individual', 'discard'],
    default: 'shared',
    description:
      'shared: one queue ActiveMQ.DLQ for all (sharedDeadLetterStrategy); individual: one dead-letter queue per ' +
      'destination, queuePrefix/topicPrefix + its name, e.g. DLQ.orders (individualDeadLetterStrategy); discard: ' +
      'drop dead letters (discarding).',
  },
  queuePrefix: prefixField('queues', 'DLQ.'),
  topicPrefix: prefixField('topics', 'DLQ.'),
  useQueueForTopicMessages: {
    type: 'boolean',
    default: true,
    description: 'individual strategy: dead letters of topics go to a queue (true) or a topic (false) named topicPrefix + topic.',
  },
  processExpired: {
    type: 'boolean',
    default: true,
    description:
      'Send messages whose time to live ran out to the dead-letter queue (true) or drop them (false). The broker ' +
      'notices expiry when it pages a message in (a consumer or browser arrives) or in its periodic check (30 s).',
  },
  processNonPersistent: {
    type: 'boolean',
    default: false,
    description: 'Also send non-persistent messages to the dead-letter queue (true); false drops a non-persistent poison or ' + 'expired message.',
  },
  expiration: {
    type: 'integer',
    minimum: 0,
    default: 0,
    description: 'Milliseconds a message lives in the dead-letter queue (its new time to live there); 0 keeps it forever.',
  },
} as const;

// Label keys and values as Kubernetes allows them ("[.]" rather than an escape,
// so the same text works in a CEL string).
const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

const labelSelector = (what: string) =>
  ({
    type: 'object',
    description: `Selects ${what} by their labels (a meta/v1 LabelSelector): every matchLabels entry and every matchExpressions entry must match; {} selects all of them.`,
    properties: {
      matchLabels: {
        type: 'object',
        maxProperties: 32,
        additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
        description: 'Label key and value pairs that must all be present, e.g. {app: orders}.',
      },
      matchExpressions: {
        type: 'array',
        maxItems: 16,
        description: 'Label requirements that must all hold.',
        items: {
          type: 'object',
          required: ['key', 'operator'],
          description: 'One requirement: key operator values.',
          properties: {
            key: { type: 'string', minLength: 1, maxLength: 317, pattern: LABEL_KEY, description: 'The label key, e.g. app.kubernetes.io/name.' },
            operator: {
              type: 'string',
              enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'],
              description: 'In / NotIn: the label is (not) one of values; Exists / DoesNotExist: the label is (not) set, values empty.',
            },
            values: {
              type: 'array',
              maxItems: 64,
              items: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
              description: 'Label values, for In and NotIn only.',
            },
          },
          'x-kubernetes-validations': [
            {
              rule: "(self.operator == 'In' || self.operator == 'NotIn') == (has(self.values) && size(self.values) > 0)",
              message:
                'spec.networkPolicy: a matchExpressions entry with operator In or NotIn needs values, one with Exists or ' +
                'DoesNotExist takes none; add values or remove them.',
            },
          ],
        },
      },
    },
  }) as const;

// Who may connect, in the form of a NetworkPolicy "from" list. Never rendered
// as an empty "from", which NetworkPolicy reads as "everyone".
const peers = <const D extends readonly object[]>(field: string, description: string, dflt: D) =>
  ({
    type: 'array',
    maxItems: 16,
    default: dflt,
    description:
      `${description} Each entry: podSelector alone selects pods of the cluster's namespace, namespaceSelector alone every ` +
      'pod of the namespaces it selects, both together the pods it selects in those namespaces ({podSelector: {}}: the ' +
      "cluster's namespace; {namespaceSelector: {}}: every namespace). An empty list lets no pod in.",
    items: {
      type: 'object',
      description: 'Pods that may connect (a NetworkPolicy peer without ipBlock).',
      properties: {
        podSelector: labelSelector('pods'),
        namespaceSelector: labelSelector('namespaces'),
      },
      'x-kubernetes-validations': [
        {
          rule: 'has(self.podSelector) || has(self.namespaceSelector)',
          message:
            `${field}: each entry needs podSelector, namespaceSelector or both; write {podSelector: {}} for every pod of ` +
            "the cluster's namespace or {namespaceSelector: {}} for every pod of every namespace.",
        },
      ],
    },
  }) as const;

export const brokerClusterSpecSchema = {
  type: 'object',
  description: 'The desired ActiveMQ Classic master/slave cluster on ZooKeeper and the replicated LevelDB store.',
  required: ['brokerName', 'zookeeper'],
  properties: {
    brokerName: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9._:-]+$',
      description:
        'The brokerName written on every node; replication only groups nodes with the same name. ' +
        'Letters, digits, ".", "_", "-" and ":" only (ActiveMQ rewrites anything else). Cannot be changed after creation.',
      'x-kubernetes-validations': [
        {
          rule: 'self == oldSelf',
          message:
            'spec.brokerName cannot be changed after creation: the nodes would form a second replication group. ' + 'Create a new BrokerCluster instead.',
        },
      ],
    },
    replicas: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_BROKERS,
      default: 3,
      description:
        'Broker nodes. Replication needs a quorum of replicas/2+1 nodes; 3 tolerates the loss of one node, ' +
        '1 and 2 tolerate none. A change scales the running cluster: new nodes join and catch up before the others ' +
        'restart with the new quorum; on a scale-down the nodes beyond the new count leave last, the master after a failover.',
    },
    image: {
      type: 'string',
      default: 'amqkeeper/activemq:5.16.8',
      description: 'ActiveMQ Classic 5.16.x image with the amq-keeper entrypoint (images/broker).',
    },
    imagePullPolicy: {
      type: 'string',
      enum: ['Always', 'IfNotPresent', 'Never'],
      default: 'IfNotPresent',
      description: 'Pull policy of the broker and ZooKeeper containers.',
    },
    ports: {
      type: 'object',
      default: {},
      description: 'Per-node ports: node i listens on base+i, as in the manual three-node setup. Cannot be changed after creation.',
      'x-kubernetes-validations': [
        {
          rule: 'self == oldSelf',
          message:
            'spec.ports cannot be changed on a running cluster: the master Service and the failover URL would point at ' +
            'ports the running brokers do not listen on until every node restarted. Create a new BrokerCluster on the ' +
            'new ports and move the clients to it.',
        },
      ],
      properties: {
        openwire: port('openwire', 61616, 'OpenWire (client)'),
        console: port('console', 8161, 'web console'),
        replication: port('replication', 63631, 'replication (replicatedLevelDB bind)'),
      },
    },
    zookeeper: {
      type: 'object',
      description: 'Where the brokers elect their master: either an ensemble the operator runs (replicas) or an existing one (external).',
      properties: {
        replicas: {
          type: 'integer',
          minimum: 1,
          maximum: 7,
          description: 'Run a ZooKeeper ensemble of this many nodes (odd numbers: 3 tolerates one loss).',
        },
        image: {
          type: 'string',
          default: 'amqkeeper/zookeeper:3.8.4',
          description: 'ZooKeeper image of the managed ensemble (images/zookeeper: its entrypoint writes myid from ZOO_MYID).',
        },
        external: {
          type: 'object',
          required: ['connectString'],
          description: 'Use an existing ensemble instead of running one.',
          properties: {
            connectString: {
              type: 'string',
              minLength: 1,
              maxLength: 1024,
              pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}(,[A-Za-z0-9.-]+:[0-9]{1,5})*$',
              description: 'Comma-separated host:port list, e.g. "zk1:2181,zk2:2181,zk3:2181" (no chroot).',
            },
          },
        },
        path: {
          type: 'string',
          maxLength: 512,
          pattern: '^(/[^/]+)+$',
          description:
            'Absolute ZooKeeper path (zkPath) under which the brokers register. Default ' +
            '/activemq/leveldb-stores/<namespace>/<name>. Cannot be changed after creation.',
        },
        sessionTimeout: {
          type: 'string',
          pattern: durationPattern,
          default: '2s',
          description: 'zkSessionTimeout: how fast a dead broker is noticed, e.g. "2s" or "1500ms".',
        },
        electionStallTimeout: {
          type: 'string',
          pattern: durationPattern,
          description:
            'How long a quorum of brokers may be registered with no master before the operator restarts, one at a time, ' +
            'the brokers that hold the election up (a replicated LevelDB election can hang until they restart). ' +
            'Default: 5 session timeouts, at least 15s.',
        },
        resources: preserved('Resource requests and limits of the ZooKeeper containers (core/v1 ResourceRequirements).'),
        affinity: preserved(
          'Affinity of the ZooKeeper pods (core/v1 Affinity). Setting podAntiAffinity here (or topologySpreadConstraints) ' +
            'replaces the default, which prefers one server per node and per zone.',
        ),
        nodeSelector: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Node selector of the ZooKeeper pods.',
        },
        tolerations: {
          type: 'array',
          items: preserved('A core/v1 Toleration.'),
          description: 'Tolerations of the ZooKeeper pods.',
        },
        topologySpreadConstraints: {
          type: 'array',
          items: preserved('A core/v1 TopologySpreadConstraint.'),
          description: 'Topology spread constraints of the ZooKeeper pods; setting them replaces the default spreading (no podAntiAffinity is added).',
        },
      },
      'x-kubernetes-validations': [
        {
          rule: 'has(self.replicas) != has(self.external)',
          message: 'spec.zookeeper: set exactly one of replicas (run an ensemble) or external.connectString ' + '(use an existing one).',
        },
        {
          rule:
            'has(self.replicas) == has(oldSelf.replicas) && (!has(self.replicas) || self.replicas == oldSelf.replicas) && ' +
            'has(self.external) == has(oldSelf.external) && (!has(self.external) || self.external.connectString == oldSelf.external.connectString)',
          message:
            'spec.zookeeper.replicas and spec.zookeeper.external cannot be changed after creation: the brokers would ' +
            'elect in another ensemble (a second replication group) or in one whose servers disagree on the quorum. ' +
            'Create a new BrokerCluster instead.',
        },
        {
          rule: 'has(self.path) == has(oldSelf.path) && (!has(self.path) || self.path == oldSelf.path)',
          message:
            'spec.zookeeper.path cannot be changed, set or removed after creation: the brokers would form a ' +
            'second replication group. Create a new BrokerCluster instead.',
        },
      ],
    },
    persistence: {
      type: 'object',
      default: {},
      description: 'The replicated LevelDB store of each node.',
      properties: {
        sync: {
          type: 'string',
          default: 'quorum_mem',
          pattern:
            '^(local_mem|local_disk|remote_mem|remote_disk|quorum_mem|quorum_disk)(,(local_mem|local_disk|remote_mem|remote_disk|quorum_mem|quorum_disk))*$',
          description:
            'When a write counts as done: quorum_mem (default), quorum_disk, local_mem, local_disk, remote_mem, ' +
            'remote_disk, or a comma-separated combination.',
        },
        size: {
          type: 'string',
          default: '10Gi',
          pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$',
          description:
            'Size of each broker node\'s volume claim, e.g. "10Gi". The store and temp limits follow it. A larger size ' +
            'expands the claims where their StorageClass allows volume expansion (the spec is refused otherwise) and ' +
            "rolls the brokers; it cannot go below the claims' size (status.claimSize).",
        },
        storageClassName: {
          type: 'string',
          description: 'StorageClass of the volume claims; the cluster default when unset.',
        },
        deleteClaim: {
          type: 'boolean',
          default: false,
          description: 'Delete the volume claims (and the messages on them) when the BrokerCluster is deleted.',
        },
      },
    },
    broker: {
      type: 'object',
      default: {},
      description: "Broker features rendered into every node's activemq.xml.",
      properties: {
        schedulerSupport: {
          type: 'boolean',
          default: false,
          description:
            'Delayed and scheduled delivery: a producer sets AMQ_SCHEDULED_DELAY (ms), AMQ_SCHEDULED_PERIOD (ms), ' +
            'AMQ_SCHEDULED_REPEAT (a message is delivered REPEAT+1 times) or AMQ_SCHEDULED_CRON. Needed by ' +
            'redelivery. Scheduled jobs (and messages waiting for a broker redelivery) live in the scheduler store of ' +
            'the node that was master, which replicated LevelDB does not replicate: the new master after a failover ' +
            'does not deliver them (Warning SchedulerNotReplicated).',
        },
        redelivery: {
          type: 'object',
          description:
            'Broker-side redelivery, the redeliveryPlugin (requires schedulerSupport). It starts when a consumer gives ' +
            'a message up, which the client does after its own jms.redeliveryPolicy (spec.client.redeliveryPolicy, ' +
            'client default 6 redeliveries); set spec.client.redeliveryPolicy.maximumRedeliveries: 0 to let this ' +
            'policy alone decide, otherwise every broker redelivery is followed by client redeliveries (Warning ' +
            'ClientRedeliveryStacks). A message waiting for a broker redelivery is in the scheduler store, which is ' +
            "not replicated. An empty redelivery: {} applies ActiveMQ's defaults (6 redeliveries, 1000 ms) to every " +
            'destination.',
          properties: {
            fallbackToDeadLetter: {
              type: 'boolean',
              default: true,
              description:
                'When no policy matches the destination (destinations listed, no defaultPolicy): send the message ' +
                'to the dead-letter queue (true) or do nothing (false).',
            },
            sendToDlqIfMaxRetriesExceeded: {
              type: 'boolean',
              default: true,
              description: 'After maximumRedeliveries: send the message to the dead-letter queue (true) or drop it (false).',
            },
            defaultPolicy: {
              ...redeliveryPolicy,
              description:
                'The policy of every destination no entry of destinations matches. Unset with destinations listed: ' +
                'those other destinations get no broker redelivery (see fallbackToDeadLetter). Unset with no ' +
                "destinations: ActiveMQ's defaults.",
            },
            destinations: {
              type: 'array',
              maxItems: 64,
              description:
                'Policies for particular queues or topics, matched before the default policy; the most specific ' +
                'match wins (an exact name, then a narrower wildcard).',
              items: {
                type: 'object',
                description: 'A redelivery policy for the queues or topics that match.',
                required: ['policy'],
                properties: {
                  queue: destinationPattern,
                  topic: destinationPattern,
                  policy: redeliveryPolicy,
                },
                'x-kubernetes-validations': [
                  {
                    rule: 'has(self.queue) != has(self.topic)',
                    message: 'spec.broker.redelivery.destinations[]: set exactly one of queue or topic.',
                  },
                ],
              },
            },
          },
        },
        deadLetter: {
          type: 'object',
          description:
            'Where messages go that cannot be delivered: poison messages (given up by the consumer and, with ' +
            'redelivery, by the broker) and expired ones. Unset: the broker default, shared ActiveMQ.DLQ for ' +
            'persistent messages, expired ones included.',
          properties: {
            ...deadLetterSettings,
            destinations: {
              type: 'array',
              maxItems: 64,
              description:
                'Dead-letter settings for particular queues or topics, matched before the ones above; the most ' +
                'specific match wins (an exact name, then a narrower wildcard).',
              items: {
                type: 'object',
                description: 'Dead-letter settings for the queues or topics that match.',
                properties: { queue: destinationPattern, topic: destinationPattern, ...deadLetterSettings },
                'x-kubernetes-validations': [
                  {
                    rule: 'has(self.queue) != has(self.topic)',
                    message: 'spec.broker.deadLetter.destinations[]: set exactly one of queue or topic.',
                  },
                ],
              },
            },
          },
        },
      },
      'x-kubernetes-validations': [
        {
          rule: '!has(self.redelivery) || self.schedulerSupport',
          message:
            'spec.broker.redelivery needs spec.broker.schedulerSupport: true (the broker schedules redeliveries; ' +
            'it refuses to start otherwise). Set schedulerSupport: true or remove redelivery.',
        },
      ],
    },
    client: {
      type: 'object',
      default: {},
      description: 'Client options published in the <name>-connection ConfigMap (failoverUrl, masterUrl).',
      properties: {
        useAsyncSend: {
          type: 'boolean',
          default: false,
          description:
            'jms.useAsyncSend: send persistent messages without waiting for the broker; the producer learns the ' +
            'outcome only through a completion callback (ActiveMQMessageProducer.send(message, AsyncCallback)).',
        },
        randomize: {
          type: 'boolean',
          default: false,
          description: 'failover randomize: try the nodes in random order instead of node 0 first.',
        },
        maxReconnectAttempts: {
          type: 'integer',
          minimum: -1,
          description: 'failover maxReconnectAttempts; -1 (client default) retries forever.',
        },
        initialReconnectDelay: {
          type: 'integer',
          minimum: 1,
          description: 'failover initialReconnectDelay in milliseconds (client default 10).',
        },
        redeliveryPolicy: {
          type: 'object',
          description:
            'Client-side redelivery, jms.redeliveryPolicy.*: a consumer that rolls back (or recovers) gets the ' +
            'message again from its own session after the delay, up to maximumRedeliveries times; then it gives the ' +
            'message up (poison ack) and the broker moves it to the dead-letter queue, or starts spec.broker.redelivery.',
          properties: {
            maximumRedeliveries: {
              type: 'integer',
              minimum: -1,
              description:
                'Client default 6 (7 deliveries); -1 unlimited (the message is never given up); 0 gives it up at ' +
                'the first rollback, which leaves redelivery to spec.broker.redelivery.',
            },
            initialRedeliveryDelay: { type: 'integer', minimum: 0, description: 'Milliseconds before the first redelivery; client default 1000.' },
            redeliveryDelay: { type: 'integer', minimum: 0, description: 'Milliseconds between later redeliveries; client default 1000.' },
            useExponentialBackOff: { type: 'boolean', description: 'Multiply the delay by backOffMultiplier each time; client default false.' },
            backOffMultiplier: { type: 'number', minimum: 1, description: 'Client default 5.' },
            maximumRedeliveryDelay: {
              type: 'integer',
              minimum: -1,
              description: 'Upper bound in milliseconds for the exponential delay; client default -1 (no bound).',
            },
          },
        },
      },
    },
    metrics: {
      type: 'object',
      default: {},
      description:
        'Prometheus metrics from every broker: the JMX exporter Java agent in the broker image serves them at ' +
        'http://<pod>:<port+i>/metrics (container port "metrics") with the rules the operator renders into ' +
        '<name>-broker-config (jmx-exporter.yaml). A change rolls the brokers. See docs/monitoring.md.',
      properties: {
        enabled: {
          type: 'boolean',
          default: true,
          description: 'Run the exporter agent in every broker (true) or not (false: no agent, no metrics port).',
        },
        port: {
          ...port('metrics', 9404, 'metrics (Prometheus)'),
          description:
            'Base metrics port. Node i serves its metrics on base+i (9404, 9405, 9406 for three nodes), like the other ' +
            'per-node ports; the range base..base+replicas-1 must not overlap the spec.ports ranges.',
        },
      },
    },
    security: {
      type: 'object',
      default: {},
      description:
        'Who may connect and what they may do. By default the operator generates the Secret <name>-credentials ' +
        '(an application user, an admin user, the ZooKeeper digest password); OpenWire clients must log in, the web ' +
        'console and Jolokia take only the admin user. A changed Secret rolls the brokers. See docs/security.md.',
      properties: {
        credentialsSecret: {
          type: 'string',
          minLength: 1,
          maxLength: 253,
          pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
          description:
            'A Secret of your own in the cluster namespace instead of the generated <name>-credentials, with the keys ' +
            'username, password (application user), admin-username, admin-password (console, Jolokia, full rights) ' +
            'and zookeeper-password (digest ACL of the group znodes).',
        },
        authentication: {
          type: 'boolean',
          default: true,
          description:
            'OpenWire clients must log in (true), or connect without a user (false: any client in reach may read, ' +
            'write and delete any destination). The console needs the admin user either way.',
        },
        users: {
          type: 'array',
          maxItems: 64,
          description: 'More OpenWire users, each with a password from a Secret of yours and the groups it belongs to.',
          items: {
            type: 'object',
            description: 'One user: its login name, where its password is, its groups.',
            required: ['username', 'passwordSecret', 'groups'],
            properties: {
              username: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$', description: 'The login name.' },
              passwordSecret: {
                type: 'object',
                required: ['name', 'key'],
                description: 'Where the password is: a Secret in the cluster namespace and its key.',
                properties: {
                  name: { type: 'string', minLength: 1, maxLength: 253, description: 'The Secret.' },
                  key: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$', description: 'The key in it.' },
                },
              },
              groups: {
                type: 'array',
                minItems: 1,
                maxItems: 16,
                items: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' },
                description: 'The groups the user is in; spec.security.authorization grants rights to groups.',
              },
            },
          },
        },
        authorization: {
          type: 'array',
          maxItems: 128,
          description:
            'Rights per destination, for groups: read (consume, browse), write (send), admin (create the destination). ' +
            'The application user is in the group "app", the admin user in "admins". Empty: both may do everything. ' +
            'The admin group always keeps every right, and every group may use the advisory topics clients need.',
          items: {
            type: 'object',
            description: 'The rights of groups on the queues or topics that match (give queue or topic).',
            properties: {
              queue: destinationPattern,
              topic: destinationPattern,
              read: {
                type: 'array',
                maxItems: 32,
                items: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
                description: 'Groups that may consume and browse.',
              },
              write: { type: 'array', maxItems: 32, items: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' }, description: 'Groups that may send.' },
              admin: {
                type: 'array',
                maxItems: 32,
                items: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
                description: 'Groups that may create the destination (a first send or subscribe creates it).',
              },
            },
            'x-kubernetes-validations': [
              { rule: 'has(self.queue) != has(self.topic)', message: 'spec.security.authorization[]: set exactly one of queue or topic.' },
            ],
          },
        },
      },
    },
    tls: {
      type: 'object',
      description:
        'TLS for OpenWire and the web console, from a Secret in the kubernetes.io/tls layout (tls.crt, tls.key, and ca.crt ' +
        'when the issuer is not publicly trusted), such as cert-manager issues. OpenWire listens on ssl:// on the ' +
        'spec.ports.openwire ports, the console and Jolokia on https://, the published URLs say ssl:// and ' +
        "<name>-connection carries ca.crt for the clients' trust store. A changed Secret (a renewed certificate) rolls " +
        'the brokers. Replication and ZooKeeper stay plain TCP. See docs/security.md.',
      required: ['secretName'],
      properties: {
        secretName: {
          type: 'string',
          minLength: 1,
          maxLength: 253,
          pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
          description:
            'The Secret in the cluster namespace with tls.crt (the certificate chain, the broker certificate first) and ' +
            'tls.key (its private key, PEM, PKCS#1, PKCS#8 or SEC1); ca.crt (optional) is what clients and the operator ' +
            'trust. The certificate must name the addresses clients use: *.<namespace>.svc (node and master Services) ' +
            'and *.<name>-broker-hs.<namespace>.svc (the pods, where the operator checks replication).',
        },
        plainOpenWirePort: {
          type: 'integer',
          minimum: 1,
          maximum: 65535,
          description:
            'Keep plain tcp:// OpenWire as well, node i on base+i (for clients not yet moved to TLS); published as ' + 'plainFailoverUrl. Unset: TLS only.',
        },
      },
    },
    jvmOptions: {
      type: 'string',
      maxLength: 1024,
      description: 'Extra JVM options for each broker, e.g. "-Xmx1g".',
    },
    resources: preserved('Resource requests and limits of the broker containers (core/v1 ResourceRequirements).'),
    affinity: preserved(
      'Affinity of the broker pods (core/v1 Affinity). Setting podAntiAffinity here (or topologySpreadConstraints) ' +
        'replaces the default, which prefers one broker per node and per zone.',
    ),
    nodeSelector: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Node selector of the broker pods.',
    },
    tolerations: {
      type: 'array',
      items: preserved('A core/v1 Toleration.'),
      description: 'Tolerations of the broker pods.',
    },
    topologySpreadConstraints: {
      type: 'array',
      items: preserved('A core/v1 TopologySpreadConstraint.'),
      description: 'Topology spread constraints of the broker pods; setting them replaces the default spreading (no podAntiAffinity is added).',
    },
    lostNodeTimeout: {
      type: 'string',
      pattern: durationPattern,
      default: '60s',
      description:
        'How long the node of a broker or ZooKeeper pod may be NotReady (or gone) before the pod counts as lost: it is ' +
        'reported (NodeLost condition and Event) and, when safe (not the elected master, its claim can follow it to ' +
        'another node or persistence.deleteClaim allows deleting it), force-deleted so that it is recreated elsewhere.',
    },
    networkPolicy: {
      type: 'object',
      default: {},
      description:
        'NetworkPolicies the operator keeps for the cluster (<name>-broker, and <name>-zk for a managed ensemble): ' +
        'replication only between its brokers; ZooKeeper only from its brokers, its servers and the operator; ' +
        'OpenWire, the web console and metrics only from the pods listed here (and the operator for the console). ' +
        'They restrict incoming traffic only, and only where the network plugin enforces NetworkPolicy. ' +
        'NetworkPolicies add up: one of your own can let more in. See docs/security.md.',
      properties: {
        enabled: {
          type: 'boolean',
          default: true,
          description: 'Keep the NetworkPolicies (true) or delete them and leave every port open to the network (false).',
        },
        clients: peers(
          'spec.networkPolicy.clients',
          'Pods that may connect to the OpenWire ports (clients, the failover and master URLs). Default: every pod of the ' + "cluster's namespace.",
          [{ podSelector: {} }],
        ),
        console: peers(
          'spec.networkPolicy.console',
          'Pods that may reach the web console and Jolokia ports, besides the operator (which checks replication there). ' + 'Default: none.',
          [],
        ),
        metrics: peers(
          'spec.networkPolicy.metrics',
          'Pods that may scrape the metrics ports (spec.metrics). Default: every pod of every namespace, since Prometheus ' +
            'usually runs in its own; list its namespace to narrow it.',
          [{ namespaceSelector: {} }],
        ),
      },
    },
    podTemplate: {
      type: 'object',
      description: 'Extra metadata for every pod the cluster runs.',
      properties: {
        labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'Extra pod labels.' },
        annotations: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Extra pod annotations.',
        },
      },
    },
  },
  'x-kubernetes-validations': [
    {
      rule: 'self.ports.openwire + self.replicas - 1 <= 65535 && self.ports.console + self.replicas - 1 <= 65535 && self.ports.replication + self.replicas - 1 <= 65535',
      message: 'spec.ports: base+replicas-1 must not exceed 65535 for openwire, console and replication; lower the base port.',
    },
    {
      rule: 'self.ports.openwire + self.replicas <= self.ports.console || self.ports.console + self.replicas <= self.ports.openwire',
      message: 'spec.ports.openwire and spec.ports.console: the per-node ranges base..base+replicas-1 overlap; move one base port.',
    },
    {
      rule: 'self.ports.openwire + self.replicas <= self.ports.replication || self.ports.replication + self.replicas <= self.ports.openwire',
      message: 'spec.ports.openwire and spec.ports.replication: the per-node ranges base..base+replicas-1 overlap; move one base port.',
    },
    {
      rule: 'self.ports.console + self.replicas <= self.ports.replication || self.ports.replication + self.replicas <= self.ports.console',
      message: 'spec.ports.console and spec.ports.replication: the per-node ranges base..base+replicas-1 overlap; move one base port.',
    },
    {
      rule: '!self.metrics.enabled || self.metrics.port + self.replicas - 1 <= 65535',
      message: 'spec.metrics.port: base+replicas-1 must not exceed 65535; lower spec.metrics.port.',
    },
    {
      rule: '!has(self.tls) || !has(self.tls.plainOpenWirePort) || self.tls.plainOpenWirePort + self.replicas - 1 <= 65535',
      message: 'spec.tls.plainOpenWirePort: base+replicas-1 must not exceed 65535; lower it.',
    },
    ...(['openwire', 'console', 'replication'] as const).map((other) => ({
      rule:
        '!has(self.tls) || !has(self.tls.plainOpenWirePort) || ' +
        `self.tls.plainOpenWirePort + self.replicas <= self.ports.${other} || self.ports.${other} + self.replicas <= self.tls.plainOpenWirePort`,
      message: `spec.tls.plainOpenWirePort and spec.ports.${other}: the per-node ranges base..base+replicas-1 overlap; move spec.tls.plainOpenWirePort.`,
    })),
    {
      rule:
        '!has(self.tls) || !has(self.tls.plainOpenWirePort) || !self.metrics.enabled || ' +
        'self.tls.plainOpenWirePort + self.replicas <= self.metrics.port || self.metrics.port + self.replicas <= self.tls.plainOpenWirePort',
      message: 'spec.tls.plainOpenWirePort and spec.metrics.port: the per-node ranges base..base+replicas-1 overlap; move one of them.',
    },
    ...(['openwire', 'console', 'replication'] as const).map((other) => ({
      rule: `!self.metrics.enabled || self.metrics.port + self.replicas <= self.ports.${other} || self.ports.${other} + self.replicas <= self.metrics.port`,
      message:
        `spec.metrics.port and spec.ports.${other}: the per-node ranges base..base+replicas-1 overlap; ` +
        'move spec.metrics.port (spec.ports cannot change on a running cluster).',
    })),
  ],
} as const;

const condition = {
  type: 'object',
  description: 'One aspect of the cluster, in the Kubernetes condition style.',
  required: ['type', 'status'],
  properties: {
    type: { type: 'string', description: 'Ready, ZooKeeperReady, BrokersReady, MasterElected or Warning.' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'], description: 'True, False or Unknown.' },
    reason: { type: 'string', description: 'One CamelCase word a program can match.' },
    message: { type: 'string', description: 'What a person should know.' },
    lastTransitionTime: { type: 'string', format: 'date-time', description: 'When status last changed.' },
    observedGeneration: { type: 'integer', description: 'The generation this condition was computed from.' },
  },
} as const;

export const brokerClusterStatusSchema = {
  type: 'object',
  description: 'What the operator observed.',
  properties: {
    observedGeneration: { type: 'integer', description: 'The spec generation the status describes.' },
    phase: {
      type: 'string',
      enum: ['Pending', 'Provisioning', 'Electing', 'Running', 'Degraded', 'Failed'],
      description:
        'Pending: nothing created yet; Provisioning: pods starting; Electing: pods up, no master; ' +
        'Running: a master serves; Degraded: a master serves but a node or ZooKeeper is missing; Failed: the spec cannot run.',
    },
    replicas: { type: 'integer', description: 'Broker nodes wanted.' },
    readyReplicas: { type: 'integer', description: 'Broker pods that are Ready.' },
    ready: { type: 'string', description: 'readyReplicas/replicas, for kubectl get.' },
    zkPath: { type: 'string', description: 'The effective ZooKeeper path of the replication group.' },
    zkConnectString: { type: 'string', description: 'The effective ZooKeeper connect string.' },
    master: { type: 'string', description: 'Pod of the elected master, empty while none is elected.' },
    masterSince: { type: 'string', format: 'date-time', description: 'When the current master was elected.' },
    previousMaster: { type: 'string', description: 'The master before the current one (or before the group lost its master).' },
    masterLostAt: { type: 'string', format: 'date-time', description: 'When the group lost its master; unset while one serves.' },
    failovers: { type: 'integer', description: 'How many times the master changed.' },
    lastFailover: {
      type: 'object',
      description: 'The most recent change of master.',
      properties: {
        from: { type: 'string', description: 'The previous master pod.' },
        to: { type: 'string', description: 'The new master pod.' },
        at: { type: 'string', format: 'date-time', description: 'When the new master was elected.' },
        durationMs: { type: 'integer', description: 'How long the cluster had no master.' },
      },
    },
    members: {
      type: 'array',
      description: 'The replication group as ZooKeeper reports it.',
      items: {
        type: 'object',
        description: 'One broker registered in ZooKeeper.',
        properties: {
          pod: { type: 'string', description: 'The pod of this member (from its container field).' },
          role: { type: 'string', enum: ['master', 'slave'], description: 'master or slave.' },
          memberId: { type: 'string', description: 'The member id (its ZooKeeper node name without the leading 0).' },
          address: { type: 'string', description: 'Replication address; set only on the running master.' },
          position: { type: 'integer', description: 'WAL position reported during an election; -1 after.' },
          weight: { type: 'integer', description: 'Election tie-breaker.' },
          inSync: {
            type: 'boolean',
            description:
              'Slaves only, once the master was checked: it acknowledged a replication checkpoint written after it attached ' +
              '(restarting the master now would not lose what it holds).',
          },
        },
      },
    },
    switchover: {
      type: 'object',
      description: 'The last switchover asked for with the amqkeeper.io/switchover annotation.',
      properties: {
        request: { type: 'string', description: 'The annotation value it answers.' },
        state: { type: 'string', enum: ['Waiting', 'InProgress', 'Done', 'Refused'], description: 'Where it stands.' },
        from: { type: 'string', description: 'The master it moved away from.' },
        to: { type: 'string', description: 'The new master.' },
        at: { type: 'string', format: 'date-time', description: 'When it was asked for (Waiting) or the master was restarted (InProgress, Done).' },
        interruptionMs: { type: 'integer', description: 'How long the cluster had no master.' },
        message: { type: 'string', description: 'What it waits for, or why it was refused.' },
      },
    },
    stalledElections: { type: 'integer', description: 'Elections the operator found stalled and restarted brokers for.' },
    electionStall: {
      type: 'object',
      description: 'A stalled election being healed: set while a quorum is registered and no master is elected past electionStallTimeout.',
      properties: {
        since: { type: 'string', format: 'date-time', description: 'When the group lost its master (or was first seen without one).' },
        restarts: { type: 'integer', description: 'Brokers restarted for it so far.' },
        lastRestart: { type: 'string', description: 'The broker pod restarted last.' },
        lastRestartAt: { type: 'string', format: 'date-time', description: 'When.' },
      },
    },
    lostPods: {
      type: 'array',
      description: 'Pods whose node is lost (NotReady or gone past lostNodeTimeout), and what the operator does about each.',
      items: {
        type: 'object',
        description: 'One pod on a lost node.',
        properties: {
          pod: { type: 'string', description: 'The pod.' },
          node: { type: 'string', description: 'Its node.' },
          since: { type: 'string', format: 'date-time', description: 'Since when the node is not Ready (when known).' },
          action: {
            type: 'string',
            enum: ['Deleted', 'Waiting'],
            description: 'Deleted: force-deleted to be recreated elsewhere; Waiting: left, see message.',
          },
          message: { type: 'string', description: 'Why, and what a person can do.' },
        },
      },
    },
    claimSize: {
      type: 'string',
      description: 'The smallest storage request among the broker claims: spec.persistence.size may go back down to it, not below.',
    },
    failoverUrl: { type: 'string', description: 'The failover URL published in <name>-connection.' },
    masterUrl: { type: 'string', description: 'The master Service URL published in <name>-connection.' },
    conditions: {
      type: 'array',
      description:
        'Ready, ZooKeeperReady, BrokersReady, MasterElected, ReplicasInSync, Warning and Reconciled (False with the error when the last reconcile failed).',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: condition,
    },
  },
} as const;
