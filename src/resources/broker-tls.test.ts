import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Service } from '@kubernetes/client-node';
import { desiredState } from './desired-state';
import { renderActiveMqXml } from './activemq-xml';
import { readTls } from './broker-tls';
import { buildBrokerNetworkPolicy } from './network-policies';
import { tlsProblem } from '../controller/plan';
import { ANNOTATION_REVISION, ANNOTATION_TLS } from '../metadata/labels';
import type { ClusterTls } from '../model/tls';
import { CREDENTIALS, cluster } from '../../test/fixtures/clusters';

const TLS: ClusterTls = { secret: 'xl-tls', ca: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n', version: 'uid-1/10' };
const tlsCluster = (plainOpenWirePort?: number) => cluster({ tls: { secretName: 'xl-tls', ...(plainOpenWirePort ? { plainOpenWirePort } : {}) } });
const desired = (c = tlsCluster(), tls: ClusterTls | undefined = TLS) => desiredState(c, { roles: new Map(), credentials: CREDENTIALS, tls });
const connection = (d: ReturnType<typeof desiredState>) => d.applied.find((o) => o.metadata?.name === 'xl-connection') as V1ConfigMap;

test('with spec.tls OpenWire listens on ssl:// with the key store the entrypoint makes, and only plain tcp:// when asked', () => {
  const xml = renderActiveMqXml(tlsCluster(), 1);
  assert.match(
    xml,
    /<sslContext keyStore="file:\$\{activemq.conf\}\/tls\/keystore.p12" keyStorePassword="\$\{AMQ_TLS_KEYSTORE_PASSWORD\}" keyStoreType="pkcs12"\/>/,
  );
  assert.match(xml, /<transportConnector name="openwire" uri="ssl:\/\/0.0.0.0:61617\?/);
  assert.doesNotMatch(xml, /tcp:\/\/0.0.0.0:6161/);
  const both = renderActiveMqXml(tlsCluster(51616), 2);
  assert.match(both, /name="openwire" uri="ssl:\/\/0.0.0.0:61618\?/);
  assert.match(both, /name="openwire-plain" uri="tcp:\/\/0.0.0.0:51618\?/);
  assert.doesNotMatch(renderActiveMqXml(cluster(), 0), /sslContext|ssl:\/\/|AMQ_TLS/);
});

test("the console's connectors are replaced by one https connector, after jetty.xml is imported", () => {
  const xml = renderActiveMqXml(tlsCluster(), 0);
  const imported = xml.indexOf('<import resource="jetty.xml"/>');
  const replaced = xml.indexOf('<bean id="invokeConnectors"');
  assert.ok(imported > 0 && replaced > imported, 'the later definition of invokeConnectors wins');
  assert.match(xml, /class="org.eclipse.jetty.util.ssl.SslContextFactory\$Server"/);
  assert.match(xml, /<property name="keyStorePassword" value="\$\{AMQ_TLS_KEYSTORE_PASSWORD\}"\/>/);
  assert.equal(xml.match(/ServerConnector/g)?.length, 1, 'no plain connector beside it');
  assert.doesNotMatch(renderActiveMqXml(cluster(), 0), /invokeConnectors/);
});

test('the published URLs say ssl://, the connection ConfigMap carries ca.crt and the plain URL only when asked', () => {
  const data = connection(desired()).data ?? {};
  assert.match(data.failoverUrl ?? '', /^failover:\(ssl:\/\/xl-broker-0.mq.svc:61616,ssl:\/\/xl-broker-1.mq.svc:61617,ssl:\/\/xl-broker-2.mq.svc:61618\)/);
  assert.match(data.masterUrl ?? '', /^ssl:\/\/xl-master.mq.svc:61616/);
  assert.equal(data.tlsSecret, 'xl-tls');
  assert.equal(data['ca.crt'], TLS.ca);
  assert.equal(data.plainFailoverUrl, undefined);
  const plain = connection(desired(tlsCluster(51616))).data ?? {};
  assert.match(
    plain.plainFailoverUrl ?? '',
    /^failover:\(tcp:\/\/xl-broker-0.mq.svc:51616,tcp:\/\/xl-broker-1.mq.svc:51617,tcp:\/\/xl-broker-2.mq.svc:51618\)/,
  );
  assert.equal(connection(desired(tlsCluster(), { ...TLS, ca: undefined })).data?.['ca.crt'], undefined, 'no ca.crt: the system roots');
  const off = connection(desiredState(cluster(), { roles: new Map(), credentials: CREDENTIALS })).data ?? {};
  assert.match(off.failoverUrl ?? '', /^failover:\(tcp:\/\//);
  assert.equal(off.tlsSecret, undefined);
});

test('broker pods mount the Secret read-only, and a renewed certificate (new Secret version) is a new revision', () => {
  const pod = desired().brokerPods[0];
  const vol = pod?.spec?.volumes?.find((v) => v.name === 'tls');
  assert.deepEqual(
    vol?.secret?.items?.map((i) => i.key),
    ['tls.crt', 'tls.key', 'ca.crt'],
  );
  assert.equal(vol?.secret?.secretName, 'xl-tls');
  const mount = pod?.spec?.containers[0]?.volumeMounts?.find((m) => m.name === 'tls');
  assert.deepEqual([mount?.mountPath, mount?.readOnly], ['/etc/amq-keeper/tls', true]);
  assert.equal(pod?.metadata?.annotations?.[ANNOTATION_TLS], 'uid-1/10');
  const renewed = desired(tlsCluster(), { ...TLS, version: 'uid-1/11' }).brokerPods[0];
  assert.notEqual(renewed?.metadata?.annotations?.[ANNOTATION_REVISION], pod?.metadata?.annotations?.[ANNOTATION_REVISION]);
  const noCa = desired(tlsCluster(), { ...TLS, ca: undefined }).brokerPods[0];
  assert.deepEqual(
    noCa?.spec?.volumes?.find((v) => v.name === 'tls')?.secret?.items?.map((i) => i.key),
    ['tls.crt', 'tls.key'],
  );
});

test('the plain ports kept beside TLS are named on the pod and the node Service, and open to clients only', () => {
  const c = tlsCluster(51616);
  const d = desired(c);
  assert.ok(d.brokerPods[1]?.spec?.containers[0]?.ports?.some((p) => p.name === 'openwire-plain' && p.containerPort === 51617));
  const svc = d.applied.find((o) => o.metadata?.name === 'xl-broker-1') as V1Service;
  assert.ok(svc.spec?.ports?.some((p) => p.name === 'openwire-plain' && p.port === 51617));
  const rules = buildBrokerNetworkPolicy(c, undefined).spec.ingress;
  const clientRule = rules.find((r) => r.ports.some((p) => p.port === 61616));
  assert.deepEqual(
    clientRule?.ports.map((p) => p.port),
    [61616, 61617, 61618, 51616, 51617, 51618],
  );
});

test('a TLS Secret without tls.crt or tls.key is named with the missing keys; the key itself is never decoded', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const read = readTls({ metadata: { name: 'xl-tls', uid: 'u', resourceVersion: '7' }, data: { 'tls.crt': b64('CERT') } });
  assert.deepEqual(read, { missingKeys: ['tls.key'] });
  const ok = readTls({ metadata: { name: 'xl-tls', uid: 'u', resourceVersion: '7' }, data: { 'tls.crt': b64('C'), 'tls.key': b64('K'), 'ca.crt': b64('CA') } });
  assert.deepEqual(ok, { tls: { secret: 'xl-tls', ca: 'CA', version: 'u/7' } });
  assert.match(tlsProblem({ state: 'missing', secret: 'xl-tls' })?.message ?? '', /Secret "xl-tls" does not exist.*cert-manager/);
  assert.equal(tlsProblem({ state: 'invalid', secret: 'xl-tls', missingKeys: ['tls.key'] })?.field, 'spec.tls.secretName');
  assert.equal(tlsProblem(undefined), undefined);
});
