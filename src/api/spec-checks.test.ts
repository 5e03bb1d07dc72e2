import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSpec, expandableClaims, poisonDeliveries, type GrowthObstacle, type SpecFacts } from './spec-checks';
import { cluster } from '../../test/fixtures/clusters';

test('poison deliveries: the client count restarts after every broker redelivery', () => {
  assert.equal(poisonDeliveries(6, 0), 7, 'client only: 1 + 6');
  assert.equal(poisonDeliveries(0, 3), 4, 'broker only: 1 + 3');
  assert.equal(poisonDeliveries(6, 1), 13, 'measured by test/features.test.ts');
  assert.equal(poisonDeliveries(6, 2), 18);
  assert.equal(poisonDeliveries(6, 6), 28, 'both at ActiveMQ defaults');
  assert.equal(poisonDeliveries(1, 4), 2 + 1 + 1 + 1 + 1, 'broker redeliveries past the client maximum are given up at once');
});

const reasons = (c: ReturnType<typeof cluster>) => checkSpec(c, {}).warnings.map((w) => w.reason);

test('broker redelivery with client redelivery on is reported, with how often a poison message is delivered', () => {
  const both = checkSpec(cluster({ broker: { schedulerSupport: true, redelivery: {} } }), {}).warnings;
  assert.deepEqual(
    both.map((w) => w.reason),
    ['SchedulerNotReplicated', 'ClientRedeliveryStacks'],
  );
  assert.equal(both[1]?.field, 'spec.client.redeliveryPolicy.maximumRedeliveries');
  assert.match(
    both[1]?.message ?? '',
    /^unset \(client default 6\): .* delivered 28 times, not 7, with the default policy \(6 broker redeliveries\); set it to 0/,
  );
  const listed = checkSpec(
    cluster({
      broker: { schedulerSupport: true, redelivery: { destinations: [{ queue: 'a.>', policy: { maximumRedeliveries: 1 } }] } },
      client: { redeliveryPolicy: { maximumRedeliveries: 2 } },
    }),
    {},
  ).warnings;
  assert.match(listed[1]?.message ?? '', /^2: .* delivered 5 times, not 2, with the policy of queue a\.> \(1 broker redelivery\)/);
  const forever = checkSpec(
    cluster({ broker: { schedulerSupport: true, redelivery: {} }, client: { redeliveryPolicy: { maximumRedeliveries: -1 } } }),
    {},
  ).warnings;
  assert.match(forever[1]?.message ?? '', /never give it up, so spec\.broker\.redelivery never starts/);
  assert.deepEqual(reasons(cluster({ broker: { schedulerSupport: true, redelivery: {} }, client: { redeliveryPolicy: { maximumRedeliveries: 0 } } })), [
    'SchedulerNotReplicated',
  ]);
  assert.deepEqual(reasons(cluster({ client: { redeliveryPolicy: { maximumRedeliveries: 6 } } })), [], 'client redelivery alone is fine');
});

test('SchedulerNotReplicated names broker redeliveries only when there are any', () => {
  const [plain] = checkSpec(cluster({ broker: { schedulerSupport: true } }), {}).warnings;
  assert.match(plain?.message ?? '', /^scheduled and delayed messages are kept only in the scheduler store .* the new master does not deliver them$/);
  const [withRedelivery] = checkSpec(
    cluster({ broker: { schedulerSupport: true, redelivery: {} }, client: { redeliveryPolicy: { maximumRedeliveries: 0 } } }),
    {},
  ).warnings;
  assert.match(withRedelivery?.message ?? '', /^scheduled and delayed messages, and messages waiting for a broker redelivery, are kept/);
});

test('sync modes that acknowledge before any replica has the write get a Warning', () => {
  const warned = (sync: string) => checkSpec(cluster({ persistence: { sync } }), {}).warnings.filter((w) => w.reason === 'AcksWithoutReplica');
  for (const sync of ['local_mem', 'local_disk', 'local_mem,local_disk']) {
    assert.match(warned(sync)[0]?.message ?? '', /can be lost; use quorum_mem/, sync);
    assert.equal(warned(sync)[0]?.field, 'spec.persistence.sync');
  }
  for (const sync of ['quorum_mem', 'quorum_disk', 'remote_mem', 'local_disk,remote_mem']) assert.deepEqual(warned(sync), [], sync);
});

test('a larger size that a broker claim cannot follow blocks the spec, naming the class, the claims and the way back', () => {
  const c = cluster({ persistence: { size: '20Gi' } });
  const growth = (obstacle?: GrowthObstacle, storageClass?: string) =>
    ['data-xl-broker-0', 'data-xl-broker-1'].map((claim) => ({ claim, size: '10Gi', storageClass, obstacle }));
  const blocking = (facts: SpecFacts) => checkSpec(c, facts).blocking;
  const [fixed] = blocking({ claimSize: '10Gi', claimGrowth: growth('ExpansionNotAllowed', 'fixed') });
  assert.equal(fixed?.reason, 'VolumeExpansionNotAllowed');
  assert.equal(fixed?.field, 'spec.persistence.size');
  assert.equal(
    fixed?.message,
    'StorageClass fixed does not allow volume expansion (allowVolumeExpansion is not true), so data-xl-broker-0, data-xl-broker-1 ' +
      'cannot grow from 10Gi to 20Gi; set spec.persistence.size back to 10Gi or allow expansion on the class',
  );
  assert.match(
    blocking({ claimGrowth: growth('StorageClassNotFound', 'gone') })[0]?.message ?? '',
    /^StorageClass gone does not exist, .* or create the class/,
  );
  assert.match(blocking({ claimGrowth: growth('NoStorageClass') })[0]?.message ?? '', /have no StorageClass.*; set spec\.persistence\.size back to 10Gi$/);
  assert.match(blocking({ claimGrowth: growth('NotBound', 'grow') })[0]?.message ?? '', /not bound to a volume yet.* or wait until they are bound$/);
  assert.deepEqual(blocking({ claimSize: '10Gi', claimGrowth: growth(undefined, 'grow') }), [], 'a class that allows expansion');
  assert.deepEqual([...expandableClaims({ claimGrowth: growth(undefined, 'grow') })], ['data-xl-broker-0', 'data-xl-broker-1']);
  assert.deepEqual([...expandableClaims({ claimSize: '10Gi' })], [], 'nothing to grow');
});

test('a NetworkPolicy selector with a matchLabels key that is not a label key blocks the spec, naming the entry', () => {
  const c = cluster({
    networkPolicy: { console: [{ podSelector: { matchLabels: { app: 'ok' } } }, { namespaceSelector: { matchLabels: { 'team name': 'x' } } }] },
  });
  assert.deepEqual(checkSpec(c, {}).blocking, [
    {
      reason: 'InvalidLabelSelector',
      field: 'spec.networkPolicy.console[1].namespaceSelector.matchLabels',
      message:
        '"team name" is not a label key; use an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_" and ".", such as app.kubernetes.io/name',
    },
  ]);
  assert.deepEqual(checkSpec(cluster({ networkPolicy: { clients: [{ podSelector: { matchLabels: { 'example.com/app': 'x' } } }] } }), {}).blocking, []);
});
