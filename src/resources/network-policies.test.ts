import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import type { BrokerClusterSpecInput } from '../api/types';
import { cluster } from '../../test/fixtures/clusters';
import { desiredState } from './desired-state';
import { buildNetworkPolicies, DEFAULT_OPERATOR_POD_LABELS, type NetworkPolicy, type NetworkPolicyPeer, type OperatorPeer } from './network-policies';

const OPERATOR: OperatorPeer = { namespace: 'amq-keeper', podLabels: DEFAULT_OPERATOR_POD_LABELS };

interface Pod {
  namespace: string;
  labels: Record<string, string>;
}

/** matchLabels and matchExpressions as the API server reads a LabelSelector. */
function matches(sel: V1LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (sel.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    const v = labels[e.key] ?? '';
    if (e.operator === 'In') return has && (e.values ?? []).includes(v);
    if (e.operator === 'NotIn') return !has || !(e.values ?? []).includes(v);
    return e.operator === 'Exists' ? has : !has;
  });
  return byLabels && byExpressions;
}

/** Whether a pod may be the source of a connection that a peer lets in, for a policy in namespace ns. */
function admits(peer: NetworkPolicyPeer, pod: Pod, ns: string, namespaces: Record<string, Record<string, string>>): boolean {
  const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, namespaces[pod.namespace] ?? {}) : pod.namespace === ns;
  return nsOk && (peer.podSelector ? matches(peer.podSelector, pod.labels) : true);
}

const namespaces = Object.fromEntries(['mq', 'amq-keeper', 'monitoring', 'apps'].map((n) => [n, { 'kubernetes.io/metadata.name': n }]));

const podOf = (p: V1Pod): Pod => ({ namespace: p.metadata?.namespace ?? '', labels: p.metadata?.labels ?? {} });

/** The pods of cluster xl and of its neighbour yz in the same namespace, and some other pods. */
function world(spec: Partial<BrokerClusterSpecInput> = {}) {
  const c = cluster(spec);
  const d = desiredState(c, { roles: new Map(), operator: OPERATOR });
  const other = desiredState(cluster({}, 'yz'), { roles: new Map() });
  return {
    c,
    d,
    policies: d.applied.filter((o): o is NetworkPolicy => o.kind === 'NetworkPolicy'),
    pods: {
      brokers: d.brokerPods.map(podOf),
      zk: d.zkPods.map(podOf),
      otherBrokers: other.brokerPods.map(podOf),
      otherZk: other.zkPods.map(podOf),
      operator: { namespace: 'amq-keeper', labels: { ...DEFAULT_OPERATOR_POD_LABELS, 'app.kubernetes.io/name': 'amq-keeper' } },
      // Chart labels in the wrong namespace, and the right namespace without them.
      impostor: { namespace: 'apps', labels: { ...DEFAULT_OPERATOR_POD_LABELS } },
      operatorNamespaceOther: { namespace: 'amq-keeper', labels: { app: 'else' } },
      app: { namespace: 'mq', labels: { app: 'orders' } },
      foreignApp: { namespace: 'apps', labels: { app: 'orders' } },
      prometheus: { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } },
    },
  };
}

/** Which of the named pods may open a connection to `port` of the pods `policy` selects. */
function whoReaches(policy: NetworkPolicy, port: number, pods: Record<string, Pod | Pod[]>): string[] {
  const ns = policy.metadata?.namespace ?? '';
  const rules = policy.spec.ingress.filter((r) => r.ports.some((p) => p.port === port && p.protocol === 'TCP'));
  return Object.entries(pods)
    .filter(([, group]) => [group].flat().every((pod) => rules.some((r) => r.from.some((peer) => admits(peer, pod, ns, namespaces)))))
    .map(([name]) => name)
    .sort();
}

const byName = (policies: NetworkPolicy[], name: string): NetworkPolicy => {
  const p = policies.find((x) => x.metadata?.name === name);
  assert.ok(p, name);
  return p;
};

test('a managed cluster gets a ZooKeeper and a broker policy, owned by it, for incoming traffic only', () => {
  const { policies, pods } = world();
  assert.deepEqual(
    policies.map((p) => p.metadata?.name),
    ['xl-zk', 'xl-broker'],
  );
  for (const p of policies) {
    assert.equal(p.apiVersion, 'networking.k8s.io/v1');
    assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'BrokerCluster');
    assert.equal(p.metadata?.labels?.['app.kubernetes.io/managed-by'], 'amq-keeper');
    assert.deepEqual(p.spec.policyTypes, ['Ingress'], 'egress stays open: DNS, external ensembles');
    // Never an empty "from", which would admit everyone.
    for (const r of p.spec.ingress) assert.ok(r.from.length > 0 && r.ports.length > 0);
  }
  const selected = (p: NetworkPolicy) =>
    Object.entries(pods)
      .filter(([, g]) => [g].flat().length > 0 && [g].flat().every((pod) => pod.namespace === 'mq' && matches(p.spec.podSelector, pod.labels)))
      .map(([n]) => n);
  assert.deepEqual(selected(byName(policies, 'xl-broker')), ['brokers']);
  assert.deepEqual(selected(byName(policies, 'xl-zk')), ['zk']);
});

