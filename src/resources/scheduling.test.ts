import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { BrokerClusterSpecInput } from '../api/types';
import { ANNOTATION_REVISION } from '../metadata/labels';
import { desiredState } from './desired-state';
import { buildBrokerPod } from './broker-pod';
import { buildZkPod } from './zk-pod';
import { LABEL_HOSTNAME, LABEL_ZONE } from './scheduling';
import { cluster } from '../../test/fixtures/clusters';

const none = { roles: new Map() };

function pods(spec: Partial<BrokerClusterSpecInput> = {}): { brokers: V1Pod[]; zk: V1Pod[] } {
  const d = desiredState(cluster(spec), none);
  return { brokers: d.brokerPods, zk: d.zkPods };
}

/** The preferred anti-affinity terms of a pod as [topologyKey, weight, matchLabels]. */
function apart(p: V1Pod): [string, number, Record<string, string> | undefined][] {
  return (p.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => [
    t.podAffinityTerm.topologyKey,
    t.weight,
    t.podAffinityTerm.labelSelector?.matchLabels,
  ]);
}

const zkSpec = (zookeeper: Record<string, unknown>): Partial<BrokerClusterSpecInput> => ({ zookeeper: { replicas: 3, ...zookeeper } });

test('by default brokers, and apart from them ZooKeeper servers, prefer other nodes and zones, selected by stable labels only', () => {
  const { brokers, zk } = pods();
  for (const [list, component] of [
    [brokers, 'broker'],
    [zk, 'zookeeper'],
  ] as const) {
    assert.equal(list.length, 3);
    for (const p of list) {
      const selector = { 'amqkeeper.io/cluster': 'xl', 'amqkeeper.io/component': component };
      assert.deepEqual(apart(p), [
        [LABEL_HOSTNAME, 100, selector],
        [LABEL_ZONE, 100, selector],
      ]);
      // The selector matches every pod of the component, whatever its node index or role.
      for (const other of list) for (const [k, v] of Object.entries(selector)) assert.equal(other.metadata?.labels?.[k], v);
      assert.equal(p.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, undefined, 'preferred, never required');
      assert.equal(p.spec?.affinity?.nodeAffinity, undefined);
      assert.equal(p.spec?.topologySpreadConstraints, undefined);
      assert.equal(p.spec?.tolerations, undefined);
      assert.equal(p.spec?.nodeSelector, undefined);
    }
  }
  // A role label does not change what the pod selects.
  const c = cluster();
  assert.deepEqual(buildBrokerPod(c, 0, '', 'master').spec?.affinity, buildBrokerPod(c, 0, '').spec?.affinity);
});

test('an affinity without podAntiAffinity keeps the default spreading next to it', () => {
  const nodeAffinity = {
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['mq'] }] }] },
  };
  const { brokers, zk } = pods({ affinity: { nodeAffinity }, ...zkSpec({ affinity: { nodeAffinity } }) });
  for (const p of [...brokers, ...zk]) {
    assert.deepEqual(p.spec?.affinity?.nodeAffinity, nodeAffinity);
    assert.equal(apart(p).length, 2);
  }
});

test("the spec's podAntiAffinity or topologySpreadConstraints replace the default, for brokers and ZooKeeper alike", () => {
  const podAntiAffinity = {
    requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'amqkeeper.io/cluster': 'xl' } }, topologyKey: LABEL_HOSTNAME }],
  };
  const spread = [
    { maxSkew: 1, topologyKey: LABEL_ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { 'amqkeeper.io/cluster': 'xl' } } },
  ];

  let p = pods({ affinity: { podAntiAffinity }, ...zkSpec({ affinity: { podAntiAffinity } }) });
  for (const pod of [...p.brokers, ...p.zk]) {
    assert.deepEqual(pod.spec?.affinity, { podAntiAffinity }, 'exactly what the spec says');
    assert.equal(pod.spec?.topologySpreadConstraints, undefined);
  }

  p = pods({ topologySpreadConstraints: spread, ...zkSpec({ topologySpreadConstraints: spread }) });
  for (const pod of [...p.brokers, ...p.zk]) {
    assert.deepEqual(pod.spec?.topologySpreadConstraints, spread);
    assert.equal(pod.spec?.affinity, undefined, 'no anti-affinity added next to constraints');
  }

  // An empty list turns the default off.
  p = pods({ topologySpreadConstraints: [], ...zkSpec({ topologySpreadConstraints: [] }) });
  for (const pod of [...p.brokers, ...p.zk]) assert.equal(pod.spec?.affinity, undefined);

  // One component's override leaves the other's default alone.
  p = pods({ topologySpreadConstraints: spread });
  for (const pod of p.brokers) assert.equal(pod.spec?.affinity, undefined);
  for (const pod of p.zk) assert.equal(apart(pod).length, 2);
});

test("ZooKeeper pods get spec.zookeeper's scheduling settings, and never the brokers'", () => {
  const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'zookeeper', effect: 'NoSchedule' }];
  const nodeSelector = { pool: 'zk' };
  const resources = { requests: { cpu: '100m', memory: '512Mi' } };
  const c = cluster({
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'mq', effect: 'NoSchedule' }],
    nodeSelector: { pool: 'mq' },
    ...zkSpec({ tolerations, nodeSelector, resources }),
  });
  for (const i of [0, 1, 2]) {
    const zk = buildZkPod(c, i).spec;
    assert.deepEqual(zk?.tolerations, tolerations);
    assert.deepEqual(zk?.nodeSelector, nodeSelector);
    assert.deepEqual(zk?.containers[0]?.resources, resources);
    const broker = buildBrokerPod(c, i, '').spec;
    assert.deepEqual(broker?.nodeSelector, { pool: 'mq' });
    assert.equal(broker?.tolerations?.[0]?.value, 'mq');
  }
});

test('a change of any scheduling field gives the pods a new revision (they roll)', () => {
  const revision = (p: V1Pod) => p.metadata?.annotations?.[ANNOTATION_REVISION];
  const base = cluster();
  const brokerRev = revision(buildBrokerPod(base, 0, ''));
  const zkRev = revision(buildZkPod(base, 0));
  const spread = [{ maxSkew: 1, topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway' }];
  const changes: Partial<BrokerClusterSpecInput>[] = [
    { affinity: { podAntiAffinity: {} } },
    { tolerations: [{ key: 'k', operator: 'Exists' }] },
    { nodeSelector: { a: 'b' } },
    { topologySpreadConstraints: spread },
  ];
  for (const change of changes) {
    const c = cluster(change);
    assert.notEqual(revision(buildBrokerPod(c, 0, '')), brokerRev, `broker ${Object.keys(change)[0]}`);
    assert.equal(revision(buildZkPod(c, 0)), zkRev, `ZooKeeper ignores broker ${Object.keys(change)[0]}`);
    const z = cluster(zkSpec(change));
    assert.notEqual(revision(buildZkPod(z, 0)), zkRev, `zookeeper.${Object.keys(change)[0]}`);
    assert.equal(revision(buildBrokerPod(z, 0, '')), brokerRev, `brokers ignore zookeeper.${Object.keys(change)[0]}`);
  }
});
