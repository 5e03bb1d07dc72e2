import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import { cluster } from '../../test/fixtures/clusters';
import { planSwitchover } from '../controller/switchover';
import type { ElectionSnapshot } from '../model/election';
import { switchoverValue } from './commands';
import { age, clusterView, renderStatus, switchoverOutcome, table } from './view';

const NOW = new Date('2026-06-01T12:00:00.000Z');

function pod(i: number, ready: boolean, role?: string): V1Pod {
  const labels: Record<string, string> = { 'amqkeeper.io/node': String(i) };
  if (role) labels['amqkeeper.io/role'] = role;
  return {
    metadata: { name: `xl-broker-${i}`, labels },
    spec: { containers: [], nodeName: `node-${i}` },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [] },
  };
}

function withStatus(status: BrokerClusterStatus, annotations: Record<string, string> = {}): BrokerCluster {
  const c = cluster({ replicas: 3 });
  return { ...c, metadata: { ...c.metadata, annotations }, status };
}

const STATUS: BrokerClusterStatus = {
  phase: 'Running',
  ready: '2/3',
  master: 'xl-broker-1',
  masterSince: '2026-06-01T11:48:00.000Z',
  failovers: 2,
  lastFailover: { from: 'xl-broker-0', to: 'xl-broker-1', at: '2026-06-01T11:48:00.000Z', durationMs: 2300 },
  members: [
    { pod: 'xl-broker-0', role: 'slave', memberId: '3' },
    { pod: 'xl-broker-1', role: 'master', memberId: '4' },
    { pod: 'xl-broker-2', role: 'slave', memberId: '5' },
  ],
  conditions: [
    { type: 'ReplicasInSync', status: 'False', reason: 'SlaveAttaching', message: '1 of 2 slaves are attached to the master (waiting for xl-broker-2)' },
    { type: 'Warning', status: 'True', reason: 'SchedulerNotReplicated', message: 'spec.broker.schedulerSupport: not replicated' },
    { type: 'Reconciled', status: 'False', reason: 'ReconcileFailed', message: 'the API server refused a write' },
  ],
};

test('each node: its role from ZooKeeper, readiness from the pod, in sync from the condition that names the slave', () => {
  const v = clusterView(withStatus(STATUS), [pod(0, true, 'slave'), pod(1, true, 'master'), pod(2, false, 'slave')]);
  assert.deepEqual(
    v.nodes.map((n) => [n.pod, n.role, n.ready, n.inSync, n.node]),
    [
      ['xl-broker-0', 'slave', 'yes', 'unknown', 'node-0'],
      ['xl-broker-1', 'master', 'yes', '-', 'node-1'],
      ['xl-broker-2', 'slave', 'no', 'no', 'node-2'],
    ],
  );
  assert.deepEqual(v.warnings, ['spec.broker.schedulerSupport: not replicated', 'the last reconcile failed: the API server refused a write']);
  const inSync = { ...STATUS, conditions: [{ type: 'ReplicasInSync', status: 'True' as const, reason: 'InSync', message: '2 of 2 slaves acknowledged' }] };
  const all = clusterView(withStatus(inSync), [pod(0, true), pod(1, true)]);
  assert.deepEqual(
    all.nodes.map((n) => [n.pod, n.inSync, n.state]),
    [
      ['xl-broker-0', 'yes', 'Running'],
      ['xl-broker-1', '-', 'Running'],
      ['xl-broker-2', 'yes', 'Missing'],
    ],
  );
  assert.deepEqual(all.warnings, []);
  // Where the status marks each slave, that is what the table says.
  const marked = { ...STATUS, members: STATUS.members?.map((m) => (m.role === 'slave' ? { ...m, inSync: m.pod === 'xl-broker-0' } : m)) };
  assert.deepEqual(
    clusterView(withStatus(marked), [pod(0, true), pod(1, true), pod(2, true)]).nodes.map((n) => n.inSync),
    ['yes', '-', 'no'],
  );
});

