import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JolokiaError } from './jolokia';
import { replicationViewOf } from './master-console';

test('decodes the master view of its slaves from a pattern read', () => {
  const v = replicationViewOf({
    'org.apache.activemq:brokerName=xlBroker,instanceName=LevelDB[/data/leveldb],service=PersistenceAdapter,type=Broker,view=Replication': {
      Position: 160389,
      Slaves: [
        { attached: true, position: 160389, nodeId: 'a', remoteAddress: '/10.0.0.2:40000' },
        { attached: false, position: 14696, nodeId: 'b', remoteAddress: '/10.0.0.3:40000' },
      ],
    },
  });
  assert.deepEqual(v, {
    position: 160389,
    slaves: [
      { attached: true, position: 160389 },
      { attached: false, position: 14696 },
    ],
  });
});

test('a slave or an unexpected answer is an error, not an empty view', () => {
  assert.throws(() => replicationViewOf({ 'x:view=Replication': { Position: null, Slaves: [] } }), JolokiaError);
  assert.throws(() => replicationViewOf({}), /expected one replicated store, got 0/);
  assert.throws(() => replicationViewOf({ a: { Position: 1 }, b: { Position: 2 } }), /got 2/);
});
