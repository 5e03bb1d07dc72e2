import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterWatch, replaceWith, RETRY_MS } from './informer';

test('a watch the server ended resumes at once from its resourceVersion', () => {
  assert.deepEqual(afterWatch(false, null), { action: 'watch', delayMs: 0 });
});

test('a watch whose connection failed resumes from its resourceVersion after a pause, without a list', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
  assert.deepEqual(afterWatch(false, refused), { action: 'watch', delayMs: RETRY_MS });
  assert.deepEqual(afterWatch(false, new Error('Premature close')), { action: 'watch', delayMs: RETRY_MS });
  assert.deepEqual(afterWatch(false, Object.assign(new Error('Too Many Requests'), { statusCode: 429 })), { action: 'watch', delayMs: RETRY_MS });
});

test('an expired resourceVersion (410 Gone) lists again, as an ERROR event or as the answer to the request', () => {
  assert.deepEqual(afterWatch(true, null), { action: 'list', delayMs: RETRY_MS });
  assert.deepEqual(afterWatch(false, Object.assign(new Error('Gone'), { statusCode: 410 })), { action: 'list', delayMs: RETRY_MS });
});

test('a list hands on every object: new ones added, cached ones updated even unchanged, missing ones deleted', () => {
  const obj = (name: string, rv: string) => ({ metadata: { namespace: 'mq', name, resourceVersion: rv } });
  const cached = new Map([
    ['mq/kept', obj('kept', '1')],
    ['mq/changed', obj('changed', '2')],
    ['mq/gone', obj('gone', '3')],
  ]);
  const changes = replaceWith(cached, [obj('kept', '1'), obj('changed', '5'), obj('new', '6')]);
  assert.deepEqual(
    changes.map((c) => [c.key, c.event, c.obj.metadata?.resourceVersion]),
    [
      ['mq/kept', 'update', '1'],
      ['mq/changed', 'update', '5'],
      ['mq/new', 'add', '6'],
      ['mq/gone', 'delete', '3'],
    ],
  );
});
