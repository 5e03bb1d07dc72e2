// Dead letters on real brokers, run by test/features.test.ts: expired
// messages follow processExpired and the discard strategy, and a
// non-persistent poison message follows processNonPersistent.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, type FeatureBrokers } from '../support/feature-brokers';
import { eventually } from '../support/eventually';

export function deadLetterFeatures(feat: FeatureBrokers): void {
  describe('dead letters on real brokers', () => {
    test('expiry follows processExpired and the discard strategy; a non-persistent poison message follows processNonPersistent', async () => {
      const queues = ['expire.default', 'expire.dlq', 'expire.shared', 'expire.discard'];
      const sent = await Promise.all(queues.map((q) => feat.produce(q, 2, ['--persistent', '--ttl-ms', '1000'])));
      const expiredBy = Math.max(...sent.map((s) => Number(s.lastSentAtMs))) + 1000;
      await Promise.all([feat.produce('poison.np.keep', 1, ['--non-persistent']), feat.produce('poison.np.drop', 1, ['--non-persistent'])]);
      await new Promise((r) => setTimeout(r, Math.max(0, expiredBy + 500 - Date.now())));
      // A consumer makes the broker page the messages in and find them expired.
      const received = await Promise.all(queues.map((q) => client(['receive', '--url', feat.publishedUrl, '--queue', q, '--for-ms', '2000'])));
      for (const r of received) assert.equal(r.received, 0, `${String(r.queue)}: expired messages are not delivered`);
      // The poison messages: a consumer that gives up at once, so only the dead-letter policy decides.
      const giveUp = await feat.urlWithClient({ redeliveryPolicy: { maximumRedeliveries: 0 } });
      const poisoned = await Promise.all(
        ['poison.np.keep', 'poison.np.drop'].map((q) => client(['consume-rollback', '--url', giveUp, '--queue', q, '--for-ms', '3000'])),
      );
      for (const p of poisoned) assert.equal(p.deliveries, 1, `${String(p.queue)} delivered once, then given up`);

      const [dlq, shared, npKeep] = await eventually(async () => {
        const d = await feat.browse('DLQ.expire.dlq');
        const s = await feat.browse('ActiveMQ.DLQ', 'expire.shared');
        const n = await feat.browse('DLQ.poison.np.keep');
        assert.equal(d.length, 2, 'processExpired true, individual: DLQ.expire.dlq');
        assert.equal(s.length, 2, 'processExpired true, shared: ActiveMQ.DLQ');
        assert.equal(n.length, 1, 'processNonPersistent true (the seed): DLQ.poison.np.keep');
        return [d, s, n];
      });
      for (const m of [...dlq, ...shared]) assert.match(m.dlqDeliveryFailureCause ?? '', /Message Expired/);
      assert.equal(npKeep[0]?.originalDestination, 'queue://poison.np.keep');
      // Dropped: processExpired false (the seed), discard, processNonPersistent false. Nothing anywhere.
      for (const q of ['expire.default', 'expire.discard', 'poison.np.drop']) {
        assert.equal((await feat.browse(`DLQ.${q}`)).length, 0, `DLQ.${q}`);
        assert.equal((await feat.browse('ActiveMQ.DLQ', q)).length, 0, `ActiveMQ.DLQ from ${q}`);
        assert.equal((await feat.browse(q)).length, 0, `${q} itself`);
      }
      console.log(
        `# expiry: ttl 1000 ms; DLQ.expire.dlq ${dlq.length}, ActiveMQ.DLQ from expire.shared ${shared.length}, expire.default/expire.discard 0; non-persistent poison: kept ${npKeep.length} (persistent in the DLQ: ${String(npKeep[0]?.persistent)}), dropped 1`,
      );
    });
  });
}
