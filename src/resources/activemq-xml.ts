// Renders one node's activemq.xml. Built with xmlbuilder2 so every value is
// escaped; the shape follows the 5.16 distribution's own activemq.xml.
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import type { BrokerCluster, DeadLetter, RedeliveryPolicy } from '../api/types';
import { clusterName, durationMs, nodePlainOpenWirePort, nodePodHost, nodePorts, storeLimits, zkConnectString, zkPath } from '../api/cluster';
import { names } from '../metadata/names';
import { allGroups, authorizationEntries, JAAS_DOMAIN } from './broker-security';
import { KEYSTORE_FILE, KEYSTORE_PASSWORD_PLACEHOLDER } from './broker-tls';

const BEANS_NS = 'http://www.springframework.org/schema/beans';
const CORE_NS = 'http://activemq.apache.org/schema/core';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const SCHEMA_LOCATION = [
  BEANS_NS,
  'http://www.springframework.org/schema/beans/spring-beans.xsd',
  CORE_NS,
  'http://activemq.apache.org/schema/core/activemq-core.xsd',
].join(' ');

type Attrs = Record<string, string | number | boolean>;

function attrs(a: Attrs): Record<string, string> {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, String(v)]));
}

function redeliveryPolicyAttrs(p: RedeliveryPolicy, destination?: { queue?: string; topic?: string }): Attrs {
  const a: Attrs = {};
  if (destination?.queue !== undefined) a.queue = destination.queue;
  if (destination?.topic !== undefined) a.topic = destination.topic;
  a.maximumRedeliveries = p.maximumRedeliveries;
  a.initialRedeliveryDelay = p.initialRedeliveryDelay;
  a.redeliveryDelay = p.redeliveryDelay;
  a.useExponentialBackOff = p.useExponentialBackOff;
  a.backOffMultiplier = p.backOffMultiplier;
  a.maximumRedeliveryDelay = p.maximumRedeliveryDelay;
  return a;
}

// Pick, not Omit: the schema-inferred type has an index signature that Omit would swallow.
type DeadLetterSettings = Pick<
  DeadLetter,
  'strategy' | 'queuePrefix' | 'topicPrefix' | 'useQueueForTopicMessages' | 'processExpired' | 'processNonPersistent' | 'expiration'
>;

function addDeadLetterStrategy(entry: XMLBuilder, d: DeadLetterSettings): void {
  const dls = entry.ele(CORE_NS, 'deadLetterStrategy');
  if (d.strategy === 'discard') {
    dls.ele(CORE_NS, 'discarding');
    return;
  }
  const common: Attrs = {
    processExpired: d.processExpired,
    processNonPersistent: d.processNonPersistent,
    expiration: d.expiration,
  };
  if (d.strategy === 'individual') {
    dls.ele(
      CORE_NS,
      'individualDeadLetterStrategy',
      attrs({
        queuePrefix: d.queuePrefix,
        topicPrefix: d.topicPrefix,
        useQueueForQueueMessages: true,
        useQueueForTopicMessages: d.useQueueForTopicMessages,
        ...common,
      }),
    );
  } else {
    dls.ele(CORE_NS, 'sharedDeadLetterStrategy', attrs(common));
  }
}

function addDestinationPolicy(broker: XMLBuilder, c: BrokerCluster): void {
  const entries = broker.ele(CORE_NS, 'destinationPolicy').ele(CORE_NS, 'policyMap').ele(CORE_NS, 'policyEntries');
  const dl = c.spec.broker.deadLetter;
  // Specific destinations first: ActiveMQ picks the most specific match, but
  // keeping them first makes the file read in the order it is applied.
  for (const d of dl?.destinations ?? []) {
    const target: Attrs = d.queue !== undefined ? { queue: d.queue } : { topic: d.topic ?? '>' };
    addDeadLetterStrategy(entries.ele(CORE_NS, 'policyEntry', attrs(target)), d);
  }
  const queue = entries.ele(CORE_NS, 'policyEntry', { queue: '>' });
  if (dl) addDeadLetterStrategy(queue, dl);
  const topic = entries.ele(CORE_NS, 'policyEntry', { topic: '>' });
  // The distribution's default: keep slow topic consumers from stalling the broker.
  topic.ele(CORE_NS, 'pendingMessageLimitStrategy').ele(CORE_NS, 'constantPendingMessageLimitStrategy', { limit: '1000' });
  if (dl) addDeadLetterStrategy(topic, dl);
}

