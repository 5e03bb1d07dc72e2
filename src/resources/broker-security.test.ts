import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from 'xmlbuilder2';
import { CREDENTIALS, cluster } from '../../test/fixtures/clusters';
import { renderActiveMqXml } from './activemq-xml';
import { authorizationEntries, credentialsVolume, renderGroups } from './broker-security';
import { buildBrokerConfig } from './broker-config';
import { buildBrokerPod } from './broker-pod';
import { buildCredentialsSecret, readCredentials } from './credentials-secret';

const reader = { username: 'reader', passwordSecret: { name: 'reader-pw', key: 'pw' }, groups: ['readers', 'audit'] };

test('without entries the application and admin groups may do everything; advisories are open to every group', () => {
  const entries = authorizationEntries(cluster({ security: { users: [reader] } }));
  assert.deepEqual(entries, [
    { queue: '>', read: ['admins', 'app'], write: ['admins', 'app'], admin: ['admins', 'app'] },
    { topic: '>', read: ['admins', 'app'], write: ['admins', 'app'], admin: ['admins', 'app'] },
    {
      topic: 'ActiveMQ.Advisory.>',
      read: ['admins', 'app', 'readers', 'audit'],
      write: ['admins', 'app', 'readers', 'audit'],
      admin: ['admins', 'app', 'readers', 'audit'],
    },
  ]);
});

test("with entries: the user's rights as given, and the admin group keeps every right through its catch-all", () => {
  const c = cluster({ security: { users: [reader], authorization: [{ queue: 'orders.>', read: ['readers', 'readers'], write: ['app'] }] } });
  const [orders, queues] = authorizationEntries(c);
  assert.deepEqual(orders, { queue: 'orders.>', read: ['readers'], write: ['app'], admin: [] });
  assert.deepEqual(queues, { queue: '>', read: ['admins'], write: ['admins'], admin: ['admins'] });
});

test('activemq.xml: JAAS log-in then the authorization map, before the redelivery plugin; nothing with authentication off', () => {
  const xml = renderActiveMqXml(cluster({ broker: { redelivery: {} } }), 0);
  const order = ['jaasAuthenticationPlugin configuration="activemq"', '<authorizationPlugin>', 'tempDestinationAuthorizationEntry', '<redeliveryPlugin'].map(
    (s) => xml.indexOf(s),
  );
  assert.ok(
    order.every((at, i) => at > 0 && (i === 0 || at > (order[i - 1] ?? 0))),
    xml,
  );
  assert.equal(xml.match(/<plugins>/g)?.length, 1, 'one <plugins>');
  assert.ok(create(xml), 'well-formed');
  const open = renderActiveMqXml(cluster({ security: { authentication: false } }), 0);
  assert.ok(!open.includes('jaasAuthenticationPlugin') && !open.includes('authorizationPlugin'));
});

test('groups.properties names users only; no password reaches the ConfigMap; the pod mounts the Secrets and its revision follows the Secret', () => {
  const c = cluster({ security: { users: [reader] } });
  assert.equal(renderGroups(c, CREDENTIALS), 'admins=admin\napp=app\nreaders=reader\naudit=reader\n');
  const cm = buildBrokerConfig(c, [0, 1, 2], [], CREDENTIALS);
  const text = JSON.stringify(cm);
  for (const p of [CREDENTIALS.app.password, CREDENTIALS.admin.password, CREDENTIALS.zookeeperPassword ?? 'x']) assert.ok(!text.includes(p));
  assert.ok(cm.data?.['groups.properties']);
  assert.equal(buildBrokerConfig(cluster({ security: { authentication: false } }), [0], [], CREDENTIALS).data?.['groups.properties'], undefined);

  const volume = credentialsVolume(c, 'xl-credentials');
  const paths = volume.projected?.sources?.flatMap((s) => (s.secret?.items ?? []).map((i) => `${s.secret?.name}:${i.key}->${i.path}`));
  assert.deepEqual(paths?.slice(0, 4), [
    'xl-credentials:username->app/username',
    'xl-credentials:password->app/password',
    'xl-credentials:admin-username->admin/username',
    'xl-credentials:admin-password->admin/password',
  ]);
  assert.ok(paths?.includes('reader-pw:pw->users/reader'));
  const pod = buildBrokerPod(c, 0, '<xml/>', undefined, CREDENTIALS);
  assert.equal(pod.spec?.containers[0]?.volumeMounts?.find((m) => m.name === 'credentials')?.readOnly, true);
  assert.ok(!JSON.stringify(pod).includes(CREDENTIALS.admin.password));
  const rotated = buildBrokerPod(c, 0, '<xml/>', undefined, { ...CREDENTIALS, version: 'uid-1/2' });
  assert.notEqual(rotated.metadata?.annotations?.['amqkeeper.io/revision'], pod.metadata?.annotations?.['amqkeeper.io/revision']);
});

test('the generated Secret is owned by the cluster; reading a Secret names the keys it lacks', () => {
  const s = buildCredentialsSecret(cluster(), { app: 'a'.repeat(32), admin: 'b'.repeat(32), zookeeper: 'c'.repeat(32) });
  assert.equal(s.metadata?.name, 'xl-credentials');
  assert.equal(s.metadata?.ownerReferences?.[0]?.kind, 'BrokerCluster');
  const b64 = (v: string) => Buffer.from(v).toString('base64');
  const data = Object.fromEntries(Object.entries(s.stringData ?? {}).map(([k, v]) => [k, b64(v)]));
  const read = readCredentials({ ...s, data, metadata: { ...s.metadata, uid: 'u', resourceVersion: '7' } });
  assert.ok('credentials' in read);
  assert.deepEqual(read.credentials.admin, { username: 'admin', password: 'b'.repeat(32) });
  assert.equal(read.credentials.version, 'u/7');
  assert.deepEqual(readCredentials({ data: { username: b64('u'), password: '' } }), { missingKeys: ['password', 'admin-username', 'admin-password'] });
});
