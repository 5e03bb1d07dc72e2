import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRestart, type PodView, UNREADY_SETTLE_MS } from './roller';

const pod = (name: string, o: Partial<PodView> = {}): PodView => ({ name, ready: true, terminating: false, outdated: true, ...o });

test('nothing outdated: nothing to do', () => {
  assert.deepEqual(nextRestart([pod('a', { outdated: false })], 'a'), { action: 'none' });
});

test('unready pods first, then slaves, the master last', () => {
  const pods = [pod('b-0'), pod('b-1', { ready: false }), pod('b-2')];
  assert.equal((nextRestart(pods, 'b-0') as { pod: string }).pod, 'b-1');
  const allReady = [pod('b-0'), pod('b-1'), pod('b-2')];
  assert.equal((nextRestart(allReady, 'b-0') as { pod: string }).pod, 'b-1');
  const onlyMasterLeft = [pod('b-0'), pod('b-1', { outdated: false }), pod('b-2', { outdated: false })];
  assert.deepEqual(nextRestart(onlyMasterLeft, 'b-0'), { action: 'restart', pod: 'b-0', reason: 'master last' });
});

test('one at a time: waits while a pod terminates or an up-to-date pod is not ready', () => {
  assert.equal(nextRestart([pod('b-0'), pod('b-1', { terminating: true })], 'b-0').action, 'wait');
  const d = nextRestart([pod('b-0'), pod('b-1', { outdated: false, ready: false })], 'b-0');
  assert.deepEqual(d, { action: 'wait', reason: 'b-1 not ready' });
});

test('a closed gate holds back slaves and the master, not a pod that serves nobody', () => {
  const closed = { open: false, reason: 'xl-broker-1 is attaching' };
  const all = [pod('b-0'), pod('b-1'), pod('b-2')];
  assert.deepEqual(nextRestart(all, 'b-0', closed), { action: 'wait', reason: 'xl-broker-1 is attaching' });
  assert.deepEqual(nextRestart([pod('b-0', { outdated: false }), pod('b-1', { ready: false })], 'b-0', closed), {
    action: 'restart',
    pod: 'b-1',
    reason: 'not ready',
  });
  assert.equal((nextRestart(all, 'b-0', { open: true, reason: 'in sync' }) as { pod: string }).pod, 'b-1');
});

test('leaving nodes go after the others run the new revision: one that serves nobody first, then slaves, the master last', () => {
  const staying = [pod('b-0', { outdated: false }), pod('b-1', { outdated: false }), pod('b-2', { outdated: false })];
  const leaving = [pod('b-3', { leaving: true }), pod('b-4', { leaving: true })];
  assert.deepEqual(nextRestart([pod('b-0'), ...staying.slice(1), ...leaving], 'b-4'), { action: 'restart', pod: 'b-0', reason: 'slave first' });
  assert.deepEqual(nextRestart([...staying, ...leaving], 'b-4'), { action: 'remove', pod: 'b-3', reason: 'leaving, slaves first' });
  assert.deepEqual(nextRestart([...staying, leaving[1]!], 'b-4'), { action: 'remove', pod: 'b-4', reason: 'leaving, the master last' });
  const idle = pod('b-4', { leaving: true, ready: false });
  assert.deepEqual(nextRestart([...staying, leaving[0]!, idle], 'b-3'), { action: 'remove', pod: 'b-4', reason: 'leaving, not ready' });
  assert.equal(nextRestart([...staying, leaving[0]!, idle], 'b-4').action, 'wait', 'a leaving master is never taken down unready');
  assert.equal(nextRestart([...staying, ...leaving], 'b-4', { open: false, reason: 'attaching' }).action, 'wait');
});

test('a strict gate holds back even a pod that serves nobody', () => {
  const strict = { open: false, strict: true, reason: 'ZooKeeper cannot be read' };
  assert.deepEqual(nextRestart([pod('b-0'), pod('b-1', { ready: false })], 'b-0', strict), { action: 'wait', reason: 'ZooKeeper cannot be read' });
});

test('a pod unready for a moment is waited for, not restarted; nor is an unready master', () => {
  const briefly = [pod('b-0'), pod('b-1', { ready: false, unreadyMs: 4000 }), pod('b-2')];
  assert.deepEqual(nextRestart(briefly, 'b-0'), { action: 'wait', reason: 'b-1 not ready' });
  const long = [pod('b-0'), pod('b-1', { ready: false, unreadyMs: UNREADY_SETTLE_MS }), pod('b-2')];
  assert.deepEqual(nextRestart(long, 'b-0'), { action: 'restart', pod: 'b-1', reason: 'not ready' });
  // A master elected and still starting (waiting for a slave) is not "serving nobody".
  const startingMaster = [pod('b-0', { ready: false, unreadyMs: 600_000 }), pod('b-1'), pod('b-2')];
  assert.deepEqual(nextRestart(startingMaster, 'b-0'), { action: 'wait', reason: 'b-0 not ready' });
});
