import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './work-queue';

test('a key runs on one worker at a time and adds during a run coalesce into one more run', async () => {
  let running = 0;
  let maxRunning = 0;
  const runs: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new WorkQueue(
    async (k) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs.push(k);
      if (runs.length === 1) await gate;
      running--;
      return {};
    },
    () => undefined,
  );
  q.add('a');
  q.add('a');
  await new Promise((r) => setImmediate(r));
  q.add('a');
  q.add('a');
  release();
  await q.idle();
  assert.deepEqual(runs, ['a', 'a']);
  assert.equal(maxRunning, 1);
});

test('a failing key is retried with backoff and reported', async () => {
  const errors: number[] = [];
  let calls = 0;
  const done = new Promise<void>((resolve) => {
    const q = new WorkQueue(
      async () => {
        calls++;
        if (calls < 3) throw new Error('boom');
        resolve();
        return {};
      },
      (_k, _e, retryIn) => errors.push(retryIn),
      { baseBackoffMs: 5 },
    );
    q.add('k');
  });
  await done;
  assert.deepEqual(errors, [5, 10]);
});
