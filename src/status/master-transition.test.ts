import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masterTransition } from './master-transition';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const snap = (master: string | undefined, at: Date, extra: Partial<{ connected: boolean; known: boolean }> = {}) => ({
  connected: true,
  known: true,
  members: [],
  master: master === undefined ? undefined : { pod: master, index: Number(master.slice(-1)) },
  at,
  ...extra,
});

test('first election: MasterElected, no failover', () => {
  const t = masterTransition({}, snap('xl-broker-0', t0), t0);
  assert.equal(t.fields.master, 'xl-broker-0');
  assert.equal(t.fields.failovers, 0);
  assert.deepEqual(
    t.events.map((e) => e.reason),
    ['MasterElected'],
  );
});

test('loss then election of a slave: MasterLost, then MasterElected with the gap, one failover', () => {
  const lost = masterTransition({ master: 'xl-broker-0', failovers: 0 }, snap(undefined, t0), t0);
  assert.deepEqual(
    lost.events.map((e) => [e.type, e.reason]),
    [['Warning', 'MasterLost']],
  );
  assert.equal(lost.fields.master, undefined);
  assert.equal(lost.fields.previousMaster, 'xl-broker-0');
  const t1 = new Date(t0.getTime() + 1234);
  const won = masterTransition(lost.fields, snap('xl-broker-1', t1), t1);
  assert.equal(won.fields.master, 'xl-broker-1');
  assert.equal(won.fields.failovers, 1);
  assert.deepEqual(won.fields.lastFailover, { from: 'xl-broker-0', to: 'xl-broker-1', at: t1.toISOString(), durationMs: 1234 });
  assert.match(won.events[0]?.note ?? '', /xl-broker-1 elected master \(previous master xl-broker-0; no master for 1234 ms\)/);
});

test('nothing is decided while ZooKeeper is unreachable or unread, and a restart sees no change', () => {
  const old = { master: 'xl-broker-0', failovers: 2, masterSince: t0.toISOString() };
  assert.deepEqual(masterTransition(old, snap(undefined, t0, { connected: false }), t0).events, []);
  assert.equal(masterTransition(old, snap(undefined, t0, { connected: false }), t0).fields.master, 'xl-broker-0');
  assert.deepEqual(masterTransition(old, undefined, t0).fields, old);
  const same = masterTransition(old, snap('xl-broker-0', new Date(t0.getTime() + 5000)), t0);
  assert.deepEqual(same.events, []);
  assert.deepEqual(same.fields, old);
});

test('the same master re-elected after a loss is not a failover', () => {
  const t = masterTransition({ previousMaster: 'xl-broker-0', masterLostAt: t0.toISOString(), failovers: 3 }, snap('xl-broker-0', t0), t0);
  assert.equal(t.fields.failovers, 3);
  assert.equal(t.fields.master, 'xl-broker-0');
});