/** org.apache.activemq.RedeliveryPolicy's own defaults. */
const ACTIVEMQ_DEFAULT_REDELIVERY: RedeliveryPolicy = {
  maximumRedeliveries: 6,
  initialRedeliveryDelay: 1000,
  redeliveryDelay: 1000,
  useExponentialBackOff: false,
  backOffMultiplier: 5,
  maximumRedeliveryDelay: -1,
};

function addRedeliveryPlugin(plugins: () => XMLBuilder, c: BrokerCluster): void {
  const r = c.spec.broker.redelivery;
  if (!r) return;
  const plugin = plugins().ele(
    CORE_NS,
    'redeliveryPlugin',
    attrs({ fallbackToDeadLetter: r.fallbackToDeadLetter, sendToDlqIfMaxRetriesExceeded: r.sendToDlqIfMaxRetriesExceeded }),
  );
  const map = plugin.ele(CORE_NS, 'redeliveryPolicyMap').ele(CORE_NS, 'redeliveryPolicyMap');
  const destinations = r.destinations ?? [];
  if (destinations.length > 0) {
    const entries = map.ele(CORE_NS, 'redeliveryPolicyEntries');
    for (const d of destinations) entries.ele(CORE_NS, 'redeliveryPolicy', attrs(redeliveryPolicyAttrs(d.policy, d)));
  }
  // A defaultEntry matches every destination, which would make
  // fallbackToDeadLetter dead code: with destinations listed and no
  // defaultPolicy, the other destinations get no broker redelivery (their
  // poison messages go to the dead-letter queue, or nowhere without the
  // fallback). An empty redelivery: {} still means ActiveMQ's defaults for all.
  const dflt = r.defaultPolicy ?? (destinations.length === 0 ? ACTIVEMQ_DEFAULT_REDELIVERY : undefined);
  if (dflt) map.ele(CORE_NS, 'defaultEntry').ele(CORE_NS, 'redeliveryPolicy', attrs(redeliveryPolicyAttrs(dflt)));
}

/** Log-in through JAAS (the distribution's login.config), then the rights per destination. */
function addSecurityPlugins(plugins: () => XMLBuilder, c: BrokerCluster): void {
  if (!c.spec.security.authentication) return;
  plugins().ele(CORE_NS, 'jaasAuthenticationPlugin', { configuration: JAAS_DOMAIN });
  const map = plugins().ele(CORE_NS, 'authorizationPlugin').ele(CORE_NS, 'map').ele(CORE_NS, 'authorizationMap');
  const entries = map.ele(CORE_NS, 'authorizationEntries');
  for (const e of authorizationEntries(c)) {
    const target = e.queue !== undefined ? { queue: e.queue } : { topic: e.topic ?? '>' };
    // An empty list is no right at all; ActiveMQ reads "" as no group.
    entries.ele(CORE_NS, 'authorizationEntry', { ...target, read: e.read.join(','), write: e.write.join(','), admin: e.admin.join(',') });
  }
  // Temporary destinations (request/reply) for every group.
  const everyone = allGroups(c).join(',');
  map.ele(CORE_NS, 'tempDestinationAuthorizationEntry').ele(CORE_NS, 'tempDestinationAuthorizationEntry', { read: everyone, write: everyone, admin: everyone });
}

/**
 * zkPassword's value: the entrypoint exports the variable from the credentials
 * volume and the PropertyPlaceholderConfigurer resolves it, so the password is
 * never in the ConfigMap.
 */