test('the table: master, failovers with the last one, the switchover, pause and warnings', () => {
  const status = { ...STATUS, switchover: { request: 'any@t', state: 'Done' as const, from: 'xl-broker-0', to: 'xl-broker-1', interruptionMs: 1800 } };
  const out = renderStatus(clusterView(withStatus(status, { 'amqkeeper.io/pause-reconcile': 'true' }), [pod(1, true, 'master')]), NOW);
  assert.match(out, /^Cluster: +mq\/xl \(Running, 2\/3 ready\)$/m);
  assert.match(out, /^Master: +xl-broker-1 since 2026-06-01T11:48:00.000Z \(12m ago\)$/m);
  assert.match(out, /^Failovers: +2; last xl-broker-0 -> xl-broker-1 at 2026-06-01T11:48:00.000Z, no master for 2300 ms$/m);
  assert.match(out, /^In sync: +no \(SlaveAttaching\): 1 of 2 slaves/m);
  assert.match(out, /^Switchover: +Done \(any@t\): xl-broker-0 -> xl-broker-1; no master for 1800 ms$/m);
  assert.match(out, /^Paused: +yes/m);
  assert.match(out, /^POD +ROLE +READY +IN-SYNC +STATUS +RESTARTS +NODE$/m);
  assert.match(out, /^xl-broker-1 +master +yes +- +Running +0 +node-1$/m);
  assert.match(out, /^xl-broker-0 +slave +- +unknown +Missing +0 +-$/m);
  assert.match(out, /^ {2}- spec.broker.schedulerSupport: not replicated$/m);
  const none = renderStatus(
    clusterView(
      withStatus({ previousMaster: 'xl-broker-1', masterLostAt: '2026-06-01T11:59:50.000Z', conditions: [] }, { 'amqkeeper.io/switchover': 'any@u' }),
      [],
    ),
    NOW,
  );
  assert.match(none, /^Master: +none since 2026-06-01T11:59:50.000Z \(10s ago\), was xl-broker-1$/m);
  assert.match(none, /^Switchover: +any@u: asked for, not answered by the operator yet$/m);
  assert.match(none, /^Warnings: +none$/m);
});

test('ages, outcomes and columns', () => {
  assert.deepEqual([age(45_000), age(12 * 60_000), age(3 * 3_600_000), age(50 * 3_600_000)], ['45s', '12m', '3h', '2d']);
  assert.equal(switchoverOutcome({ state: 'Done', from: 'a', to: 'a', message: 'a is the master already' }), 'a is the master already');
  assert.equal(switchoverOutcome({ state: 'Refused', message: 'no slave is in sync' }), 'no slave is in sync');
  assert.equal(
    table([
      ['A', 'BB'],
      ['CCC', 'D'],
    ]),
    'A     BB\nCCC   D',
  );
});

test("the plugin's switchover values: new every time, and read by the operator as the slave asked for (or any)", () => {
  const group: ElectionSnapshot = {
    connected: true,
    known: true,
    at: NOW,
    master: { pod: 'xl-broker-1', index: 1 },
    members: [0, 1, 2].map((i) => ({ memberId: `${i}`, pod: `xl-broker-${i}`, role: i === 1 ? ('master' as const) : ('slave' as const) })),
  };
  const ask = (value: string) =>
    planSwitchover({
      cluster: withStatus({}, { 'amqkeeper.io/switchover': value }),
      election: group,
      sync: { inSync: true, reason: 'InSync', message: 'in sync' },
      freshlyInSync: true,
      idle: true,
      now: NOW,
    });
  const any = switchoverValue(undefined, NOW);
  assert.equal(any, 'any@2026-06-01T12:00:00.000Z');
  assert.notEqual(switchoverValue(undefined, new Date(NOW.getTime() + 1)), any);
  assert.equal(ask(any).restart, 'xl-broker-1');
  assert.equal(ask(switchoverValue('xl-broker-2', NOW)).restart, 'xl-broker-1');
  assert.equal(ask(switchoverValue('xl-broker-1', NOW)).status?.state, 'Done', 'the master already');
  const unknown = ask(switchoverValue('xl-broker-7', NOW)).status;
  assert.equal(unknown?.state, 'Refused');
  assert.match(unknown?.message ?? '', /^xl-broker-7 is not a slave/);
});
