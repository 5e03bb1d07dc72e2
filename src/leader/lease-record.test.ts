import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, microTime, recordOf, type ElectionTiming, type LeaseSpec } from './lease-record';

const timing: ElectionTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const wall = new Date('2026-11-25T02:00:00.123Z');
const held = (holder: string, extra: LeaseSpec = {}): LeaseSpec => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: '2026-11-25T01:00:00.000000Z',
  renewTime: '2026-11-25T01:59:58.000000Z',
  leaseTransitions: 3,
  ...extra,
});

test('MicroTime has six fractional digits', () => {
  assert.equal(microTime(wall), '2026-11-25T02:00:00.123000Z');
});

test('no lease yet: take it, no transition counted', () => {
  const d = decide(undefined, { record: recordOf(undefined), atMs: 0 }, 0, wall, 'me', timing);
  assert.deepEqual(d, {
    kind: 'write',
    spec: {
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-25T02:00:00.123000Z',
      renewTime: '2026-11-25T02:00:00.123000Z',
      leaseTransitions: 0,
    },
  });
});

test("another's lease is respected until it has been unchanged for its duration, by the candidate's own clock", () => {
  const spec = held('other');
  // The holder's renewTime is an hour behind the wall clock (skew): irrelevant.
  const seen = { record: recordOf(spec), atMs: 1_000 };
  assert.deepEqual(decide(spec, seen, 1_000 + 14_999, wall, 'me', timing), { kind: 'wait', holder: 'other', expiresInMs: 1 });
  const d = decide(spec, seen, 1_000 + 15_000, wall, 'me', timing);
  assert.equal(d.kind, 'write');
  assert.equal(d.kind === 'write' && d.spec.holderIdentity, 'me');
  assert.equal(d.kind === 'write' && d.spec.leaseTransitions, 4);
  assert.equal(d.kind === 'write' && d.spec.acquireTime, '2026-11-25T02:00:00.123000Z');
});

test("the holder's declared duration counts, not the candidate's", () => {
  const spec = held('other', { leaseDurationSeconds: 60 });
  const seen = { record: recordOf(spec), atMs: 0 };
  assert.equal(decide(spec, seen, 30_000, wall, 'me', timing).kind, 'wait');
  assert.equal(decide(spec, seen, 60_000, wall, 'me', timing).kind, 'write');
});

test('renewing keeps acquireTime and the transition count', () => {
  const spec = held('me');
  const d = decide(spec, { record: recordOf(spec), atMs: 0 }, 0, wall, 'me', timing);
  assert.deepEqual(d, {
    kind: 'write',
    spec: {
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-25T01:00:00.000000Z',
      renewTime: '2026-11-25T02:00:00.123000Z',
      leaseTransitions: 3,
    },
  });
});

test('a lease nobody holds is taken at once', () => {
  const spec: LeaseSpec = { ...held('other'), holderIdentity: undefined };
  const d = decide(spec, { record: recordOf(spec), atMs: 0 }, 0, wall, 'me', timing);
  assert.ok(d.kind === 'write' && d.spec.holderIdentity === 'me' && d.spec.leaseTransitions === 4);
});

test('any change of the record is a renewal: the record differs', () => {
  assert.notEqual(recordOf(held('other')), recordOf(held('other', { renewTime: '2026-11-25T01:59:59.000000Z' })));
  assert.equal(recordOf(held('other')), recordOf(held('other')));
});