export const ZK_PASSWORD_PLACEHOLDER = '${AMQ_ZK_PASSWORD}';

/**
 * The complete activemq.xml of node i. zkAcl: the cluster's credentials have a
 * ZooKeeper password, so the brokers log in and lock their group znodes with it
 * (broker/patches/05).
 */
export function renderActiveMqXml(c: BrokerCluster, i: number, zkAcl = false): string {
  const ports = nodePorts(c, i);
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  doc.com(` Rendered by amq-keeper for ${names.brokerPod(clusterName(c), i)}; edit the BrokerCluster, not this file. `);
  const beans = doc.ele(BEANS_NS, 'beans').att(XSI_NS, 'xsi:schemaLocation', SCHEMA_LOCATION);
  // Resolves ${activemq.data} and friends from the system properties the entrypoint sets.
  beans
    .ele(BEANS_NS, 'bean', { class: 'org.springframework.beans.factory.config.PropertyPlaceholderConfigurer' })
    .ele(BEANS_NS, 'property', { name: 'locations' })
    .ele(BEANS_NS, 'value')
    .txt('file:${activemq.conf}/credentials.properties');

  const broker = beans.ele(
    CORE_NS,
    'broker',
    attrs({
      brokerName: c.spec.brokerName,
      dataDirectory: '${activemq.data}',
      schedulerSupport: c.spec.broker.schedulerSupport,
      useJmx: true,
    }),
  );
  addDestinationPolicy(broker, c);
  broker.ele(CORE_NS, 'managementContext').ele(CORE_NS, 'managementContext', { createConnector: 'false' });
  broker.ele(CORE_NS, 'persistenceAdapter').ele(
    CORE_NS,
    'replicatedLevelDB',
    attrs({
      directory: '${activemq.data}/leveldb',
      replicas: c.spec.replicas,
      bind: `tcp://0.0.0.0:${ports.replication}`,
      zkAddress: zkConnectString(c),
      zkPath: zkPath(c),
      // Only with a password: an empty one would log in as "fabric:".
      ...(zkAcl ? { zkPassword: ZK_PASSWORD_PLACEHOLDER } : {}),
      // The broker's duration parser reads "2000ms" as 2000 minutes and fails on the "s";
      // a bare number is milliseconds.
      zkSessionTimeout: durationMs(c.spec.zookeeper.sessionTimeout),
      hostname: nodePodHost(c, i),
      sync: c.spec.persistence.sync,
      // The pod name, so the operator maps a ZooKeeper member to its pod without DNS.
      container: names.brokerPod(clusterName(c), i),
      // A failover client resends the send that was in flight at a master's
      // death. The new master suppresses sends at or below the producer's last
      // sequence its store audit holds, and after a promotion that audit can
      // hold a message its index never got (a slave replays a unit of work's
      // data record into the audit before the unit's end record arrives, and
      // snapshots that audit when it stops): the resend is acknowledged and
      // dropped. Tracking nothing turns that loss into, at worst, a duplicate.
      // Stores created before this setting hold an audit with the old limit;
      // broker/patches/04 applies this value to it when the store loads it.
      maxFailoverProducersToTrack: 0,
    }),
  );
  // One <plugins>, made when the first plugin needs it.
  let pluginList: XMLBuilder | undefined;
  const plugins = () => {
    pluginList ??= broker.ele(CORE_NS, 'plugins');
    return pluginList;
  };
  addSecurityPlugins(plugins, c);
  addRedeliveryPlugin(plugins, c);
  const usage = broker.ele(CORE_NS, 'systemUsage').ele(CORE_NS, 'systemUsage');
  usage.ele(CORE_NS, 'memoryUsage').ele(CORE_NS, 'memoryUsage', { percentOfJvmHeap: '70' });
  const limits = storeLimits(c);
  usage.ele(CORE_NS, 'storeUsage').ele(CORE_NS, 'storeUsage', { limit: `${limits.storeMb} mb` });
  usage.ele(CORE_NS, 'tempUsage').ele(CORE_NS, 'tempUsage', { limit: `${limits.tempMb} mb` });
  addTransportConnectors(broker, c, i);
  broker.ele(CORE_NS, 'shutdownHooks').ele(BEANS_NS, 'bean', { class: 'org.apache.activemq.hooks.SpringContextHook' });
  // The web console (Jetty); host and port come from jetty.host/jetty.port.
  beans.ele(BEANS_NS, 'import', { resource: 'jetty.xml' });
  if (c.spec.tls) addConsoleHttps(beans);
  return doc.end({ prettyPrint: true });
}