test('each broker port: replication between the brokers, OpenWire from the namespace, console from the operator, metrics from anywhere', () => {
  const { policies, pods } = world();
  const broker = byName(policies, 'xl-broker');
  for (const i of [0, 1, 2]) {
    assert.deepEqual(whoReaches(broker, 63631 + i, pods), ['brokers'], `replication port of node ${i}`);
    assert.deepEqual(whoReaches(broker, 61616 + i, pods), ['app', 'brokers', 'otherBrokers', 'otherZk', 'zk'], `OpenWire of node ${i}`);
    assert.deepEqual(whoReaches(broker, 8161 + i, pods), ['operator'], `console of node ${i}`);
    assert.deepEqual(whoReaches(broker, 9404 + i, pods), Object.keys(pods).sort(), `metrics of node ${i}`);
  }
  // Nothing else is open: not the next node's ports, not ZooKeeper's.
  for (const port of [61619, 8164, 63634, 9407, 2181]) assert.deepEqual(whoReaches(broker, port, pods), [], String(port));
});

test('ZooKeeper: quorum ports between its servers, the client port from the brokers and the operator', () => {
  const { policies, pods } = world();
  const zk = byName(policies, 'xl-zk');
  assert.deepEqual(whoReaches(zk, 2888, pods), ['zk']);
  assert.deepEqual(whoReaches(zk, 3888, pods), ['zk']);
  assert.deepEqual(whoReaches(zk, 2181, pods), ['brokers', 'operator']);
  assert.deepEqual(whoReaches(zk, 8080, pods), [], 'the admin server stays closed');
});

test('the operator is selected by its namespace name label and its pod labels, both', () => {
  const { policies } = world();
  const peer = byName(policies, 'xl-zk').spec.ingress.find((r) => r.ports[0]?.port === 2181)?.from[1];
  assert.deepEqual(peer, {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'amq-keeper' } },
    podSelector: { matchLabels: DEFAULT_OPERATOR_POD_LABELS },
  });
});

test('without a known operator namespace only the node reaches the console and ZooKeeper clients are the brokers', () => {
  const c = cluster();
  const [zk, broker] = buildNetworkPolicies(c, undefined);
  assert.ok(zk && broker);
  const pods = world().pods;
  assert.deepEqual(whoReaches(zk, 2181, pods), ['brokers']);
  assert.deepEqual(whoReaches(broker, 8161, pods), []);
  assert.ok(!broker.spec.ingress.some((r) => r.ports.some((p) => p.port === 8161)), 'no console rule: closed to pods, not open');
});

test('the spec lists replace the defaults: clients, console, metrics', () => {
  const { policies, pods } = world({
    networkPolicy: {
      clients: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } }, podSelector: { matchLabels: { app: 'orders' } } }],
      console: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['orders'] }] } }],
      metrics: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    },
  });
  const broker = byName(policies, 'xl-broker');
  assert.deepEqual(whoReaches(broker, 61617, pods), ['foreignApp']);
  assert.deepEqual(whoReaches(broker, 8162, pods), ['app', 'operator']);
  assert.deepEqual(whoReaches(broker, 9405, pods), ['prometheus']);
});

test('an empty list lets no pod in: the rule is left out rather than rendered without "from"', () => {
  const { policies, pods } = world({ networkPolicy: { clients: [], metrics: [] } });
  const broker = byName(policies, 'xl-broker');
  assert.deepEqual(whoReaches(broker, 61616, pods), []);
  assert.deepEqual(whoReaches(broker, 9404, pods), []);
  assert.deepEqual(
    broker.spec.ingress.map((r) => r.ports.map((p) => p.port)),
    [
      [63631, 63632, 63633],
      [8161, 8162, 8163],
    ],
  );
});

test('no metrics rule when spec.metrics is off; other base ports follow spec.ports', () => {
  const { policies } = world({ metrics: { enabled: false }, ports: { openwire: 5000, console: 6000, replication: 7000 }, replicas: 2 });
  assert.deepEqual(
    byName(policies, 'xl-broker').spec.ingress.map((r) => r.ports.map((p) => p.port)),
    [
      [7000, 7001],
      [5000, 5001],
      [6000, 6001],
    ],
  );
});

test('an external ensemble: only the broker policy', () => {
  const { policies } = world({ zookeeper: { external: { connectString: 'zk:2181' } } });
  assert.deepEqual(
    policies.map((p) => p.metadata?.name),
    ['xl-broker'],
  );
});

test('a leaving node keeps its ports open until its pod is gone', () => {
  const d = desiredState(cluster({ replicas: 3 }), { roles: new Map(), leaving: [3], operator: OPERATOR });
  const broker = d.applied.find((o) => o.kind === 'NetworkPolicy' && o.metadata?.name === 'xl-broker') as NetworkPolicy;
  assert.deepEqual(
    broker.spec.ingress[0]?.ports.map((p) => p.port),
    [63631, 63632, 63633, 63634],
  );
});

test('switched off: none applied, and both deleted where this cluster made them', () => {
  const d = desiredState(cluster({ networkPolicy: { enabled: false } }), { roles: new Map(), operator: OPERATOR });
  assert.ok(!d.applied.some((o) => o.kind === 'NetworkPolicy'));
  const gone = d.leftovers.filter((o: KubernetesObject) => o.kind === 'NetworkPolicy');
  assert.deepEqual(
    gone.map((o) => o.metadata?.name),
    ['xl-zk', 'xl-broker'],
  );
  for (const o of gone) assert.equal(o.metadata?.ownerReferences?.[0]?.uid, '11111111-2222-3333-4444-555555555555', 'only its own');
});

test('the policies are applied before anything listens', () => {
  const d = desiredState(cluster(), { roles: new Map(), operator: OPERATOR });
  assert.deepEqual(
    d.applied.slice(0, 2).map((o) => `${o.kind}/${o.metadata?.name}`),
    ['NetworkPolicy/xl-zk', 'NetworkPolicy/xl-broker'],
  );
});
