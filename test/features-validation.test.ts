// The broker feature settings the API server refuses, each naming the field,
// and what kubectl explain says of them: the CRD on a real control plane, no
// brokers (the features themselves: test/features-*.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { installCrd } from './support/broker-set';
import { clusterAccess } from './support/cluster-access';
import { eventually } from './support/eventually';
import { candidate } from './fixtures/clusters';

const NS = 'feat';

let cp: ControlPlane;
const kube = clusterAccess(() => cp.kubeconfig, NS);

before(async () => {
  cp = await startControlPlane();
  await installCrd(cp.kubeconfig, NS);
});

after(async () => {
  await cp?.stop();
});

describe('settings the API server refuses, naming the field', () => {
  const bad = (broker: Record<string, unknown>) => candidate({ broker }, 'bad', NS);
  const refused = (broker: Record<string, unknown>, message: RegExp) => kube.refuses(bad(broker), message, { dryRun: true });

  test('the valid neighbours of each refused spec are accepted', async () => {
    for (const ok of [
      { schedulerSupport: true, redelivery: { defaultPolicy: { initialRedeliveryDelay: 1000, redeliveryDelay: 1000 } } },
      { deadLetter: { strategy: 'individual', queuePrefix: 'DEAD.', destinations: [{ queue: 'a.>', strategy: 'discard' }] } },
    ]) {
      const r = await kube.kubectl(['apply', '--dry-run=server', '-f', '-'], stringify(bad(ok)));
      assert.equal(r.code, 0, r.stderr);
    }
  });
  test('redelivery without schedulerSupport', () =>
    refused({ redelivery: {} }, /spec\.broker: Invalid value: .*spec\.broker\.redelivery needs spec\.broker\.schedulerSupport: true/));
  test('a redelivery delay under 1000 ms', async () => {
    await refused(
      { schedulerSupport: true, redelivery: { defaultPolicy: { initialRedeliveryDelay: 500 } } },
      /spec\.broker\.redelivery\.defaultPolicy\.initialRedeliveryDelay: Invalid value: 500: .*greater than or equal to 1000/,
    );
    await refused(
      { schedulerSupport: true, redelivery: { destinations: [{ queue: 'q', policy: { redeliveryDelay: 999 } }] } },
      /spec\.broker\.redelivery\.destinations\[0\]\.policy\.redeliveryDelay: Invalid value: 999/,
    );
  });
  test('an unknown dead-letter strategy', async () => {
    await refused({ deadLetter: { strategy: 'bogus' } }, /spec\.broker\.deadLetter\.strategy: Unsupported value: "bogus"/);
    await refused(
      { deadLetter: { destinations: [{ queue: 'q', strategy: 'individal' }] } },
      /spec\.broker\.deadLetter\.destinations\[0\]\.strategy: Unsupported value: "individal"/,
    );
  });
  test('a malformed dead-letter prefix', async () => {
    await refused({ deadLetter: { strategy: 'individual', queuePrefix: 'DLQ>' } }, /spec\.broker\.deadLetter\.queuePrefix: Invalid value: "DLQ>"/);
    await refused(
      { deadLetter: { strategy: 'individual', topicPrefix: 'dead letters.' } },
      /spec\.broker\.deadLetter\.topicPrefix: Invalid value: "dead letters\."/,
    );
    // Empty: the dead-letter queue would be the queue itself.
    await refused({ deadLetter: { strategy: 'individual', queuePrefix: '' } }, /spec\.broker\.deadLetter\.queuePrefix: Invalid value: ""/);
    await refused(
      { deadLetter: { destinations: [{ queue: 'q', queuePrefix: '.DLQ' }] } },
      /spec\.broker\.deadLetter\.destinations\[0\]\.queuePrefix: Invalid value: "\.DLQ"/,
    );
  });

  test('kubectl explain documents each feature setting', async () => {
    const explain = (field: string) => eventually(() => kube.k(['explain', `bc.spec.${field}`]), { what: `explain ${field}` });
    const flat = async (field: string) => (await explain(field)).replace(/\s+/g, ' ');
    assert.match(await flat('broker.schedulerSupport'), /AMQ_SCHEDULED_DELAY.*REPEAT\+1 times.*does not deliver them/);
    assert.match(await flat('broker.redelivery'), /maximumRedeliveries: 0 to let this policy alone decide/);
    assert.match(await flat('broker.redelivery.defaultPolicy'), /no broker redelivery \(see fallbackToDeadLetter\)/);
    assert.match(await flat('broker.deadLetter.strategy'), /ActiveMQ\.DLQ.*DLQ\.orders.*discarding/);
    assert.match(await flat('broker.deadLetter.queuePrefix'), /never empty/);
    assert.match(await flat('broker.deadLetter.processExpired'), /time to live/);
    assert.match(await flat('broker.deadLetter.processNonPersistent'), /non-persistent poison/);
    assert.match(await flat('client.useAsyncSend'), /AsyncCallback/);
    assert.match(await flat('client.redeliveryPolicy.maximumRedeliveries'), /Client default 6 \(7 deliveries\)/);
  });
});