const CONNECTOR_OPTIONS = 'maximumConnections=1000&wireFormat.maxFrameSize=104857600';

/** OpenWire on ssl:// with spec.tls (and plain tcp:// beside it only when asked), else tcp://. */
function addTransportConnectors(broker: XMLBuilder, c: BrokerCluster, i: number): void {
  const tls = c.spec.tls;
  const openwire = nodePorts(c, i).openwire;
  if (tls) {
    // The key store the entrypoint made from the Secret volume; its password exists only in the pod's environment.
    broker.ele(CORE_NS, 'sslContext').ele(CORE_NS, 'sslContext', {
      keyStore: `file:${KEYSTORE_FILE}`,
      keyStorePassword: KEYSTORE_PASSWORD_PLACEHOLDER,
      keyStoreType: 'pkcs12',
    });
  }
  const connectors = broker.ele(CORE_NS, 'transportConnectors');
  connectors.ele(CORE_NS, 'transportConnector', { name: 'openwire', uri: `${tls ? 'ssl' : 'tcp'}://0.0.0.0:${openwire}?${CONNECTOR_OPTIONS}` });
  const plain = nodePlainOpenWirePort(c, i);
  if (plain !== undefined) {
    connectors.ele(CORE_NS, 'transportConnector', { name: 'openwire-plain', uri: `tcp://0.0.0.0:${plain}?${CONNECTOR_OPTIONS}` });
  }
}

/**
 * The console on HTTPS only: jetty.xml sets the Server's connectors through
 * the bean "invokeConnectors"; a later definition of that id replaces it, so
 * the plain connector is never made.
 */
function addConsoleHttps(beans: XMLBuilder): void {
  const invoke = beans.ele(BEANS_NS, 'bean', { id: 'invokeConnectors', class: 'org.springframework.beans.factory.config.MethodInvokingFactoryBean' });
  invoke.ele(BEANS_NS, 'property', { name: 'targetObject', ref: 'Server' });
  invoke.ele(BEANS_NS, 'property', { name: 'targetMethod', value: 'setConnectors' });
  const connector = invoke
    .ele(BEANS_NS, 'property', { name: 'arguments' })
    .ele(BEANS_NS, 'list')
    .ele(BEANS_NS, 'bean', { class: 'org.eclipse.jetty.server.ServerConnector' });
  connector.ele(BEANS_NS, 'constructor-arg', { ref: 'Server' });
  const ssl = connector.ele(BEANS_NS, 'constructor-arg').ele(BEANS_NS, 'bean', { class: 'org.eclipse.jetty.util.ssl.SslContextFactory$Server' });
  ssl.ele(BEANS_NS, 'property', { name: 'keyStorePath', value: KEYSTORE_FILE });
  ssl.ele(BEANS_NS, 'property', { name: 'keyStorePassword', value: KEYSTORE_PASSWORD_PLACEHOLDER });
  ssl.ele(BEANS_NS, 'property', { name: 'keyStoreType', value: 'PKCS12' });
  connector.ele(BEANS_NS, 'property', { name: 'host', value: "#{systemProperties['jetty.host']}" });
  connector.ele(BEANS_NS, 'property', { name: 'port', value: "#{systemProperties['jetty.port']}" });
}
