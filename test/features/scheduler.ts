// Scheduled delivery on real brokers, run by test/features.test.ts: delay,
// period and repeat as the seed uses them, and what a failover does to
// scheduled messages (they are not replicated).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { METRICS_PORT, NAME, PORTS, client, gaps, messages, type FeatureBrokers } from '../support/feature-brokers';
import { runClient } from '../support/jms-client';
import { portOpen } from '../support/broker-set';
import { eventually } from '../support/eventually';
import { sampleValue, scrape } from '../support/prometheus';

export function schedulerFeatures(feat: FeatureBrokers): void {
  describe('scheduled delivery on real brokers', () => {
    test('delayed delivery: AMQ_SCHEDULED_DELAY 3000 arrives no earlier than 3 s later; delay 3 s, period 4 s, repeat 5 delivers each message 6 times', async () => {
      const delayed = runClient(['receive', '--url', feat.publishedUrl, '--queue', 'sched.delay', '--for-ms', '12000']);
      const repeated = runClient(['receive', '--url', feat.publishedUrl, '--queue', 'sched.repeat', '--for-ms', '36000', '--timeout-ms', '60000']);
      await Promise.all([delayed.when((e) => e.event === 'connected'), repeated.when((e) => e.event === 'connected')]);
      // The seed's Producer_Delay: three messages, delay 3 s, period 4 s, repeat 5.
      await Promise.all([
        feat.produce('sched.delay', 3, ['--persistent', '--delay-ms', '3000']),
        feat.produce('sched.repeat', 3, ['--persistent', '--delay-ms', '3000', '--period-ms', '4000', '--repeat', '5']),
      ]);

      const once = messages(await delayed.done);
      assert.equal(once.length, 3, 'each delayed message once');
      const waited = once.map((m) => m.atMs - m.timestamp);
      for (const w of waited) assert.ok(w >= 3000 && w < 6000, `arrived ${w} ms after it was sent`);

      const all = messages(await repeated.done);
      const bySeq = [0, 1, 2].map((s) => all.filter((m) => m.seq === s));
      const offsets = bySeq.map((ms) => ms.map((m) => m.atMs - m.timestamp));
      console.log(
        `# scheduled: delay 3000 arrived after ${waited.join(', ')} ms; delay 3000/period 4000/repeat 5: ${all.length} deliveries for 3 messages, offsets of message 0: ${offsets[0]?.join(', ')} ms`,
      );
      // ActiveMQ delivers REPEAT+1 times: 18 for the seed's three messages, not the 15 it claims.
      assert.equal(all.length, 18);
      for (const [seq, ms] of bySeq.entries()) {
        assert.equal(ms.length, 6, `message ${seq}`);
        assert.ok(ms[0]!.atMs - ms[0]!.timestamp >= 3000, `message ${seq} first delivery not before the delay`);
        for (const g of gaps(ms)) assert.ok(g >= 3500 && g <= 5500, `message ${seq}: ${g} ms between deliveries, period 4000`);
      }
    });

    test('a failover in the middle of scheduled deliveries: the new master does not deliver them (SchedulerNotReplicated)', async () => {
      const warning = await feat.kube.condition(NAME, 'Warning');
      assert.equal(warning?.status, 'True');
      assert.equal(warning?.reason, 'SchedulerNotReplicated');
      assert.match(
        warning?.message ?? '',
        /spec\.broker\.schedulerSupport: scheduled and delayed messages, and messages waiting for a broker redelivery, .*new master does not deliver them/,
      );

      const old = await feat.settledMaster();
      const DELAY = 45_000;
      const sent = await feat.produce('sched.failover', 5, ['--persistent', '--delay-ms', String(DELAY)]);
      const dueAt = Number(sent.lastSentAtMs) + DELAY;
      // And one message waiting in the scheduler for a broker redelivery (the slow.> policy: 60 s).
      await feat.produce('slow.redeliver', 1, ['--persistent']);
      const giveUp = await feat.urlWithClient({ redeliveryPolicy: { maximumRedeliveries: 0 } });
      const first = await client(['consume-rollback', '--url', giveUp, '--queue', 'slow.redeliver', '--max', '1', '--for-ms', '10000']);
      assert.equal(first.deliveries, 1);
      const jobsBefore = await client(['scheduled', '--url', feat.publishedUrl]);
      assert.equal(jobsBefore.remoteAddress, `tcp://127.0.0.1:${PORTS.openwire + old}`);
      assert.equal(jobsBefore.count, 6, 'the master holds 5 scheduled messages and 1 redelivery');

      const t0 = Date.now();
      await feat.killNode(old);
      const next = await feat.settledMaster(old, 60_000).catch(async () => {
        // Seen once in ~20 kills: the elector stays in its reconnect loop to the dead
        // master and never reports its own position, so the election never ends
        // (a replicated LevelDB race, not what this test is about). Restarting the
        // survivors ends it; the jobs were scheduled on the killed node, not on them.
        console.log(`# no master 60 s after killing node ${old}: the LevelDB election hung; restarting the other two nodes`);
        const others = [0, 1, 2].filter((n) => n !== old);
        await Promise.all(others.map((n) => feat.killNode(n)));
        await Promise.all(others.map((n) => feat.startNode(n)));
        return feat.settledMaster(old);
      });
      const failoverMs = Date.now() - t0;
      const jobsAfter = await client(['scheduled', '--url', feat.publishedUrl]);
      assert.equal(jobsAfter.remoteAddress, `tcp://127.0.0.1:${PORTS.openwire + next}`);
      assert.equal(jobsAfter.count, 0, 'the new master has no scheduled jobs');
      // Its metrics endpoint says so too; the killed master's is gone with it.
      const page = await eventually(async () => {
        const s = await scrape(METRICS_PORT + next);
        assert.equal(sampleValue(s, 'activemq_replication_role', { role: 'master' }), 1);
        return s;
      });
      assert.equal(sampleValue(page, 'activemq_scheduler_jobs'), 0);
      assert.equal(await portOpen(METRICS_PORT + old), false, `the killed master's metrics port ${METRICS_PORT + old}`);

      // The scheduler itself works on the new master: a message scheduled now arrives.
      const control = runClient(['receive', '--url', feat.publishedUrl, '--queue', 'sched.after.failover', '--for-ms', '10000']);
      await control.when((e) => e.event === 'connected');
      await feat.produce('sched.after.failover', 1, ['--persistent', '--delay-ms', '2000']);
      assert.equal((await control.done).received, 1, 'a message scheduled after the failover is delivered');

      // Wait out the delay (plus a margin): nothing scheduled before the failover arrives.
      const late = await client([
        'receive',
        '--url',
        feat.publishedUrl,
        '--queue',
        'sched.failover',
        '--for-ms',
        String(Math.max(5000, dueAt + 8000 - Date.now())),
        '--timeout-ms',
        '120000',
      ]);
      assert.equal(late.received, 0, 'scheduled before the failover, never delivered by the new master');
      // The message that waited for its redelivery is nowhere: not in its queue, not dead-lettered.
      assert.equal((await client(['receive', '--url', feat.publishedUrl, '--queue', 'slow.redeliver', '--for-ms', '2000'])).received, 0);
      assert.equal((await feat.browse('DLQ.slow.redeliver')).length, 0);
      assert.equal((await feat.browse('ActiveMQ.DLQ', 'slow.redeliver')).length, 0);
      console.log(
        `# failover at ${Math.round((t0 - Number(sent.lastSentAtMs)) / 1000)} s of a ${DELAY / 1000} s delay: master node ${old} -> ${next} in ${failoverMs} ms; scheduled jobs ${String(jobsBefore.count)} -> ${String(jobsAfter.count)}; delivered after the delay: ${String(late.received)} of 5; the broker redelivery: lost`,
      );

      // The killed node comes back as a slave.
      await feat.startNode(old);
      await feat.kube.untilCluster(
        NAME,
        (bc) => {
          const members = bc.status?.members ?? [];
          assert.equal(members.length, 3);
          assert.equal(members.find((m) => m.pod === `${NAME}-broker-${old}`)?.role, 'slave');
        },
        { timeoutMs: 90_000, what: `node ${old} back as a slave` },
      );
    });
  });
}
