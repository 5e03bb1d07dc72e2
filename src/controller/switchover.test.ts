import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import type { ElectionSnapshot } from '../model/election';
import { cluster } from '../../test/fixtures/clusters';
import { planSwitchover, SWITCHOVER_WAIT_MS, type SwitchoverInput } from './switchover';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const IN_SYNC = { inSync: true, reason: 'InSync' as const, message: 'in sync' };

function group(master: number | undefined, nodes = [0, 1, 2]): ElectionSnapshot {
  const members = nodes.map((i) => ({ memberId: `${i}`, pod: `xl-broker-${i}`, role: i === master ? ('master' as const) : ('slave' as const) }));
  const g: ElectionSnapshot = { connected: true, known: true, members, at: NOW };
  if (master !== undefined) g.master = { pod: `xl-broker-${master}`, index: master };
  return g;
}

function asked(request: string, status: BrokerClusterStatus = {}): BrokerCluster {
  const c = cluster();
  return { ...c, metadata: { ...c.metadata, annotations: { 'amqkeeper.io/switchover': request } }, status };
}

const input = (c: BrokerCluster, o: Partial<SwitchoverInput> = {}): SwitchoverInput => ({
  cluster: c,
  election: group(1),
  sync: IN_SYNC,
  freshlyInSync: true,
  idle: true,
  now: NOW,
  ...o,
});

test('no annotation, or one already answered: nothing to do', () => {
  assert.deepEqual(planSwitchover(input(cluster())), {});
  const done = asked('any', { switchover: { request: 'any', state: 'Done', from: 'xl-broker-0', to: 'xl-broker-1' } });
  assert.deepEqual(planSwitchover(input(done)), {});
});

test('a new request restarts the master once every slave is proved in sync just now, and only while nothing else restarts', () => {
  const step = planSwitchover(input(asked('any')));
  assert.equal(step.restart, 'xl-broker-1');
  assert.equal(step.status?.state, 'InProgress');
  assert.equal(step.status?.from, 'xl-broker-1');
  assert.equal(step.event?.reason, 'SwitchoverStarted');
  const stale = planSwitchover(input(asked('any'), { freshlyInSync: false }));
  assert.equal(stale.restart, undefined);
  assert.equal(stale.recheck, true);
  assert.equal(stale.status?.state, 'Waiting');
  assert.equal(planSwitchover(input(asked('any'), { idle: false })).status?.message, 'a roll is under way');
  assert.equal(planSwitchover(input(asked('any'), { election: { connected: true, known: false, members: [] } })).status?.state, 'Waiting');
});

test('done when another pod is elected, with the interruption the status measured', () => {
  const inProgress = asked('any', { switchover: { request: 'any', state: 'InProgress', from: 'xl-broker-1', at: NOW.toISOString() } });
  assert.deepEqual(planSwitchover(input(inProgress, { election: group(undefined) })), {}, 'no master yet: still in progress');
  const step = planSwitchover(
    input(inProgress, { election: group(2), lastFailover: { from: 'xl-broker-1', to: 'xl-broker-2', at: NOW.toISOString(), durationMs: 2300 } }),
  );
  assert.equal(step.status?.state, 'Done');
  assert.equal(step.status?.to, 'xl-broker-2');
  assert.equal(step.status?.interruptionMs, 2300);
  assert.equal(step.restart, undefined);
  assert.match(step.event?.note ?? '', /from xl-broker-1 to xl-broker-2; no master for 2300 ms/);
});

test('refused with a reason: an unknown pod, no slave at all, or slaves still not in sync after the wait', () => {
  assert.equal(planSwitchover(input(asked('xl-broker-1'))).status?.state, 'Done', 'the master already');
  const unknown = planSwitchover(input(asked('xl-broker-7')));
  assert.equal(unknown.status?.state, 'Refused');
  assert.equal(unknown.event?.reason, 'SwitchoverRefused');
  assert.match(unknown.status?.message ?? '', /xl-broker-7 is not a slave of this cluster \(slaves: xl-broker-0, xl-broker-2\)/);
  assert.equal(planSwitchover(input(asked('any'), { election: group(1, [1]) })).status?.state, 'Refused');
  const behind = { inSync: false, reason: 'SlaveAttaching' as const, message: 'xl-broker-0 is attaching' };
  const first = planSwitchover(input(asked('any'), { sync: behind }));
  assert.equal(first.status?.state, 'Waiting');
  const since = new Date(NOW.getTime() - SWITCHOVER_WAIT_MS).toISOString();
  const late = planSwitchover(input(asked('any', { switchover: { request: 'any', state: 'Waiting', at: since } }), { sync: behind }));
  assert.equal(late.status?.state, 'Refused');
  assert.match(late.status?.message ?? '', /not in sync after 60 s: xl-broker-0 is attaching/);
});
