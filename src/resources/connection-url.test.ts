import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_REDELIVERY_OPTIONS, failoverUrl, masterUrl } from './connection-url';
import { brokerClusterSpecSchema } from '../api/schema';
import { cluster } from '../../test/fixtures/clusters';

test('every spec.client.redeliveryPolicy field is published', () => {
  assert.deepEqual([...CLIENT_REDELIVERY_OPTIONS].sort(), Object.keys(brokerClusterSpecSchema.properties.client.properties.redeliveryPolicy.properties).sort());
});

test('every client option lands in the URLs under the name the 5.16 client reads', () => {
  const c = cluster({
    client: {
      useAsyncSend: true,
      randomize: true,
      maxReconnectAttempts: -1,
      initialReconnectDelay: 20,
      redeliveryPolicy: {
        maximumRedeliveries: 0,
        initialRedeliveryDelay: 1500,
        redeliveryDelay: 2500,
        useExponentialBackOff: true,
        backOffMultiplier: 1.5,
        maximumRedeliveryDelay: 30000,
      },
    },
  });
  const jms =
    'jms.useAsyncSend=true&jms.redeliveryPolicy.maximumRedeliveries=0&jms.redeliveryPolicy.initialRedeliveryDelay=1500' +
    '&jms.redeliveryPolicy.redeliveryDelay=2500&jms.redeliveryPolicy.useExponentialBackOff=true' +
    '&jms.redeliveryPolicy.backOffMultiplier=1.5&jms.redeliveryPolicy.maximumRedeliveryDelay=30000';
  assert.equal(
    failoverUrl(c, (i) => `h${i}`),
    `failover:(tcp://h0:61616,tcp://h1:61617,tcp://h2:61618)?randomize=true&maxReconnectAttempts=-1&initialReconnectDelay=20&${jms}`,
  );
  // The failover options mean nothing to a plain tcp:// URL (the client would reject them).
  assert.equal(masterUrl(c), `tcp://xl-master.mq.svc:61616?${jms}`);
});

test('unset client options are left to the client defaults', () => {
  const c = cluster();
  assert.equal(
    failoverUrl(c, () => 'h'),
    'failover:(tcp://h:61616,tcp://h:61617,tcp://h:61618)?randomize=false',
  );
  assert.equal(masterUrl(c), 'tcp://xl-master.mq.svc:61616');
});
