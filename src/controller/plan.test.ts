// Scenarios of one reconcile, decided without a server: the observation is
// built from the desired objects as the caches would hold them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Pod, V1Service } from '@kubernetes/client-node';
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import type { ElectionSnapshot } from '../model/election';
import { withAppliedHash } from '../kube/apply';
import { desiredState } from '../resources/desired-state';
import { cluster } from '../../test/fixtures/clusters';
import type { ClusterMemory } from './cluster-memory';
import { planFailure, FAILURE_EVENT_EVERY_MS } from './failure';
import type { Observation } from './observe';
import { BLOCKED_MS, plan, PROGRESS_MS, RESYNC_MS } from './plan';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ZK_READY: ElectionSnapshot = { connected: true, known: false, members: [] };

function elected(index: number | undefined, at = NOW): ElectionSnapshot {
  const members = [0, 1, 2].map((i) => ({ memberId: `000000000${i}`, pod: `xl-broker-${i}`, role: i === index ? ('master' as const) : ('slave' as const) }));
  const snap: ElectionSnapshot = { connected: true, known: true, members, at };
  if (index !== undefined) snap.master = { pod: `xl-broker-${index}`, index };
  return snap;
}

const readyPod = (p: V1Pod): V1Pod => ({
  ...p,
  metadata: { ...p.metadata, uid: `uid-${p.metadata?.name}` },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

/** Every owned object as a cache holds it after a converged reconcile with this master. */
function converged(c: BrokerCluster, masterIndex: number | undefined, patch: (o: KubernetesObject) => KubernetesObject = (o) => o): KubernetesObject[] {
  const roles = new Map([0, 1, 2].map((i) => [`xl-broker-${i}`, i === masterIndex ? ('master' as const) : ('slave' as const)]));
  const d = desiredState(c, { masterIndex, roles: masterIndex === undefined ? new Map() : roles });
  return [d.masterService, ...d.applied, ...d.claims].map((o) => withAppliedHash(o)).concat([...d.zkPods, ...d.brokerPods].map((p) => patch(readyPod(p))));
}

function observation(c: BrokerCluster, live: KubernetesObject[], o: Partial<Observation> = {}): Observation {
  const byKey = new Map(live.map((x) => [`${x.kind}/${x.metadata?.name}`, x]));
  return {
    cluster: c,
    live: <T extends KubernetesObject>(kind: string, name: string) => byKey.get(`${kind}/${name}`) as T | undefined,
    facts: {},
    now: NOW,
    ...o,
  };
}

const running = (master: string, extra: BrokerClusterStatus = {}): BrokerClusterStatus => ({ master, masterSince: NOW.toISOString(), failovers: 0, ...extra });
const withStatus = (status: BrokerClusterStatus, c = cluster()): BrokerCluster => ({ ...c, status });
const reasons = (p: { events: { reason: string }[] }) => p.events.map((e) => e.reason);

test('a new cluster: the master Service is created selecting nobody, then every owned object, and the next look is soon', () => {
  const p = plan(observation(cluster(), [], { election: ZK_READY }), {});
  assert.equal(p.switchMaster?.spec?.selector?.['amqkeeper.io/node'], 'none');
  const kinds = p.writes.map((w) => `${w.verb} ${w.object.kind}/${w.object.metadata?.name}`);
  assert.ok(
    kinds.includes('apply ConfigMap/xl-broker-config') && kinds.includes('apply Pod/xl-broker-2') && kinds.includes('apply PersistentVolumeClaim/data-xl-zk-0'),
  );
  assert.ok(kinds.indexOf('apply ConfigMap/xl-zk-config') < kinds.indexOf('apply Pod/xl-zk-0'), 'configuration before pods');
  assert.ok(!kinds.some((k) => k.includes('xl-master')), 'the master Service is not applied twice');
  assert.equal(p.roll.action, 'none');
  assert.equal(p.requeueAfterMs, PROGRESS_MS);
  assert.equal(p.status.phase, 'Pending');
  assert.deepEqual(reasons(p), []);
});

test('first reconcile after an operator start: nothing is written until the group is read, and no failover is invented', () => {
  const c = withStatus(running('xl-broker-1'));
  const live = converged(c, 1);
  const p = plan(observation(c, live, { election: ZK_READY }), {});
  assert.equal(p.switchMaster, undefined, 'the master Service keeps the master it selects');
  assert.deepEqual(p.writes, []);
  assert.equal(p.status.master, 'xl-broker-1');
  assert.deepEqual(reasons(p), []);
  const read = plan(observation(c, live, { election: elected(1) }), {});
  assert.equal(read.switchMaster, undefined);
  assert.deepEqual(read.writes, []);
  assert.deepEqual(reasons(read), []);
});

test('while ZooKeeper cannot be read the master Service and the status keep the last known master', () => {
  const c = withStatus(running('xl-broker-1'));
  const p = plan(observation(c, converged(c, 1), { election: { ...elected(undefined), connected: false } }), {});
  assert.equal(p.switchMaster, undefined);
  assert.equal(p.status.master, 'xl-broker-1');
  assert.deepEqual(reasons(p), []);
});

test('failover: the master Service moves to the new master first, the failover is counted and recorded once', () => {
  const c = withStatus(running('xl-broker-0', { masterSince: new Date(NOW.getTime() - 60_000).toISOString() }));
  const live = converged(c, 0);
  const lost = new Date(NOW.getTime() - 3_000);
  const memory: ClusterMemory = {};
  const gone = plan(observation(c, live, { election: elected(undefined, lost) }), memory);
  assert.equal(gone.switchMaster?.spec?.selector?.['amqkeeper.io/node'], 'none', 'nobody is served by a dead master');
  assert.deepEqual(reasons(gone), ['MasterLost']);
  Object.assign(memory, gone.remember);

  const c2 = withStatus(gone.status);
  const p = plan(observation(c2, live, { election: elected(2) }), memory);
  const svc = p.switchMaster as V1Service;
  assert.equal(svc.spec?.selector?.['amqkeeper.io/node'], '2');
  assert.deepEqual(
    svc.spec?.ports?.map((x) => x.targetPort),
    [61618, 8163],
  );
  assert.equal(p.status.master, 'xl-broker-2');
  assert.equal(p.status.failovers, 1);
  assert.deepEqual(p.status.lastFailover, { from: 'xl-broker-0', to: 'xl-broker-2', at: NOW.toISOString(), durationMs: 3_000 });
  assert.deepEqual(reasons(p), ['MasterElected']);
  const labels = p.writes
    .filter((w) => w.verb === 'patch' && w.object.kind === 'Pod')
    .map((w) => [w.object.metadata?.name, w.object.metadata?.labels?.['amqkeeper.io/role']]);
  assert.deepEqual(labels, [
    ['xl-broker-0', 'slave'],
    ['xl-broker-2', 'master'],
  ]);
  Object.assign(memory, p.remember);
  // The cache still shows the status before the write: the same change is not recorded twice.
  assert.deepEqual(reasons(plan(observation(c2, live, { election: elected(2) }), memory)), []);
});

test('roll: one slave at a time while the slaves are in sync, never while they are not, the master last', () => {
  const c = withStatus(running('xl-broker-1'));
  const outdated = (o: KubernetesObject) =>
    o.metadata?.name?.startsWith('xl-broker-') ? { ...o, metadata: { ...o.metadata, annotations: { 'amqkeeper.io/revision': 'old' } } } : o;
  const live = converged(c, 1, outdated);
  const inSync = { inSync: true, reason: 'InSync' as const, message: 'both slaves acknowledged a checkpoint' };
  const p = plan(observation(c, live, { election: elected(1), sync: inSync }), {});
  assert.deepEqual(p.roll, { action: 'restart', pod: 'xl-broker-0', reason: 'slave first' });
  assert.deepEqual(
    p.writes.filter((w) => w.verb === 'delete').map((w) => [w.object.metadata?.name, w.object.metadata?.uid]),
    [['xl-broker-0', 'uid-xl-broker-0']],
    'the instance observed, by uid',
  );
  assert.deepEqual(reasons(p), ['PodRestarted']);
  assert.equal(p.requeueAfterMs, PROGRESS_MS);

  const behind = { inSync: false, reason: 'SlaveAttaching' as const, message: 'xl-broker-0 is attaching', retryInMs: 2_000 };
  const held = plan(observation(c, live, { election: elected(1), sync: behind }), {});
  assert.equal(held.roll.action, 'wait');
  assert.ok(!held.writes.some((w) => w.verb === 'delete'));
  assert.equal(held.requeueAfterMs, 2_000, 'looks again when the check says');

  const onlyMaster = live.map((o) =>
    o.metadata?.name === 'xl-broker-1' ? o : (converged(c, 1).find((x) => x.kind === o.kind && x.metadata?.name === o.metadata?.name) ?? o),
  );
  const stale = plan(observation(c, onlyMaster, { election: elected(1), sync: { ...inSync, confirmedAt: NOW.getTime() - 60_000 } }), {});
  assert.equal(stale.roll.action, 'wait', 'the master waits for a proof made just now');
  assert.equal(stale.recheck, true);
  assert.ok(!stale.writes.some((w) => w.verb === 'delete'));
  const last = plan(observation(c, onlyMaster, { election: elected(1), sync: { ...inSync, confirmedAt: NOW.getTime() - 1_000 } }), {});
  assert.deepEqual(last.roll, { action: 'restart', pod: 'xl-broker-1', reason: 'master last' });
  assert.equal(last.recheck, false);
});

test('roll after an operator start or while ZooKeeper cannot be read: no serving broker is restarted', () => {
  const c = withStatus(running('xl-broker-1'));
  const live = converged(c, 1, (o) =>
    o.metadata?.name === 'xl-broker-1' ? { ...o, metadata: { ...o.metadata, annotations: { 'amqkeeper.io/revision': 'old' } } } : o,
  );
  for (const election of [ZK_READY, { ...elected(1), connected: false }]) {
    const p = plan(observation(c, live, { election }), {});
    assert.equal(p.roll.action, 'wait', JSON.stringify(election));
    assert.ok(!p.writes.some((w) => w.verb === 'delete'));
  }
  const unchecked = plan(observation(c, live, { election: elected(1) }), {});
  assert.deepEqual(unchecked.roll, { action: 'wait', reason: 'the slaves have not been checked yet' });
});

test('a refused spec: nothing but the master Service is written, the Warning is recorded once, and the next look is later', () => {
  const c = withStatus(running('xl-broker-1'), cluster({ persistence: { storageClassName: 'gone' } }));
  const live = converged(cluster(), 1);
  const o = observation(c, live, { election: elected(2), facts: { storageClassExists: false } });
  const p = plan(o, {});
  assert.equal(p.switchMaster?.spec?.selector?.['amqkeeper.io/node'], '2', 'clients still follow the master');
  assert.deepEqual(p.writes, []);
  assert.equal(p.roll.action, 'none');
  assert.deepEqual(
    reasons(p).filter((r) => r === 'InvalidSpec'),
    ['InvalidSpec'],
  );
  assert.equal(p.requeueAfterMs, BLOCKED_MS);
  assert.match(p.status.conditions?.find((x) => x.type === 'Warning')?.message ?? '', /spec.persistence.storageClassName/);
  assert.deepEqual(
    reasons(plan(o, { ...p.remember })).filter((r) => r === 'InvalidSpec'),
    [],
  );
});

test('a converged running cluster writes nothing and looks again at the resync', () => {
  const c = withStatus(running('xl-broker-1'));
  const p = plan(observation(c, converged(c, 1), { election: elected(1) }), {});
  assert.equal(p.switchMaster, undefined);
  assert.deepEqual(p.writes, []);
  assert.equal(p.status.phase, 'Running');
  assert.equal(p.status.conditions?.find((x) => x.type === 'Reconciled')?.status, 'True');
  assert.equal(p.requeueAfterMs, RESYNC_MS);
});

test('a failed reconcile: Reconciled=False with the error, and a Warning Event only for a new error or after a quiet period', () => {
  const c = withStatus(
    running('xl-broker-1', { conditions: [{ type: 'Ready', status: 'True', reason: 'ClusterReady', message: '', lastTransitionTime: NOW.toISOString() }] }),
  );
  const first = planFailure(c, {}, 'Pod "xl-broker-0" is invalid', NOW);
  assert.equal(first.event?.reason, 'ReconcileFailed');
  const cond = first.status.conditions?.find((x) => x.type === 'Reconciled');
  assert.equal(cond?.status, 'False');
  assert.equal(cond?.message, 'Pod "xl-broker-0" is invalid');
  assert.equal(first.status.conditions?.find((x) => x.type === 'Ready')?.status, 'True', 'the other conditions stand');
  assert.equal(first.status.master, 'xl-broker-1');
  const memory: ClusterMemory = { failure: first.failure };
  assert.equal(planFailure(c, memory, 'Pod "xl-broker-0" is invalid', new Date(NOW.getTime() + 60_000)).event, undefined);
  assert.ok(planFailure(c, memory, 'another error', new Date(NOW.getTime() + 60_000)).event);
  assert.ok(planFailure(c, memory, 'Pod "xl-broker-0" is invalid', new Date(NOW.getTime() + FAILURE_EVENT_EVERY_MS)).event);
});
