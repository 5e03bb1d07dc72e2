// Client options on real brokers, run by test/features.test.ts: every
// spec.client option the operator publishes, as the 5.16 client takes it;
// async send through the published URL; a producer whose connection drops as
// it closes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NS, PORTS, client, type FeatureBrokers } from '../support/feature-brokers';
import { runClient } from '../support/jms-client';
import { eventually } from '../support/eventually';
import { OPENWIRE, startOpenWireProxy } from '../support/openwire-proxy';
import { localUrl } from '../support/cluster-access';
import { featureCluster } from '../fixtures/clusters';
import { brokerClusterSpecSchema } from '../../src/api/schema';

export function clientOptionFeatures(feat: FeatureBrokers): void {
  describe('client options on real brokers', () => {
    test('every client option the product publishes is accepted and applied by the 5.16 client', async () => {
      // Every spec.client field, so a new one cannot be added without this proof.
      const every = {
        useAsyncSend: true,
        randomize: false,
        maxReconnectAttempts: 5,
        initialReconnectDelay: 20,
        redeliveryPolicy: {
          maximumRedeliveries: 4,
          initialRedeliveryDelay: 1500,
          redeliveryDelay: 2500,
          useExponentialBackOff: true,
          backOffMultiplier: 3,
          maximumRedeliveryDelay: 30_000,
        },
      };
      const schema = brokerClusterSpecSchema.properties.client;
      assert.deepEqual(Object.keys(every).sort(), Object.keys(schema.properties).sort());
      assert.deepEqual(Object.keys(every.redeliveryPolicy).sort(), Object.keys(schema.properties.redeliveryPolicy.properties).sort());

      // A second BrokerCluster with these options: the operator publishes its URLs.
      const opts = featureCluster({ name: 'opts', namespace: NS, ports: PORTS, connectString: feat.zk.connectString });
      opts.spec.zookeeper = { external: { connectString: feat.zk.connectString }, path: '/amq-keeper-test/opts' };
      opts.spec.client = every;
      await feat.kube.apply(opts);
      const conn = await feat.kube.connection('opts');
      const failover = localUrl(conn.data?.failoverUrl ?? '', 'opts', NS);
      const master = await feat.settledMaster();
      const direct = (conn.data?.masterUrl ?? '').replace(/^tcp:\/\/[^?]+/, `tcp://127.0.0.1:${PORTS.openwire + master}`);
      for (const option of [
        'jms.useAsyncSend=true',
        'randomize=false',
        'maxReconnectAttempts=5',
        'initialReconnectDelay=20',
        'jms.redeliveryPolicy.maximumRedeliveryDelay=30000',
      ]) {
        assert.ok(failover.includes(option), `${option} in ${failover}`);
      }
      const want = { ...every.redeliveryPolicy };
      for (const url of [failover, direct]) {
        const ping = await client(['ping', '--url', url, '--timeout-ms', '30000']);
        assert.equal(ping.ok, true, url);
        const o = ping.options as { useAsyncSend: boolean; redeliveryPolicy: typeof want; failover?: Record<string, number | boolean> };
        assert.equal(o.useAsyncSend, true);
        assert.deepEqual(o.redeliveryPolicy, want, url);
        if (url === failover) {
          assert.equal(o.failover?.randomize, false);
          assert.equal(o.failover?.maxReconnectAttempts, 5);
          assert.equal(o.failover?.initialReconnectDelay, 20);
        }
      }
      // And the client really rejects what it does not know, so the check above means something.
      const bad = await runClient(['ping', '--url', `${failover}&jms.redeliveryPolicy.maxRedeliveries=4`, '--timeout-ms', '30000']).done.then(
        () => 'accepted',
        (e: Error) => e.message,
      );
      assert.match(bad, /jms options that couldn't be set on the ConnectionFactory.*Unknown parameters=\[\{redeliveryPolicy\.maxRedeliveries=4\}\]/);
      await feat.kube.k(['-n', NS, 'delete', 'bc', 'opts']);
    });

    test('async send through the published URL: every send is acknowledged by its callback, and arrives', async () => {
      assert.match(feat.publishedUrl, /[?&]jms\.useAsyncSend=true(&|$)/);
      const COUNT = 2000;
      const sent = await client([
        'produce',
        '--url',
        feat.publishedUrl,
        '--queue',
        'async.send',
        '--count',
        String(COUNT),
        '--persistent',
        '--async',
        '--timeout-ms',
        '120000',
      ]);
      assert.equal(sent.useAsyncSend, true, 'the connection took jms.useAsyncSend from the URL');
      assert.equal(sent.errors, 0, `failed sends: ${JSON.stringify(sent.errorSeqs)}`);
      assert.equal(sent.acked, COUNT, 'one successful callback per send');
      const got = await client([
        'consume',
        '--url',
        feat.publishedUrl,
        '--queue',
        'async.send',
        '--expect',
        String(COUNT),
        '--idle-timeout-ms',
        '15000',
        '--drain-ms',
        '1000',
      ]);
      assert.equal(got.missingCount, 0);
      assert.equal(got.distinct, COUNT);
      assert.equal(got.duplicates, 0);
      console.log(
        `# async send: ${COUNT} sent, ${String(sent.acked)} callbacks onSuccess, 0 onException; send loop ${String(sent.sendLoopMs)} ms, all acknowledged after ${String(sent.elapsedMs)} ms; ${String(got.distinct)} received`,
      );
    });

    test("a producer's connection that drops as it closes, after its summary line (a master restarting itself): the run ends with that summary, and the messages arrive", async () => {
      // What a master that restarts itself (demoted by ZooKeeper) does to a
      // producer of the published URL (async send) that has written its summary
      // and is closing: its failover transport reports the drop and the
      // reconnect on its own threads, after the summary line. Made deterministic
      // here: the published URL with one address, a proxy to whichever node
      // serves OpenWire, which cuts the first connection at the client's
      // RemoveInfo (sent by Connection.close()). The RemoveInfo is not replayed
      // after the reconnect, so close() waits out jms.closeTimeout (15 s by default).
      const proxy = await startOpenWireProxy(
        [0, 1, 2].map((i) => PORTS.openwire + i),
        { cutAt: OPENWIRE.REMOVE_INFO },
      );
      try {
        const url = `${feat.publishedUrl.replace(/^failover:\([^)]*\)/, `failover:(tcp://127.0.0.1:${proxy.port})`)}&jms.closeTimeout=3000`;
        assert.match(url, /^failover:\(tcp:\/\/127\.0\.0\.1:\d+\)\?.*jms\.useAsyncSend=true/);
        const run = runClient(['produce', '--url', url, '--queue', 'drop.on.close', '--count', '2', '--persistent', '--timeout-ms', '60000']);
        const sent = await run.done;
        assert.equal(proxy.cuts, 1, 'the connection was cut as the client closed it');
        assert.equal(sent.acked, 2);
        assert.equal(sent.errors, 0);
        // The failover transport reported the drop, on its own threads, after the summary line.
        assert.match(run.stderr(), /after the summary: \{"event":"transportInterrupted"/);
        await eventually(async () => assert.deepEqual((await feat.browse('drop.on.close')).map((m) => m.seq).sort(), [0, 1]));
        console.log(
          `# a connection cut at the producer's close: summary ${JSON.stringify({ acked: sent.acked, errors: sent.errors })}; after it, on stderr: ${run
            .stderr()
            .split('\n')
            .filter((l) => l.startsWith('after the summary'))
            .map((l) => /"event":"(\w+)"/.exec(l)?.[1])
            .join(', ')}`,
        );
      } finally {
        await proxy.close();
      }
    });
  });
}
