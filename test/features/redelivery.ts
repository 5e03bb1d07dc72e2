// Redelivery on real brokers, run by test/features.test.ts: the seed's
// client-side redelivery, broker-side redelivery (redeliveryPlugin), and both
// at once, each ending in the dead-letter queue its policy names.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NAME, client, gaps, messages, type FeatureBrokers } from '../support/feature-brokers';
import { eventually } from '../support/eventually';
import { poisonDeliveries } from '../../src/api/spec-checks';

export function redeliveryFeatures(feat: FeatureBrokers): void {
  describe('redelivery on real brokers', () => {
    test("client-side redelivery (the seed's 6 x 1 s): 7 deliveries about 1 s apart, then DLQ.<queue> (individual) or ActiveMQ.DLQ (shared)", async () => {
      await Promise.all([feat.produce('client.redeliver.individual', 1, ['--persistent']), feat.produce('client.redeliver.shared', 1, ['--persistent'])]);
      const [individual, shared] = await Promise.all([
        client(['consume-rollback', '--url', feat.publishedUrl, '--queue', 'client.redeliver.individual', '--mode', 'transacted', '--for-ms', '11000']),
        client(['consume-rollback', '--url', feat.publishedUrl, '--queue', 'client.redeliver.shared', '--mode', 'client-ack', '--for-ms', '11000']),
      ]);
      for (const [name, run] of [
        ['transacted rollback', individual],
        ['CLIENT_ACKNOWLEDGE recover', shared],
      ] as const) {
        const ds = messages(run);
        console.log(`# client redelivery (${name}): ${ds.length} deliveries, gaps ${gaps(ds).join(', ')} ms`);
        assert.equal(ds.length, 7, `${name}: 1 delivery + maximumRedeliveries 6`);
        assert.deepEqual(
          ds.map((d) => d.redeliveryCounter),
          [0, 1, 2, 3, 4, 5, 6],
        );
        for (const g of gaps(ds)) assert.ok(g >= 950 && g <= 3000, `${name}: ${g} ms between deliveries, redeliveryDelay 1000`);
      }
      await eventually(async () => {
        const dlq = await feat.browse('DLQ.client.redeliver.individual');
        assert.equal(dlq.length, 1, 'individual: DLQ.<queue>');
        assert.equal(dlq[0]?.originalDestination, 'queue://client.redeliver.individual');
        assert.match(dlq[0]?.dlqDeliveryFailureCause ?? '', /Delivery\[7\] exceeds redelivery policy limit/);
        assert.equal((await feat.browse('ActiveMQ.DLQ', 'client.redeliver.shared')).length, 1, 'shared: ActiveMQ.DLQ');
      });
      assert.equal((await feat.browse('ActiveMQ.DLQ', 'client.redeliver.individual')).length, 0);
      assert.equal((await feat.browse('DLQ.client.redeliver.shared')).length, 0);
      assert.equal((await feat.browse('client.redeliver.individual')).length, 0);
    });

    test('broker-side redelivery (redeliveryPlugin) with a client that gives up at once: maximumRedeliveries 3 at 1 s, 2 s, 4 s, then the dead-letter queue', async () => {
      const url = await feat.urlWithClient({ redeliveryPolicy: { maximumRedeliveries: 0 } });
      assert.match(url, /jms\.redeliveryPolicy\.maximumRedeliveries=0/);
      await Promise.all([feat.produce('broker.redeliver.individual', 1, ['--persistent']), feat.produce('broker.redeliver.shared', 1, ['--persistent'])]);
      const [individual, shared] = await Promise.all([
        client(['consume-rollback', '--url', url, '--queue', 'broker.redeliver.individual', '--mode', 'transacted', '--for-ms', '14000']),
        client(['consume-rollback', '--url', url, '--queue', 'broker.redeliver.shared', '--mode', 'client-ack', '--for-ms', '14000']),
      ]);
      for (const [name, run] of [
        ['transacted rollback', individual],
        ['CLIENT_ACKNOWLEDGE recover', shared],
      ] as const) {
        const ds = messages(run);
        console.log(`# broker redelivery (${name}): ${ds.length} deliveries, gaps ${gaps(ds).join(', ')} ms for delays 1000, 2000, 4000`);
        assert.equal(ds.length, 4, `${name}: 1 delivery + maximumRedeliveries 3`);
        // The broker numbers its redeliveries and stamps the delay it used.
        assert.deepEqual(
          ds.map((d) => d.redeliveryCounter),
          [0, 1, 2, 3],
        );
        assert.deepEqual(
          ds.map((d) => d.brokerRedeliveryDelay),
          [null, 1000, 2000, 4000],
        );
        for (const [i, g] of gaps(ds).entries()) {
          const delay = 1000 * 2 ** i;
          assert.ok(g >= delay - 50 && g <= delay + 2000, `${name}: redelivery ${i + 1} after ${g} ms, delay ${delay}`);
        }
      }
      await eventually(async () => {
        const dlq = await feat.browse('DLQ.broker.redeliver.individual');
        assert.equal(dlq.length, 1, 'individual: DLQ.<queue>');
        assert.equal(dlq[0]?.originalDestination, 'queue://broker.redeliver.individual');
        assert.equal((await feat.browse('ActiveMQ.DLQ', 'broker.redeliver.shared')).length, 1, 'shared: ActiveMQ.DLQ');
      });
      assert.equal((await feat.browse('DLQ.broker.redeliver.shared')).length, 0);
    });

    test('broker and client redelivery together: the client count restarts after every broker redelivery (the Warning says how often)', async () => {
      await feat.produce('stacked.redeliver', 1, ['--persistent']);
      // The published URL: client maximumRedeliveries 6; the stacked.> broker policy: 1.
      const ds = messages(await client(['consume-rollback', '--url', feat.publishedUrl, '--queue', 'stacked.redeliver', '--for-ms', '18000']));
      console.log(`# client 6 + broker 1 redeliveries: ${ds.length} deliveries, counters ${ds.map((d) => d.redeliveryCounter).join(',')}`);
      assert.equal(ds.length, poisonDeliveries(6, 1));
      assert.equal(ds.length, 13);
      assert.deepEqual(
        ds.map((d) => d.redeliveryCounter),
        [0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6],
      );
      await eventually(async () => assert.equal((await feat.browse('DLQ.stacked.redeliver')).length, 1));
      const warning = await feat.kube.condition(NAME, 'Warning');
      assert.match(
        warning?.message ?? '',
        /spec\.client\.redeliveryPolicy\.maximumRedeliveries: 6: .* delivered 22 times, not 4, with the policy of queue broker\.redeliver\.>/,
      );
      assert.equal(poisonDeliveries(6, 3), 22);
    });
  });
}
