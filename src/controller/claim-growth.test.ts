// A larger spec.persistence.size, decided without a server: what observe
// learns of the broker claims, and what one reconcile writes from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1PersistentVolumeClaim, V1Pod, V1StorageClass } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import type { SpecFacts } from '../api/spec-checks';
import type { ElectionSnapshot } from '../model/election';
import { withAppliedHash } from '../kube/apply';
import { desiredState } from '../resources/desired-state';
import { CREDENTIALS, cluster } from '../../test/fixtures/clusters';
import { childWrites } from './child-writes';
import { claimFacts } from './claim-facts';
import type { LiveLookup, Observation } from './observe';
import { plan } from './plan';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const CLASSES: Record<string, V1StorageClass> = {
  grow: { provisioner: 'x', allowVolumeExpansion: true },
  fixed: { provisioner: 'x' },
};

function elected(master: number): ElectionSnapshot {
  const members = [0, 1, 2].map((i) => ({ memberId: `000000000${i}`, pod: `xl-broker-${i}`, role: i === master ? ('master' as const) : ('slave' as const) }));
  return { connected: true, known: true, members, at: NOW, master: { pod: `xl-broker-${master}`, index: master } };
}

/** The owned objects of a converged cluster with xl-broker-1 as master; claims bound, of the given class. */
function converged(c: BrokerCluster, storageClass?: string): KubernetesObject[] {
  const roles = new Map([0, 1, 2].map((i) => [`xl-broker-${i}`, i === 1 ? ('master' as const) : ('slave' as const)]));
  const d = desiredState(c, { masterIndex: 1, roles, credentials: CREDENTIALS });
  const claims = d.claims.map(
    (pvc): V1PersistentVolumeClaim => ({ ...pvc, spec: { ...pvc.spec, storageClassName: storageClass }, status: { phase: 'Bound' } }),
  );
  const pods = [...d.zkPods, ...d.brokerPods].map(
    (p): V1Pod => ({ ...p, metadata: { ...p.metadata, uid: `uid-${p.metadata?.name}` }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }),
  );
  return [d.masterService, ...d.applied].map((o) => withAppliedHash(o)).concat(claims, pods);
}

function lookup(objects: KubernetesObject[]): LiveLookup {
  const byKey = new Map(objects.map((x) => [`${x.kind}/${x.metadata?.name}`, x]));
  return <T extends KubernetesObject>(kind: string, name: string) => byKey.get(`${kind}/${name}`) as T | undefined;
}

/** claimFacts with the classes above, counting the reads. */
async function factsOf(c: BrokerCluster, live: LiveLookup): Promise<{ facts: SpecFacts; reads: string[] }> {
  const reads: string[] = [];
  const facts = await claimFacts(c, live, async (name) => {
    reads.push(name);
    return CLASSES[name];
  });
  return { facts, reads };
}

/** A running cluster whose master xl-broker-1 is known, its slaves in sync. */
async function observation(spec: BrokerCluster, live: KubernetesObject[]): Promise<Observation> {
  const c: BrokerCluster = { ...spec, status: { master: 'xl-broker-1', masterSince: NOW.toISOString(), failovers: 0 } };
  const l = lookup(live);
  const inSync = { inSync: true, reason: 'InSync' as const, message: 'every slave acknowledged a checkpoint', confirmedAt: NOW.getTime() - 1_000 };
  return {
    cluster: c,
    live: l,
    facts: (await factsOf(c, l)).facts,
    election: elected(1),
    sync: inSync,
    credentials: { state: 'found', credentials: CREDENTIALS },
    now: NOW,
  };
}

const written = (writes: { verb: string; object: KubernetesObject }[]) => writes.map((w) => `${w.verb} ${w.object.kind}/${w.object.metadata?.name}`);

test('claims as large as the spec: their size is known and no StorageClass is read', async () => {
  const c = cluster();
  const { facts, reads } = await factsOf(c, lookup(converged(c, 'fixed')));
  assert.deepEqual(facts, { claimSize: '10Gi' });
  assert.deepEqual(reads, []);
  assert.deepEqual(await factsOf(c, lookup([])), { facts: {}, reads: [] }, 'no claims yet');
});

test('a larger size: each smaller broker claim with whether it can grow; the ZooKeeper claims are not concerned', async () => {
  const big = cluster({ persistence: { size: '20Gi' } });
  const grow = await factsOf(big, lookup(converged(cluster(), 'grow')));
  assert.equal(grow.facts.claimSize, '10Gi');
  assert.deepEqual(
    grow.facts.claimGrowth?.map((g) => [g.claim, g.size, g.storageClass, g.obstacle]),
    [0, 1, 2].map((i) => [`data-xl-broker-${i}`, '10Gi', 'grow', undefined]),
  );
  const obstacles = async (live: KubernetesObject[]) => (await factsOf(big, lookup(live))).facts.claimGrowth?.map((g) => g.obstacle);
  assert.deepEqual(await obstacles(converged(cluster(), 'fixed')), ['ExpansionNotAllowed', 'ExpansionNotAllowed', 'ExpansionNotAllowed']);
  assert.deepEqual((await obstacles(converged(cluster(), 'gone')))?.[0], 'StorageClassNotFound');
  assert.deepEqual(
    (await obstacles(converged(cluster())))?.[0],
    'NoStorageClass',
    'the default class does not count: the API server resizes only by the claim’s own class',
  );
  const pending = converged(cluster(), 'grow').map((o) => (o.metadata?.name === 'data-xl-broker-2' ? { ...o, status: { phase: 'Pending' } } : o));
  assert.deepEqual(await obstacles(pending), [undefined, undefined, 'NotBound']);
  // 10240Mi is 10Gi: no growth.
  assert.equal((await factsOf(cluster({ persistence: { size: '10240Mi' } }), lookup(converged(cluster(), 'grow')))).facts.claimGrowth, undefined);
});

