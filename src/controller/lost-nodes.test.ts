import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster } from '../../test/fixtures/clusters';
import type { BrokerCluster } from '../api/types';
import { planLostNodes, type LostNodeInput } from './lost-nodes';
import type { PodNode } from './node-facts';

const DOWN = new Date('2026-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(DOWN.getTime() + ms);
const onLost = (pod: string, o: Partial<PodNode> = {}): PodNode => ({
  pod,
  uid: `uid-${pod}`,
  node: 'node-b',
  nodeGone: false,
  nodeReady: 'Unknown',
  nodeSince: DOWN.toISOString(),
  claim: `data-${pod}`,
  claimPinned: false,
  ...o,
});
const input = (podNodes: PodNode[], o: Partial<LostNodeInput> = {}): LostNodeInput => ({
  cluster: cluster(),
  podNodes,
  master: 'xl-broker-0',
  masterKnown: true,
  isBroker: (pod) => pod.includes('-broker-'),
  now: at(61_000),
  ...o,
});

test('a node down for less than lostNodeTimeout: nothing yet, looked at again when it would count', () => {
  const step = planLostNodes(input([onLost('xl-broker-1')], { now: at(20_000) }));
  assert.deepEqual(step.lost, []);
  assert.deepEqual(step.deletes, []);
  assert.equal(step.recheckInMs, 40_000);
  const custom = planLostNodes(input([onLost('xl-broker-1')], { cluster: cluster({ lostNodeTimeout: '10s' }), now: at(20_000) }));
  assert.equal(custom.deletes.length, 1, 'as set in the spec');
});

test('a slave and a ZooKeeper server on a lost node are force-deleted by uid, with one Warning each', () => {
  const step = planLostNodes(input([onLost('xl-broker-1'), onLost('xl-zk-2')]));
  assert.deepEqual(step.deletes, [
    { pod: 'xl-broker-1', uid: 'uid-xl-broker-1' },
    { pod: 'xl-zk-2', uid: 'uid-xl-zk-2' },
  ]);
  assert.deepEqual(
    step.lost.map((p) => [p.pod, p.action]),
    [
      ['xl-broker-1', 'Deleted'],
      ['xl-zk-2', 'Deleted'],
    ],
  );
  assert.match(step.events[0]?.note ?? '', /xl-broker-1 is on lost node node-b \(not reporting for 61 s\): force-deleted, to be recreated on another node/);
  // Reported once: the next reconcile that still sees it adds no Event.
  const seen: BrokerCluster = { ...cluster(), status: { lostPods: step.lost } };
  assert.deepEqual(planLostNodes(input([onLost('xl-broker-1'), onLost('xl-zk-2')], { cluster: seen })).events, []);
});

test('never the elected master, nor a broker while ZooKeeper cannot be read; a gone node counts at once', () => {
  const master = planLostNodes(input([onLost('xl-broker-0')]));
  assert.deepEqual(master.deletes, []);
  assert.equal(master.lost[0]?.action, 'Waiting');
  assert.match(master.lost[0]?.message ?? '', /still has it as the elected master/);
  const blind = planLostNodes(input([onLost('xl-broker-1')], { masterKnown: false }));
  assert.deepEqual(blind.deletes, []);
  assert.match(blind.lost[0]?.message ?? '', /cannot be read/);
  // A ZooKeeper server is no master: it goes even then.
  assert.equal(planLostNodes(input([onLost('xl-zk-0')], { masterKnown: false })).deletes.length, 1);
  const gone = planLostNodes(input([onLost('xl-broker-2', { nodeGone: true, nodeSince: undefined, nodeReady: undefined })], { now: at(1000) }));
  assert.equal(gone.deletes.length, 1);
  assert.match(gone.events[0]?.note ?? '', /\(gone\)/);
});

test('a claim tied to the lost node: left with the fix in the message, unless deleteClaim allows a new claim', () => {
  const pinned = onLost('xl-broker-2', { claimPinned: true });
  const held = planLostNodes(input([pinned]));
  assert.deepEqual(held.deletes, []);
  assert.match(held.lost[0]?.message ?? '', /claim data-xl-broker-2 is on a volume tied to node node-b: .*spec\.persistence\.deleteClaim: true/);
  const allowed = planLostNodes(input([pinned], { cluster: cluster({ persistence: { deleteClaim: true } }) }));
  assert.deepEqual(allowed.deletes, [{ pod: 'xl-broker-2', uid: 'uid-xl-broker-2', claim: 'data-xl-broker-2' }]);
  assert.match(allowed.lost[0]?.message ?? '', /with a new claim in place of data-xl-broker-2/);
});
