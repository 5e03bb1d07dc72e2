// Broker metrics on real brokers, run by test/features.test.ts: every broker
// runs the Prometheus JMX exporter agent with the rules the operator rendered,
// on its own port (spec.metrics.port + node). The master counts what a queue
// got, marks its dead-letter queue and its scheduler's jobs; each slave
// answers too and says it is a slave. Every activemq_* metric the shipped
// alert rules and dashboard use is in the master's scrape.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, METRICS_PORT, type FeatureBrokers } from '../support/feature-brokers';
import { runClient } from '../support/jms-client';
import { eventually } from '../support/eventually';
import { linesOf, scrape, sampleValue } from '../support/prometheus';
import { metricNamesUsed } from '../support/monitoring';

const NODES = [0, 1, 2];

export function metricsFeatures(feat: FeatureBrokers): void {
  describe('broker metrics on real brokers', () => {
    test("the master's endpoint counts a queue's sends and receipts and the poison message in its dead-letter queue; each slave's says it is a slave", async () => {
      const master = await feat.settledMaster();
      const [sent, taken] = [10, 4];
      await feat.produce('metrics.orders', sent, ['--persistent']);
      const got = await client(['receive', '--url', feat.publishedUrl, '--queue', 'metrics.orders', '--max', String(taken), '--for-ms', '10000']);
      assert.equal(got.received, taken);
      // A consumer that gives up at once: the seed's individual strategy moves the message to DLQ.metrics.poison.
      await feat.produce('metrics.poison', 1, ['--persistent']);
      const giveUp = await feat.urlWithClient({ redeliveryPolicy: { maximumRedeliveries: 0 } });
      const poisoned = await client(['consume-rollback', '--url', giveUp, '--queue', 'metrics.poison', '--max', '1', '--for-ms', '3000']);
      assert.equal(poisoned.deliveries, 1);

      const orders = { destination: 'metrics.orders', type: 'queue', dead_letter: 'false' };
      const m = await eventually(
        async () => {
          const s = await scrape(METRICS_PORT + master);
          assert.equal(sampleValue(s, 'activemq_destination_enqueue_total', orders), sent);
          assert.equal(sampleValue(s, 'activemq_destination_dequeue_total', orders), taken);
          assert.equal(sampleValue(s, 'activemq_destination_queue_size', orders), sent - taken);
          assert.equal(sampleValue(s, 'activemq_destination_queue_size', { destination: 'DLQ.metrics.poison', dead_letter: 'true' }), 1);
          assert.equal(sampleValue(s, 'activemq_destination_queue_size', { destination: 'metrics.poison', dead_letter: 'false' }), 0);
          assert.equal(sampleValue(s, 'activemq_replication_slaves_attached'), 2);
          return s;
        },
        { what: `the master's (node ${master}) metrics on 127.0.0.1:${METRICS_PORT + master}` },
      );
      assert.equal(sampleValue(m, 'activemq_replication_role', { role: 'master' }), 1);
      // The shipped alert rules and dashboard name only metrics a master really serves.
      const served = new Set(m.map((s) => s.name));
      const used = [...metricNamesUsed()].filter((n) => n.startsWith('activemq_'));
      assert.ok(used.length >= 10, `the rules and the dashboard use ${used.join(' ')}`);
      assert.deepEqual(
        used.filter((n) => !served.has(n)),
        [],
        'every activemq_* metric of the alert rules and the dashboard is in a scrape of the master',
      );
      assert.ok((sampleValue(m, 'activemq_enqueue_total') ?? 0) >= sent + 1, 'the broker total counts the queue');
      assert.ok((sampleValue(m, 'activemq_replication_position') ?? 0) > 0);

      const slaves = NODES.filter((i) => i !== master);
      for (const i of slaves) {
        const s = await eventually(
          async () => {
            const page = await scrape(METRICS_PORT + i);
            assert.equal(sampleValue(page, 'activemq_replication_role', { role: 'slave' }), 1);
            assert.equal(sampleValue(page, 'activemq_replication_attached'), 1);
            return page;
          },
          { what: `slave node ${i}'s metrics on 127.0.0.1:${METRICS_PORT + i}` },
        );
        assert.equal(sampleValue(s, 'activemq_replication_role', { role: 'master' }), undefined);
        assert.equal(sampleValue(s, 'activemq_destination_queue_size', orders), undefined, 'a slave has no destinations');
        assert.ok((sampleValue(s, 'activemq_replication_position') ?? 0) > 0, `slave node ${i} reports its replication position`);
        assert.ok((sampleValue(s, 'jvm_memory_used_bytes', { area: 'heap' }) ?? 0) > 0, "and the JVM's own figures");
        console.log(
          `# metrics of slave node ${i}:\n${linesOf(s, ['activemq_replication_role', 'activemq_replication_attached', 'activemq_replication_position']).join('\n')}`,
        );
      }
      const t0 = performance.now();
      await scrape(METRICS_PORT + master);
      const scrapeMs = Math.round(performance.now() - t0);
      const shown = ['activemq_destination_enqueue_total', 'activemq_destination_dequeue_total', 'activemq_destination_queue_size'];
      const queueLines = linesOf(m, shown).filter((l) => /destination="(metrics\.orders|DLQ\.metrics\.poison)"/.test(l));
      const storeLines = linesOf(m, ['activemq_replication_role', 'activemq_replication_slaves_attached', 'activemq_store_usage_percent']);
      console.log(`# metrics of the master, node ${master} (one scrape: ${scrapeMs} ms):\n${[...queueLines, ...storeLines].join('\n')}`);
    });

    test('a delayed message is one more scheduler job on the master until it is delivered', async () => {
      const master = await feat.settledMaster();
      const jobs = async () => sampleValue(await scrape(METRICS_PORT + master), 'activemq_scheduler_jobs');
      const before = await jobs();
      assert.equal(typeof before, 'number', 'schedulerSupport: the master has a job scheduler');
      const receiving = runClient(['receive', '--url', feat.publishedUrl, '--queue', 'metrics.delayed', '--max', '1', '--for-ms', '20000']);
      await receiving.when((e) => e.event === 'connected');
      await feat.produce('metrics.delayed', 1, ['--persistent', '--delay-ms', '5000']);
      await eventually(async () => assert.equal(await jobs(), (before ?? 0) + 1), { timeoutMs: 4000, what: 'the delayed message as a job' });
      assert.equal((await receiving.done).received, 1);
      await eventually(async () => assert.equal(await jobs(), before), { what: 'the job gone once delivered' });
    });
  });
}
