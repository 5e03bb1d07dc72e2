import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrokerCluster, BrokerClusterStatus, Member } from '../api/types';
import type { ElectionSnapshot } from '../model/election';
import { cluster } from '../../test/fixtures/clusters';
import { planHealing, stallTimeoutMs } from './election-healing';

const LOST = new Date('2026-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(LOST.getTime() + ms);
const member = (i: number, position: number): Member => ({ memberId: `${i}`, pod: `xl-broker-${i}`, role: 'slave', position });

function group(members: Member[], o: Partial<ElectionSnapshot> = {}): ElectionSnapshot {
  return { connected: true, known: true, members, at: LOST, ...o };
}

const lost = (status: BrokerClusterStatus = {}): BrokerCluster => ({
  ...cluster(),
  status: { previousMaster: 'xl-broker-0', masterLostAt: LOST.toISOString(), ...status },
});

test('the timeout: 5 session timeouts, at least 15 s, or as set', () => {
  assert.equal(stallTimeoutMs(cluster()), 15_000);
  assert.equal(stallTimeoutMs(cluster({ zookeeper: { replicas: 3, sessionTimeout: '10s' } })), 50_000);
  assert.equal(stallTimeoutMs(cluster({ zookeeper: { replicas: 3, electionStallTimeout: '8s' } })), 8_000);
});

test('an election in progress, a minority registered, or a broker coming back: nothing is restarted', () => {
  const stuck = group([member(1, -1), member(2, 120)]);
  assert.deepEqual(planHealing({ cluster: lost(), election: stuck, podsSettled: true, now: at(10_000) }), { events: [] });
  assert.deepEqual(planHealing({ cluster: lost(), election: group([member(1, -1)]), podsSettled: true, now: at(60_000) }), { events: [] });
  assert.deepEqual(planHealing({ cluster: lost(), election: stuck, podsSettled: false, now: at(60_000) }), { events: [] });
  assert.deepEqual(planHealing({ cluster: lost(), election: { ...stuck, connected: false }, podsSettled: true, now: at(60_000) }), { events: [] });
});

test('stalled: the broker that never reported its position is restarted, once per timeout, and the stall is counted once', () => {
  const stuck = group([member(1, 120), member(2, -1)]);
  const first = planHealing({ cluster: lost({ stalledElections: 2 }), election: stuck, podsSettled: true, now: at(16_000) });
  assert.deepEqual(first.restart, { pod: 'xl-broker-2', reason: 'stalled election: never reported its store position' });
  assert.equal(first.stalledElections, 3);
  assert.deepEqual(
    first.events.map((e) => e.reason),
    ['ElectionStalled'],
  );
  assert.deepEqual(first.stall, { since: LOST.toISOString(), restarts: 1, lastRestart: 'xl-broker-2', lastRestartAt: at(16_000).toISOString() });
  const healing = lost({ stalledElections: 3, electionStall: first.stall ?? {} });
  assert.equal(planHealing({ cluster: healing, election: stuck, podsSettled: true, now: at(20_000) }).restart, undefined, 'the restart gets its time');
  const again = planHealing({ cluster: healing, election: stuck, podsSettled: true, now: at(32_000) });
  assert.equal(again.restart?.pod, 'xl-broker-2');
  assert.equal(again.stall?.restarts, 2);
  assert.equal(again.stalledElections, undefined, 'the same stall');
  assert.deepEqual(again.events, []);
});

test('an elected member that never serves is restarted; with every position reported and nobody elected, the elector', () => {
  const elected = group([member(1, 120), member(2, 120)], { elected: { pod: 'xl-broker-2', index: 2 } });
  assert.equal(planHealing({ cluster: lost(), election: elected, podsSettled: true, now: at(16_000) }).restart?.pod, 'xl-broker-2');
  const idle = group([member(2, 120), member(1, 120)]);
  assert.deepEqual(planHealing({ cluster: lost(), election: idle, podsSettled: true, now: at(16_000) }).restart, {
    pod: 'xl-broker-2',
    reason: 'stalled election: the elector elected nobody',
  });
});

test('recovered: an Event with how long there was no master, and the stall is cleared', () => {
  const healing = lost({ electionStall: { since: LOST.toISOString(), restarts: 1, lastRestart: 'xl-broker-2', lastRestartAt: at(16_000).toISOString() } });
  const step = planHealing({
    cluster: healing,
    election: group([member(1, -1), member(2, -1)], { master: { pod: 'xl-broker-1', index: 1 } }),
    podsSettled: true,
    now: at(21_500),
  });
  assert.equal(step.stall, null);
  assert.match(step.events[0]?.note ?? '', /xl-broker-1 elected after a stalled election; no master for 21500 ms, 1 broker\(s\) restarted/);
  assert.equal(step.events[0]?.reason, 'ElectionRecovered');
});

test('a master elected and published that never starts serving is restarted after twice the timeout from its election', () => {
  const since = LOST.toISOString();
  const elected = lost({ master: 'xl-broker-2', masterSince: since, masterLostAt: undefined });
  const e = group([member(2, -1), member(0, -1), member(1, -1)], { master: { pod: 'xl-broker-2', index: 2 } });
  const starting = (ms: number, c = elected) => planHealing({ cluster: c, election: e, podsSettled: true, masterServing: false, now: at(ms) });
  assert.deepEqual(starting(29_000), { events: [] }, 'a master waits for a slave for a while');
  assert.deepEqual(planHealing({ cluster: elected, election: e, podsSettled: true, masterServing: true, now: at(60_000) }), { events: [] });
  const step = starting(31_000);
  assert.deepEqual(step.restart, { pod: 'xl-broker-2', reason: 'stalled election: elected but never started serving' });
  assert.match(step.events[0]?.note ?? '', /xl-broker-2 elected 31 s ago and not serving; restarting xl-broker-2/);
  assert.equal(step.stalledElections, 1);
  const after = { ...elected, status: { ...elected.status, electionStall: step.stall ?? {}, stalledElections: 1 } };
  assert.equal(starting(50_000, after).restart, undefined, 'the restart gets its time');
  // Serving at last: recovered, with the outage measured from the election.
  const recovered = planHealing({ cluster: after, election: e, podsSettled: true, masterServing: true, now: at(45_000) });
  assert.equal(recovered.stall, null);
  assert.equal(recovered.events[0]?.reason, 'ElectionRecovered');
});
