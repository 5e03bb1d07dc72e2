import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHECKPOINT_ACK_MS, checkpointWritten, judgeGroup, judgeView, newSyncState, type GroupFacts } from './replica-sync';

const facts = (master: string, slaves: string[], expectedSlaves = 2): GroupFacts => ({
  master,
  slaves: slaves.map((id) => ({ memberId: id, pod: `xl-broker-${id}` })),
  expectedSlaves,
});
const view = (...positions: (number | null)[]) => ({ slaves: positions.map((p) => ({ attached: p !== null, position: p ?? 0 })) });

/** Master 1 with both slaves checkpointed at position 50. */
function coveredState(f: GroupFacts) {
  const s = newSyncState();
  judgeGroup(s, f);
  checkpointWritten(s, f, 50, 0);
  judgeView(s, f, view(50, 50), 1);
  return s;
}

test('fresh slaves need a checkpoint; they are in sync once both acknowledged it', () => {
  const s = newSyncState();
  const f = facts('1', ['2', '3']);
  assert.equal(judgeGroup(s, f), 'ask');
  assert.deepEqual(judgeView(s, f, view(100, 100), 0), { write: true }, 'attached is not enough: no write since they attached');
  checkpointWritten(s, f, 180, 0);
  const pending = judgeView(s, f, view(180, 120), 10);
  assert.ok('verdict' in pending && pending.verdict.reason === 'CheckpointPending' && !pending.verdict.inSync);
  const done = judgeView(s, f, view(180, 181), 20);
  assert.ok('verdict' in done && done.verdict.inSync && done.verdict.reason === 'InSync');
  const again = judgeGroup(s, f);
  assert.ok(again !== 'ask' && again.inSync, 'covered slaves need no further call');
});

test('a slave that is still downloading holds everything back and is named', () => {
  const s = newSyncState();
  const f = facts('1', ['2', '3']);
  judgeGroup(s, f);
  const step = judgeView(s, f, view(100, null), 0);
  assert.ok('verdict' in step);
  assert.equal(step.verdict.reason, 'SlaveAttaching');
  assert.match(step.verdict.message, /1 of 2 slaves are attached.*xl-broker-2, xl-broker-3/);
  assert.ok(step.verdict.retryInMs !== undefined, 'the attach is not visible in ZooKeeper: look again');
});

test('a rejoined slave (new member id) is checkpointed again; the one already covered stays covered', () => {
  const f = facts('1', ['2', '3']);
  const s = coveredState(f);
  const rejoined = facts('1', ['2', '4']);
  assert.equal(judgeGroup(s, rejoined), 'ask');
  assert.deepEqual([...s.covered], ['2'], 'the departed member is dropped');
  assert.deepEqual(judgeView(s, rejoined, view(60, 60), 2), { write: true });
});

test('a new master starts from nothing: every slave attached anew', () => {
  const f = facts('1', ['2', '3']);
  const s = coveredState(f);
  assert.equal(judgeGroup(s, facts('2', ['3', '5'])), 'ask');
  assert.equal(s.covered.size, 0);
});

test('a restarted pod counts as in sync again only after its old member left', () => {
  const f = facts('1', ['2', '3']);
  const s = coveredState(f);
  s.retired.add('3');
  const stopping = judgeGroup(s, f);
  assert.ok(stopping !== 'ask' && stopping.reason === 'Restarting' && /xl-broker-3/.test(stopping.message));
  const gone = judgeGroup(s, facts('1', ['2']));
  assert.ok(gone !== 'ask' && gone.reason === 'SlavesMissing' && !gone.inSync && /1 of 2 slaves/.test(gone.message));
  assert.equal(s.retired.size, 0);
  assert.equal(judgeGroup(s, facts('1', ['2', '6'])), 'ask');
});

test('a checkpoint nobody acknowledged is written again after a while', () => {
  const s = newSyncState();
  const f = facts('1', ['2', '3']);
  judgeGroup(s, f);
  checkpointWritten(s, f, 50, 0);
  assert.ok('verdict' in judgeView(s, f, view(40, 40), CHECKPOINT_ACK_MS - 1));
  assert.deepEqual(judgeView(s, f, view(40, 40), CHECKPOINT_ACK_MS), { write: true });
});

test('a slave that joined after the checkpoint was written needs its own', () => {
  const s = newSyncState();
  const one = facts('1', ['2']);
  judgeGroup(s, one);
  checkpointWritten(s, one, 50, 0);
  const two = facts('1', ['2', '3']);
  assert.equal(judgeGroup(s, two), 'ask');
  assert.deepEqual(judgeView(s, two, view(50, 50), 1), { write: true }, 'position 50 proves nothing about a slave that attached at 50');
  assert.deepEqual([...s.covered], ['2']);
});

test('a recheck proves coverage again with a new checkpoint and records when', () => {
  const f = facts('1', ['2', '3']);
  const s = coveredState(f);
  const before = judgeGroup(s, f);
  assert.ok(before !== 'ask' && before.inSync && before.confirmedAt === 1);
  s.recheck = true;
  assert.equal(judgeGroup(s, f), 'ask', 'covered long ago is not enough');
  assert.deepEqual(judgeView(s, f, view(60, 60), 500), { write: true });
  checkpointWritten(s, f, 70, 500);
  const done = judgeView(s, f, view(70, 70), 600);
  assert.ok('verdict' in done && done.verdict.inSync && done.verdict.confirmedAt === 600);
});