test('claim writes: the request is raised only for an expandable claim, and never lowered', () => {
  const live = lookup(converged(cluster(), 'grow'));
  const big = desiredState(cluster({ persistence: { size: '20Gi' } }), { roles: new Map() });
  const claimPatches = (writes: ReturnType<typeof childWrites>) => writes.filter((w) => w.object.kind === 'PersistentVolumeClaim');
  const grown = claimPatches(childWrites(big, live, new Set(['data-xl-broker-0', 'data-xl-broker-1', 'data-xl-broker-2', 'data-xl-zk-0'])));
  assert.deepEqual(written(grown), [
    'patch PersistentVolumeClaim/data-xl-broker-0',
    'patch PersistentVolumeClaim/data-xl-broker-1',
    'patch PersistentVolumeClaim/data-xl-broker-2',
  ]);
  assert.deepEqual(grown[0]?.object, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data-xl-broker-0', namespace: 'mq' },
    spec: { resources: { requests: { storage: '20Gi' } } },
  });
  assert.deepEqual(claimPatches(childWrites(big, live)), [], 'not known to be expandable');
  const small = desiredState(cluster({ persistence: { size: '5Gi' } }), { roles: new Map() });
  assert.deepEqual(claimPatches(childWrites(small, live, new Set(['data-xl-broker-0']))), [], 'a shrink is never written');
  // Owners and size in one patch.
  const owned = desiredState(cluster({ persistence: { size: '20Gi', deleteClaim: true } }), { roles: new Map() });
  const both = claimPatches(childWrites(owned, live, new Set(['data-xl-broker-0'])));
  const first = both.find((w) => w.object.metadata?.name === 'data-xl-broker-0')?.object as V1PersistentVolumeClaim | undefined;
  assert.equal(first?.metadata?.ownerReferences?.length, 1);
  assert.equal(first?.spec?.resources?.requests?.storage, '20Gi');
  const other = both.find((w) => w.object.metadata?.name === 'data-xl-broker-1')?.object as V1PersistentVolumeClaim | undefined;
  assert.equal(other?.spec, undefined, 'only the owner changes where the claim may not grow');
});

test('a growth the class allows: the claims are patched before the new configuration and before the roll starts', async () => {
  const c = cluster({ persistence: { size: '20Gi' } });
  const p = plan(await observation(c, converged(cluster(), 'grow')), {});
  const order = written(p.writes);
  const claims = order.filter((w) => w.startsWith('patch PersistentVolumeClaim/'));
  assert.deepEqual(
    claims,
    [0, 1, 2].map((i) => `patch PersistentVolumeClaim/data-xl-broker-${i}`),
  );
  const config = order.indexOf('apply ConfigMap/xl-broker-config');
  assert.ok(config > order.indexOf('patch PersistentVolumeClaim/data-xl-broker-2'), 'store limits follow the claims');
  assert.ok(order.indexOf('delete Pod/xl-broker-0') > config, 'the roll starts after both, slave first');
  assert.equal(p.status.claimSize, '10Gi');
  assert.equal(p.status.conditions?.find((x) => x.type === 'Warning')?.status, 'False');
});

test('a growth the class does not allow: nothing is written, Ready=False and a Warning Event say what to do', async () => {
  const c = cluster({ persistence: { size: '20Gi' } });
  const p = plan(await observation(c, converged(cluster(), 'fixed')), {});
  assert.deepEqual(p.writes, []);
  assert.equal(p.roll.action, 'none');
  const message = p.status.conditions?.find((x) => x.type === 'Warning')?.message ?? '';
  assert.match(
    message,
    /^spec\.persistence\.size: StorageClass fixed does not allow volume expansion .* set spec\.persistence\.size back to 10Gi or allow expansion on the class$/,
  );
  assert.equal(p.status.conditions?.find((x) => x.type === 'Ready')?.status, 'False');
  assert.deepEqual(
    p.events.map((e) => [e.type, e.reason, e.note]),
    [['Warning', 'InvalidSpec', message]],
  );
});

test('claims larger than the spec (a cluster made again with a smaller size) are left as they are', async () => {
  const c = cluster({ persistence: { size: '5Gi' } });
  const live = converged(cluster(), 'fixed');
  const o = await observation(c, live);
  assert.deepEqual(o.facts, { claimSize: '10Gi' });
  const p = plan(o, {});
  assert.deepEqual(
    p.writes.filter((w) => w.object.kind === 'PersistentVolumeClaim'),
    [],
  );
  assert.deepEqual(
    p.status.conditions?.filter((x) => x.type === 'Ready' && x.reason === 'SpecNotApplied'),
    [],
  );
});
