// Scenarios of one reconcile, decided without a server: the observation is
// built from the desired objects as the caches would hold them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Pod, V1Service } from '@kubernetes/client-node';
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import type { ElectionSnapshot } from '../model/election';
import { withAppliedHash } from '../kube/apply';
import { desiredState } from '../resources/desired-state';
import { CREDENTIALS, cluster } from '../../test/fixtures/clusters';
import type { ClusterMemory } from './cluster-memory';
import { planFailure, FAILURE_EVENT_EVERY_MS } from './failure';
import type { Observation } from './observe';
import { BLOCKED_MS, plan, PROGRESS_MS, RESYNC_MS } from './plan';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ZK_READY: ElectionSnapshot = { connected: true, known: false, members: [] };

function elected(index: number | undefined, at = NOW, nodes: readonly number[] = [0, 1, 2]): ElectionSnapshot {
  const members = nodes.map((i) => ({ memberId: `000000000${i}`, pod: `xl-broker-${i}`, role: i === index ? ('master' as const) : ('slave' as const) }));
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
function converged(
  c: BrokerCluster,
  masterIndex: number | undefined,
  patch: (o: KubernetesObject) => KubernetesObject = (o) => o,
  leaving: number[] = [],
): KubernetesObject[] {
  const nodes = [...Array(c.spec.replicas).keys(), ...leaving];
  const roles = new Map(nodes.map((i) => [`xl-broker-${i}`, i === masterIndex ? ('master' as const) : ('slave' as const)]));
  const d = desiredState(c, { masterIndex, roles: masterIndex === undefined ? new Map() : roles, leaving, credentials: CREDENTIALS });
  return [d.masterService, ...d.applied, ...d.claims]
    .map((o) => withAppliedHash(o))
    .map((o): KubernetesObject => ({ ...o, metadata: { ...o.metadata, uid: `uid-${o.kind}-${o.metadata?.name}` } }))
    .concat([...d.zkPods, ...d.brokerPods, ...d.leavingPods].map((p) => patch(readyPod(p))));
}

function observation(c: BrokerCluster, live: KubernetesObject[], o: Partial<Observation> = {}): Observation {
  const byKey = new Map(live.map((x) => [`${x.kind}/${x.metadata?.name}`, x]));
  return {
    cluster: c,
    live: <T extends KubernetesObject>(kind: string, name: string) => byKey.get(`${kind}/${name}`) as T | undefined,
    facts: {},
    credentials: { state: 'found', credentials: CREDENTIALS },
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

// Scaling: the live objects of the old size, the spec of the new one.
const IN_SYNC = { inSync: true, reason: 'InSync' as const, message: 'every slave acknowledged a checkpoint', confirmedAt: NOW.getTime() - 1_000 };
const named = (objects: KubernetesObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
const without = (objects: KubernetesObject[], kind: string, name: string) => objects.filter((o) => !(o.kind === kind && o.metadata?.name === name));
const written = (p: { writes: { verb: string; object: KubernetesObject }[] }) => p.writes.map((w) => `${w.verb} ${w.object.kind}/${w.object.metadata?.name}`);
const data = (p: { writes: { object: KubernetesObject }[] }, name: string) =>
  (p.writes.find((w) => w.object.metadata?.name === name)?.object as { data?: Record<string, string> } | undefined)?.data ?? {};

test('scale-up 3 -> 5: the new nodes are created and catch up before any old node restarts with the new quorum, the master last', () => {
  const c = withStatus(running('xl-broker-1'), cluster({ replicas: 5 }));
  const before = converged(cluster(), 1);
  const p = plan(observation(c, before, { election: elected(1), sync: { ...IN_SYNC, inSync: false, reason: 'SlavesMissing', message: '2 of 4' } }), {});
  for (const w of ['apply Pod/xl-broker-3', 'apply Pod/xl-broker-4', 'apply Service/xl-broker-4', 'apply PersistentVolumeClaim/data-xl-broker-4']) {
    assert.ok(written(p).includes(w), `${w} in ${written(p).join(', ')}`);
  }
  assert.match(data(p, 'xl-connection').failoverUrl ?? '', /xl-broker-4\.mq\.svc:61620/);
  assert.match(data(p, 'xl-broker-config')['activemq-0.xml'] ?? '', /replicas="5"/);
  assert.deepEqual(p.roll, { action: 'wait', reason: 'xl-broker-3, xl-broker-4 not ready' }, 'no old node restarts before the new ones serve');
  const pdb = p.writes.find((w) => w.object.kind === 'PodDisruptionBudget')?.object as { spec?: { minAvailable?: number } } | undefined;
  assert.equal(pdb?.spec?.minAvailable, 3, 'evictions keep the new quorum from the start');

  // The new nodes attached: the old ones roll once every slave, old and new, is in sync.
  const grown = converged(cluster({ replicas: 5 }), 1).map((o) =>
    /^xl-broker-[012]$/.test(o.metadata?.name ?? '') && o.kind === 'Pod' ? named(before, 'Pod', o.metadata?.name ?? '')! : o,
  );
  const five = elected(1, NOW, [0, 1, 2, 3, 4]);
  assert.equal(
    plan(observation(c, grown, { election: five, sync: { ...IN_SYNC, inSync: false, reason: 'CheckpointPending', message: '' } }), {}).roll.action,
    'wait',
  );
  assert.deepEqual(plan(observation(c, grown, { election: five, sync: IN_SYNC }), {}).roll, { action: 'restart', pod: 'xl-broker-0', reason: 'slave first' });
  const onlyMaster = converged(cluster({ replicas: 5 }), 1).map((o) =>
    o.kind === 'Pod' && o.metadata?.name === 'xl-broker-1' ? named(before, 'Pod', 'xl-broker-1')! : o,
  );
  assert.deepEqual(plan(observation(c, onlyMaster, { election: five, sync: IN_SYNC }), {}).roll, {
    action: 'restart',
    pod: 'xl-broker-1',
    reason: 'master last',
  });
});

test('scale-down 5 -> 3 with the master on a leaving node: the others roll first, then the leaving slaves go, the master last on a fresh proof; what they leave is removed', () => {
  const c = withStatus(running('xl-broker-4'), cluster());
  const five = elected(4, NOW, [0, 1, 2, 3, 4]);
  const before = converged(cluster({ replicas: 5 }), 4);
  const p = plan(observation(c, before, { election: five, sync: IN_SYNC }), {});
  assert.deepEqual(p.roll, { action: 'restart', pod: 'xl-broker-0', reason: 'slave first' }, 'the staying nodes take the new quorum first');
  assert.equal(p.switchMaster, undefined, 'the master Service stays on the leaving master');
  const config = data(p, 'xl-broker-config');
  assert.match(config['activemq-0.xml'] ?? '', /replicas="3"/);
  assert.ok(config['activemq-4.xml'], 'a leaving node keeps its files while its pod runs');
  assert.ok(!written(p).includes('apply ConfigMap/xl-connection'), 'the failover URL keeps the leaving nodes');
  assert.ok(!p.writes.some((w) => w.verb === 'delete' && w.object.kind === 'Service'));
  assert.match(p.status.conditions?.find((x) => x.type === 'BrokersReady')?.message ?? '', /leaving: xl-broker-3, xl-broker-4/);

  // The staying nodes run the new revision: the leaving slave goes, then the master on a fresh proof.
  const rolled = converged(c, 4, undefined, [3, 4]).map((o) =>
    o.kind === 'Pod' && /-[34]$/.test(o.metadata?.name ?? '') ? named(before, 'Pod', o.metadata?.name ?? '')! : o,
  );
  const q = plan(observation(c, rolled, { election: five, sync: IN_SYNC }), {});
  assert.deepEqual(q.roll, { action: 'remove', pod: 'xl-broker-3', reason: 'leaving, slaves first' });
  assert.deepEqual(reasons(q), ['PodRemoved']);
  assert.deepEqual(written(q), ['delete Pod/xl-broker-3']);
  const held = plan(observation(c, rolled, { election: five, sync: { ...IN_SYNC, inSync: false, reason: 'SlaveAttaching', message: 'attaching' } }), {});
  assert.equal(held.roll.action, 'wait', 'never while a slave is behind');

  const lastOne = without(rolled, 'Pod', 'xl-broker-3');
  const four = elected(4, NOW, [0, 1, 2, 4]);
  const stale = plan(observation(c, lastOne, { election: four, sync: { ...IN_SYNC, confirmedAt: NOW.getTime() - 60_000 } }), {});
  assert.equal(stale.recheck, true, 'the slaves are proved in sync again before the master goes');
  assert.equal(stale.roll.action, 'wait');
  assert.ok(written(stale).includes('delete Service/xl-broker-3'), "the gone node's Service is removed");
  assert.ok(!written(stale).some((w) => w.includes('PersistentVolumeClaim')), 'its claim stays (deleteClaim is false)');
  assert.ok(!data(stale, 'xl-broker-config')['activemq-3.xml'], 'and its files');
  const fresh = plan(observation(c, lastOne, { election: four, sync: IN_SYNC }), {});
  assert.deepEqual(fresh.roll, { action: 'remove', pod: 'xl-broker-4', reason: 'leaving, the master last' });

  // Gone; a staying node elected: the cluster is three nodes again.
  const three = without(without(lastOne, 'Pod', 'xl-broker-4'), 'Service', 'xl-broker-3');
  const done = plan(observation(c, three, { election: elected(0), sync: IN_SYNC }), {});
  assert.equal(done.switchMaster?.spec?.selector?.['amqkeeper.io/node'], '0');
  assert.equal(done.roll.action, 'none');
  assert.ok(written(done).includes('delete Service/xl-broker-4'));
  assert.doesNotMatch(data(done, 'xl-connection').failoverUrl ?? '', /xl-broker-4/);
});

test('deleteClaim: the claims of removed nodes go with them; claims of other owners are never touched', () => {
  const c = withStatus(running('xl-broker-0'), cluster({ persistence: { deleteClaim: true } }));
  const left = converged(cluster({ replicas: 5, persistence: { deleteClaim: true } }), 0).filter(
    (o) => o.kind !== 'Pod' && /-[34]$/.test(o.metadata?.name ?? ''),
  );
  const gone = [...converged(c, 0), ...left].map((o) =>
    o.metadata?.name === 'xl-broker-4' && o.kind === 'Service' ? { ...o, metadata: { ...o.metadata, ownerReferences: [] } } : o,
  );
  const p = plan(observation(c, gone, { election: elected(0), sync: IN_SYNC }), {});
  const deletes = p.writes.filter((w) => w.verb === 'delete').map((w) => `${w.object.kind}/${w.object.metadata?.name}`);
  assert.deepEqual(deletes.sort(), ['PersistentVolumeClaim/data-xl-broker-3', 'PersistentVolumeClaim/data-xl-broker-4', 'Service/xl-broker-3']);
});

test('to and from one node: 1 -> 3 restarts the single node last, after both new ones caught up; 3 -> 1 keeps node 0 and removes the others, the master last', () => {
  const one = cluster({ replicas: 1 });
  const up = plan(observation(withStatus(running('xl-broker-0')), converged(one, 0), { election: elected(0, NOW, [0]), sync: IN_SYNC }), {});
  assert.ok(written(up).includes('apply Pod/xl-broker-1') && written(up).includes('apply Pod/xl-broker-2'));
  assert.equal(up.roll.action, 'wait');

  const c1 = withStatus(running('xl-broker-2'), one);
  const three = converged(cluster(), 2);
  assert.deepEqual(plan(observation(c1, three, { election: elected(2), sync: IN_SYNC }), {}).roll, {
    action: 'restart',
    pod: 'xl-broker-0',
    reason: 'slave first',
  });
  const rolled = converged(one, 2, undefined, [1, 2]).map((o) =>
    o.kind === 'Pod' && /-[12]$/.test(o.metadata?.name ?? '') ? named(three, 'Pod', o.metadata?.name ?? '')! : o,
  );
  assert.deepEqual(plan(observation(c1, rolled, { election: elected(2), sync: IN_SYNC }), {}).roll, {
    action: 'remove',
    pod: 'xl-broker-1',
    reason: 'leaving, slaves first',
  });
  const masterLeft = without(rolled, 'Pod', 'xl-broker-1');
  assert.deepEqual(plan(observation(c1, masterLeft, { election: elected(2, NOW, [0, 2]), sync: IN_SYNC }), {}).roll, {
    action: 'remove',
    pod: 'xl-broker-2',
    reason: 'leaving, the master last',
  });
});

test('the managed ensemble rolls before the brokers: followers first, the leader last, nothing while no server says it leads', () => {
  const c = withStatus(running('xl-broker-1'));
  const old = (pods: RegExp) => (o: KubernetesObject) =>
    pods.test(o.metadata?.name ?? '') ? { ...o, metadata: { ...o.metadata, annotations: { 'amqkeeper.io/revision': 'old' } } } : o;
  const all = converged(c, 1, old(/^xl-(zk|broker)-\d$/));
  const modes = new Map([
    ['xl-zk-0', 'leader' as const],
    ['xl-zk-1', 'follower' as const],
    ['xl-zk-2', 'follower' as const],
  ]);
  const o = { election: elected(1), sync: IN_SYNC };
  assert.deepEqual(plan(observation(c, all, { ...o, zkModes: modes }), {}).roll, { action: 'restart', pod: 'xl-zk-1', reason: 'follower first' });
  const leaderLeft = converged(c, 1, old(/^xl-(zk-0|broker-\d)$/));
  assert.deepEqual(plan(observation(c, leaderLeft, { ...o, zkModes: modes }), {}).roll, { action: 'restart', pod: 'xl-zk-0', reason: 'leader last' });
  const silent = new Map([...modes.keys()].map((k) => [k, undefined]));
  const held = plan(observation(c, all, { ...o, zkModes: silent }), {});
  assert.equal(held.roll.action, 'wait');
  assert.ok(!held.writes.some((w) => w.verb === 'delete'));
});

test('paused: a spec change writes nothing and restarts nothing, the master Service still follows ZooKeeper, and the condition says so', () => {
  const base = withStatus(running('xl-broker-1'), cluster({ jvmOptions: '-Dchanged=1' }));
  const c: BrokerCluster = { ...base, metadata: { ...base.metadata, annotations: { 'amqkeeper.io/pause-reconcile': 'true' } } };
  const live = converged(cluster(), 1);
  const p = plan(observation(c, live, { election: elected(2), sync: IN_SYNC }), {});
  assert.deepEqual(p.writes, []);
  assert.equal(p.roll.action, 'none');
  assert.equal(p.switchMaster?.spec?.selector?.['amqkeeper.io/node'], '2');
  assert.equal(p.status.conditions?.find((x) => x.type === 'ReconcilePaused')?.status, 'True');
  const resumed = plan(observation({ ...withStatus(p.status, cluster({ jvmOptions: '-Dchanged=1' })) }, live, { election: elected(2), sync: IN_SYNC }), {});
  assert.equal(resumed.roll.action, 'restart', 'removing the annotation resumes the roll');
  assert.equal(resumed.status.conditions?.find((x) => x.type === 'ReconcilePaused')?.status, 'False');
});

test('manual roll: a new amqkeeper.io/restart value rolls every broker once, in the safe order', () => {
  const base = withStatus(running('xl-broker-1'));
  const c: BrokerCluster = { ...base, metadata: { ...base.metadata, annotations: { 'amqkeeper.io/restart': '2026-06-01' } } };
  const p = plan(observation(c, converged(base, 1), { election: elected(1), sync: IN_SYNC }), {});
  assert.deepEqual(p.roll, { action: 'restart', pod: 'xl-broker-0', reason: 'slave first' });
  assert.equal(plan(observation(c, converged(c, 1), { election: elected(1), sync: IN_SYNC }), {}).roll.action, 'none', 'once');
});

test('switchover: the master is restarted only while nothing else is, and the status carries the request', () => {
  const base = withStatus(running('xl-broker-1'));
  const c: BrokerCluster = { ...base, metadata: { ...base.metadata, annotations: { 'amqkeeper.io/switchover': 'any' } } };
  const p = plan(observation(c, converged(base, 1), { election: elected(1), sync: IN_SYNC }), {});
  assert.deepEqual(p.roll, { action: 'restart', pod: 'xl-broker-1', reason: 'planned switchover' });
  assert.deepEqual(reasons(p), ['SwitchoverStarted', 'PodRestarted']);
  assert.equal(p.status.switchover?.state, 'InProgress');
  const later = plan(observation(withStatus(p.status, c), converged(base, 1), { election: elected(1), sync: IN_SYNC }), {});
  assert.equal(later.roll.action, 'none', 'not twice');
  assert.equal(later.status.switchover?.state, 'InProgress');
});

test('while ZooKeeper cannot be read an unready outdated broker is not restarted either (every broker looks unready then)', () => {
  const c = withStatus(running('xl-broker-1'));
  const unready = (o: KubernetesObject) =>
    o.kind === 'Pod' && o.metadata?.name?.startsWith('xl-broker-')
      ? { ...o, metadata: { ...o.metadata, annotations: { 'amqkeeper.io/revision': 'old' } }, status: { conditions: [{ type: 'Ready', status: 'False' }] } }
      : o;
  const live = converged(c, 1, unready);
  const p = plan(observation(c, live, { election: { ...elected(1), connected: false } }), {});
  assert.equal(p.roll.action, 'wait');
  assert.ok(!p.writes.some((w) => w.verb === 'delete'));
  assert.equal(
    plan(observation(c, live, { election: elected(1), sync: IN_SYNC }), {}).roll.action,
    'restart',
    'with the group read, one that serves nobody goes first',
  );
});

test('a slave on a lost node is force-deleted before any roll step, reported by condition and Event; then it is recreated', () => {
  const c = withStatus(running('xl-broker-1'), cluster({ jvmOptions: '-Dchanged=1' }));
  const notReady = (o: KubernetesObject) =>
    o.metadata?.name === 'xl-broker-2'
      ? { ...o, status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: new Date(NOW.getTime() - 90_000) }] } }
      : o;
  // Running the revision before the change: the roll would restart the unready xl-broker-2 first.
  const live = converged(withStatus(running('xl-broker-1')), 1, notReady);
  const lost = { pod: 'xl-broker-2', uid: 'uid-xl-broker-2', node: 'node-b', nodeGone: false, nodeReady: 'Unknown', claimPinned: false };
  const p = plan(
    observation(c, live, { election: elected(1), sync: IN_SYNC, podNodes: [{ ...lost, nodeSince: new Date(NOW.getTime() - 80_000).toISOString() }] }),
    {},
  );
  const force = p.writes.filter((w) => w.verb === 'delete');
  assert.deepEqual(
    force.map((w) => [w.object.metadata?.name, w.object.metadata?.uid, 'force' in w && w.force]),
    [['xl-broker-2', 'uid-xl-broker-2', true]],
  );
  assert.equal(p.roll.action, 'wait', 'the roll waits for the lost pod to be replaced');
  assert.deepEqual(reasons(p), ['NodeLost']);
  const cond = p.status.conditions?.find((x) => x.type === 'NodeLost');
  assert.equal(cond?.status, 'True');
  assert.match(cond?.message ?? '', /xl-broker-2 on node-b: force-deleted/);
  // Gone from the cache: created again (the scheduler puts it on a node that is Ready), and the condition clears.
  const after = plan(observation({ ...c, status: p.status }, without(live, 'Pod', 'xl-broker-2'), { election: elected(1), sync: IN_SYNC, podNodes: [] }), {});
  assert.ok(written(after).includes('apply Pod/xl-broker-2'));
  assert.equal(after.status.conditions?.find((x) => x.type === 'NodeLost')?.status, 'False');
  assert.equal(after.status.lostPods, undefined);
});

test('NetworkPolicies: a converged cluster writes none; the operator peer reaches them; switched off they are deleted, only where owned', () => {
  const on = withStatus(running('xl-broker-0'));
  const live = converged(on, 0);
  const still = plan(observation(on, live, { election: elected(0), sync: IN_SYNC }), {});
  assert.ok(!written(still).some((w) => w.includes('NetworkPolicy')), written(still).join(', '));

  const operator = { namespace: 'amq-keeper', podLabels: { 'app.kubernetes.io/component': 'operator' } };
  const moved = plan(observation(on, live, { election: elected(0), sync: IN_SYNC, operator }), {});
  assert.deepEqual(
    written(moved).filter((w) => w.includes('NetworkPolicy')),
    ['apply NetworkPolicy/xl-zk', 'apply NetworkPolicy/xl-broker'],
  );

  const off = withStatus(running('xl-broker-0'), cluster({ networkPolicy: { enabled: false } }));
  const p = plan(observation(off, live, { election: elected(0), sync: IN_SYNC }), {});
  assert.deepEqual(
    written(p).filter((w) => w.includes('NetworkPolicy')),
    ['delete NetworkPolicy/xl-zk', 'delete NetworkPolicy/xl-broker'],
  );
  // A policy of the same name that this cluster does not own is left alone.
  const foreign = live.map((o) =>
    o.kind === 'NetworkPolicy' && o.metadata?.name === 'xl-zk' ? { ...o, metadata: { ...o.metadata, ownerReferences: [] } } : o,
  );
  const q = plan(observation(off, foreign, { election: elected(0), sync: IN_SYNC }), {});
  assert.deepEqual(
    written(q).filter((w) => w.includes('NetworkPolicy')),
    ['delete NetworkPolicy/xl-broker'],
  );
});

test('credentials: a new cluster gets its Secret generated before anything else; a Secret the user names and lacks stops the cluster with the field named', () => {
  const fresh = plan(observation(cluster(), [], { election: ZK_READY, credentials: { state: 'missing', secret: 'xl-credentials', generated: true } }), {});
  assert.equal(fresh.generateCredentials, true);
  assert.deepEqual(fresh.writes, [], 'nothing runs before the logins exist');
  assert.equal(fresh.requeueAfterMs, 0, 'looked at again at once');
  assert.equal(fresh.status.conditions?.find((x) => x.type === 'Warning')?.status, 'False', 'no warning while the operator makes it');

  const own = cluster({ security: { credentialsSecret: 'mine' } });
  const live = converged(cluster(), 1);
  const missing = plan(
    observation(withStatus(running('xl-broker-1'), own), live, { election: elected(1), credentials: { state: 'missing', secret: 'mine', generated: false } }),
    {},
  );
  assert.equal(missing.generateCredentials, false, 'a Secret of the user is never made up');
  assert.deepEqual(missing.writes, [], 'what runs is left alone');
  assert.match(
    missing.status.conditions?.find((x) => x.type === 'Warning')?.message ?? '',
    /spec.security.credentialsSecret: Secret "mine" does not exist .* admin-password/,
  );
  const partial = plan(
    observation(withStatus(running('xl-broker-1'), own), live, {
      election: elected(1),
      credentials: { state: 'invalid', secret: 'mine', generated: false, missingKeys: ['admin-password'] },
    }),
    {},
  );
  assert.match(partial.status.conditions?.find((x) => x.type === 'Warning')?.message ?? '', /Secret "mine" has no value for admin-password/);

  // A changed Secret (new resourceVersion) rolls the brokers.
  const c = withStatus(running('xl-broker-1'));
  const rotated = plan(
    observation(c, converged(c, 1), {
      election: elected(1),
      sync: IN_SYNC,
      credentials: { state: 'found', credentials: { ...CREDENTIALS, version: 'uid-1/2' } },
    }),
    {},
  );
  assert.equal(rotated.roll.action, 'restart');
});

test('a zookeeper-password the group znode was not made with stops the roll onto it, naming the Secret and the way out', () => {
  const c = withStatus(running('xl-broker-1'));
  const o = observation(c, converged(c, 1), {
    election: elected(1),
    sync: IN_SYNC,
    credentials: { state: 'found', credentials: { ...CREDENTIALS, version: 'uid-1/2' } },
    zkGroup: 'changed',
  });
  const p = plan(o, {});
  assert.equal(p.roll.action, 'none');
  assert.deepEqual(p.writes, []);
  const w = p.status.conditions?.find((x) => x.type === 'Warning');
  assert.equal(w?.reason, 'ZooKeeperPasswordChanged');
  assert.match(w?.message ?? '', /Secret xl-credentials: zookeeper-password is not the one the group znode \/activemq\/leveldb-stores\/mq\/xl was made with/);
  assert.equal(plan({ ...o, zkGroup: 'same' }, {}).roll.action, 'restart', 'the same password rolls as any change');
});
