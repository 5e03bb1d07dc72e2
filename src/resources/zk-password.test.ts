// The group znodes' password: rendered as a placeholder only when the cluster's
// credentials have one, and brought into the pod from the Secret only then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { create } from 'xmlbuilder2';
import { renderActiveMqXml, ZK_PASSWORD_PLACEHOLDER } from './activemq-xml';
import { buildBrokerConfig } from './broker-config';
import { credentialsVolume, ZK_PASSWORD_FILE } from './broker-security';
import { desiredState } from './desired-state';
import { CREDENTIALS, cluster } from '../../test/fixtures/clusters';
import type { ClusterCredentials } from '../model/credentials';

/** The attributes of the <replicatedLevelDB> element. */
function store(xml: string): Record<string, string> {
  const doc = create(xml).toObject() as { beans: { broker: { persistenceAdapter: { replicatedLevelDB: Record<string, string> } } } };
  const attrs = doc.beans.broker.persistenceAdapter.replicatedLevelDB;
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k.replace(/^@/, ''), v]));
}

const WITHOUT_ZK: ClusterCredentials = { ...CREDENTIALS, zookeeperPassword: undefined };

test('zkPassword is the ${AMQ_ZK_PASSWORD} placeholder with a ZooKeeper password, and absent without one', () => {
  const c = cluster();
  assert.equal(ZK_PASSWORD_PLACEHOLDER, '${AMQ_ZK_PASSWORD}');
  assert.equal(store(renderActiveMqXml(c, 0, true)).zkPassword, '${AMQ_ZK_PASSWORD}');
  assert.equal(store(renderActiveMqXml(c, 0)).zkPassword, undefined, 'not even empty: an empty password logs in as "fabric:"');
  assert.equal(store(renderActiveMqXml(c, 0, false)).zkPassword, undefined);
  assert.doesNotMatch(renderActiveMqXml(c, 0), /zkPassword/);
});

test('the ConfigMap renders zkPassword from the credentials, and never holds the password itself', () => {
  const c = cluster();
  for (const [creds, want] of [
    [CREDENTIALS, '${AMQ_ZK_PASSWORD}'],
    [WITHOUT_ZK, undefined],
    [undefined, undefined],
  ] as const) {
    for (const cm of [
      buildBrokerConfig(c, [0, 1, 2], [], creds),
      desiredState(c, { roles: new Map(), credentials: creds }).applied.find(
        (o): o is V1ConfigMap => o.kind === 'ConfigMap' && o.metadata?.name === 'xl-broker-config',
      ),
    ]) {
      assert.ok(cm?.data);
      for (const i of [0, 1, 2]) assert.equal(store(cm.data[`activemq-${i}.xml`] ?? '').zkPassword, want, `node ${i}`);
      assert.ok(!JSON.stringify(cm.data).includes('zk-secret'), 'the password is not in the ConfigMap');
    }
  }
});

test('the credentials volume brings zookeeper/password only when the Secret has the key', () => {
  const c = cluster();
  const items = (zookeeper?: boolean) =>
    credentialsVolume(c, 'xl-credentials', zookeeper).projected?.sources?.[0]?.secret?.items?.map((it) => `${it.key}->${it.path}`);
  assert.deepEqual(items(true), [
    'username->app/username',
    'password->app/password',
    'admin-username->admin/username',
    'admin-password->admin/password',
    `zookeeper-password->${ZK_PASSWORD_FILE}`,
  ]);
  assert.equal(ZK_PASSWORD_FILE, 'zookeeper/password');
  assert.ok(!items(false)?.some((i) => i.includes('zookeeper')));
  assert.ok(!items()?.some((i) => i.includes('zookeeper')), 'a missing projected item would keep the pod from starting');

  const podItems = (creds: ClusterCredentials) => {
    const pod: V1Pod | undefined = desiredState(c, { roles: new Map(), credentials: creds }).brokerPods[0];
    const vol = pod?.spec?.volumes?.find((v) => v.name === 'credentials');
    return vol?.projected?.sources?.[0]?.secret?.items?.map((it) => it.key) ?? [];
  };
  assert.ok(podItems(CREDENTIALS).includes('zookeeper-password'));
  assert.ok(!podItems(WITHOUT_ZK).includes('zookeeper-password'));
});
