// The Helm chart against a real control plane with a kwok node: lint, the
// copies it ships in sync, the Prometheus operator objects it renders on
// request (accepted by the API server once their CRDs exist), install, upgrade
// to namespaced mode, uninstall.
// The RBAC is proven by running the operator with nothing but the chart
// ServiceAccount's token, in both modes, and by asking what else it may do;
// the admission policy, by writing as that token what no BrokerCluster owns.
// (The operator image does not exist here: kwok marks the pod Running anyway,
// and the operator itself runs in this process, as that ServiceAccount.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  KubernetesObject,
  V1ClusterRole,
  V1ConfigMap,
  V1Deployment,
  V1OwnerReference,
  V1Pod,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { clusterAccess } from './support/cluster-access';
import { CHART_DIR, helm, helmOk, helmPath, serviceAccountKubeconfig } from './support/helm';
import { startOperator, type RunningOperator } from './support/operator';
import { eventually } from './support/eventually';
import { CHART_CRD_FILE, DEPLOY_FILE, SOURCE_CRD_FILE, renderDeployYaml } from '../hack/gen-deploy';
import { metrics } from '../src/observability/metrics';
import { example } from './fixtures/clusters';
import { fetchedPath } from './support/fetched';
import { ALERT_RULES_FILE } from './support/monitoring';
import { LABEL_COMPONENT, MANAGED_BY } from '../src/metadata/labels';

const RELEASE = 'amq-keeper';
const NS = 'amq-keeper';
const SA = 'amq-keeper';
const SA_USER = `system:serviceaccount:${NS}:${SA}`;
/** How the API server words a refusal by the chart's admission policy. */
const POLICY = `${RELEASE}-owned-objects`;
const DENIED_BY_POLICY = new RegExp(
  `ValidatingAdmissionPolicy '${POLICY}' with binding '${POLICY}' denied request: amq-keeper writes only objects a BrokerCluster owns`,
);
const NS_LABEL = 'amqkeeper.io/brokers';
const LEADER_ARGS = [
  '--leader-elect',
  `--leader-elect-resource-name=${RELEASE}`,
  `--leader-elect-resource-namespace=${NS}`,
  '--leader-elect-lease-duration=15s',
  '--leader-elect-renew-deadline=10s',
  '--leader-elect-retry-period=2s',
];

/** Every Prometheus operator object of the chart on. */
const MONITORING_ON = ['brokerPodMonitor', 'serviceMonitor', 'prometheusRule'].flatMap((o) => ['--set', `monitoring.${o}.enabled=true`]);

let cp: ControlPlane;
const kube = clusterAccess(() => cp.kubeconfig);
const { k, getJson, items } = kube;
const h = (args: string[]) => helmOk(cp.kubeconfig, args);

/** Kind/name of every object the cluster owns. */
async function owned(ns: string, name: string): Promise<string[]> {
  return (await kube.owned(name, ns)).map((o) => `${o.kind}/${o.metadata?.name}`).sort();
}

/** Every object a cluster with a managed 3-node ensemble and 3 brokers owns. */
function expectedOwned(name: string): string[] {
  const n = [0, 1, 2];
  return [
    `ConfigMap/${name}-broker-config`,
    `ConfigMap/${name}-connection`,
    `ConfigMap/${name}-zk-config`,
    `NetworkPolicy/${name}-broker`,
    `NetworkPolicy/${name}-zk`,
    ...n.map((i) => `PersistentVolumeClaim/data-${name}-broker-${i}`),
    ...n.map((i) => `PersistentVolumeClaim/data-${name}-zk-${i}`),
    ...n.map((i) => `Pod/${name}-broker-${i}`),
    ...n.map((i) => `Pod/${name}-zk-${i}`),
    `PodDisruptionBudget/${name}-broker`,
    `PodDisruptionBudget/${name}-zk`,
    ...n.map((i) => `Service/${name}-broker-${i}`),
    `Service/${name}-broker-hs`,
    `Service/${name}-master`,
    `Service/${name}-zk`,
    `Service/${name}-zk-hs`,
  ].sort();
}

/** `kubectl auth can-i` as the chart's ServiceAccount: true for "yes". */
async function canI(args: string[]): Promise<boolean> {
  const r = await kube.kubectl(['auth', 'can-i', ...args, '--as', SA_USER]);
  const answer = r.stdout.trim();
  if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl auth can-i ${args.join(' ')}: ${r.stderr}`);
  return answer === 'yes';
}

/** Access as the chart's ServiceAccount, with its own token. */
async function asServiceAccount() {
  return clusterAccess(await serviceAccountKubeconfig(cp.kubeconfig, NS, SA));
}

/** `kubectl create` of obj by who; asserts it is refused with a message matching message. */
async function refusedCreate(who: ReturnType<typeof clusterAccess>, obj: KubernetesObject, message: RegExp): Promise<void> {
  const r = await who.kubectl(['create', '-f', '-'], stringify(obj));
  assert.notEqual(r.code, 0, `admitted: ${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`);
  assert.match(r.stderr, message);
}

const configMap = (namespace: string, name: string, owner?: V1OwnerReference): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, ...(owner ? { ownerReferences: [owner] } : {}) },
  data: { k: 'v' },
});

const pod = (namespace: string, name: string, owner?: V1OwnerReference): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, ...(owner ? { ownerReferences: [owner] } : {}) },
  spec: { containers: [{ name: 'c', image: 'example.invalid/none' }] },
});

/** An owner reference to a real BrokerCluster. */
async function ownerOf(namespace: string, name: string): Promise<V1OwnerReference> {
  const bc = await kube.cluster(name, namespace);
  return { apiVersion: bc.apiVersion, kind: bc.kind, name, uid: bc.metadata.uid ?? '' };
}

async function reconcileErrors(): Promise<number> {
  const m = await metrics.reconciles.get();
  return m.values.filter((v) => v.labels.result === 'error').reduce((s, v) => s + v.value, 0);
}

async function startOperatorAsServiceAccount(namespaces?: string[]): Promise<RunningOperator> {
  const kubeconfig = await serviceAccountKubeconfig(cp.kubeconfig, NS, SA);
  // Its watches retry forever on 403, so a missing list/watch right shows as a start that never ends.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('operator caches did not sync within 60 s as the ServiceAccount (list/watch forbidden?)')), 60_000);
  });
  try {
    return await Promise.race([startOperator(kubeconfig, { namespaces, lease: { namespace: NS, name: RELEASE } }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a ServiceAccount-run operator must manage to do for one cluster; exercises every verb it holds. */
async function provesRbac(op: RunningOperator, ns: string, name: string): Promise<void> {
  const errorsBefore = await reconcileErrors();
  // list/watch BrokerClusters; create+patch (server-side apply) every owned kind.
  await eventually(async () => assert.deepEqual(await owned(ns, name), expectedOwned(name)), { timeoutMs: 60_000, what: `every object of ${ns}/${name}` });
  // patch brokerclusters/status.
  const bc = await kube.untilCluster(
    name,
    (c) => {
      assert.equal(c.status?.observedGeneration, c.metadata.generation);
      assert.deepEqual(c.status?.conditions?.map((x) => x.type).sort(), [
        'BrokersReady',
        'MasterElected',
        'Ready',
        'Reconciled',
        'ReplicasInSync',
        'Warning',
        'ZooKeeperReady',
      ]);
      return c;
    },
    { namespace: ns, what: `status of ${ns}/${name}` },
  );
  assert.equal(bc.status?.phase, 'Provisioning');
  // get storageclasses (cluster-scoped) and create events.k8s.io events.
  await k(['-n', ns, 'patch', 'bc', name, '--type=merge', '-p', '{"spec":{"persistence":{"storageClassName":"no-such-class"}}}']);
  await eventually(
    async () => {
      assert.equal((await kube.condition(name, 'Warning', ns))?.reason, 'StorageClassNotFound');
      assert.notDeepEqual(await kube.events(name, 'InvalidSpec', ns), [], 'a Warning Event');
    },
    { what: 'StorageClassNotFound reported' },
  );
  await k(['-n', ns, 'patch', 'bc', name, '--type=json', '-p', '[{"op":"remove","path":"/spec/persistence/storageClassName"}]']);
  // patch claims (their owner follows deleteClaim).
  await k(['-n', ns, 'patch', 'bc', name, '--type=merge', '-p', '{"spec":{"persistence":{"deleteClaim":true}}}']);
  await eventually(
    async () => {
      const pvc = await getJson<KubernetesObject>(['-n', ns, 'get', 'pvc', `data-${name}-broker-0`]);
      assert.equal(pvc.metadata?.ownerReferences?.[0]?.uid, bc.metadata.uid);
    },
    { what: 'claim owned by the cluster' },
  );
  // delete pods: a broker setting restarts the pods one at a time.
  await op.settle();
  const oldRev = (await getJson<V1Pod>(['-n', ns, 'get', 'pod', `${name}-broker-0`])).metadata?.annotations?.['amqkeeper.io/revision'];
  await k(['-n', ns, 'patch', 'bc', name, '--type=merge', '-p', '{"spec":{"persistence":{"sync":"quorum_disk"}}}']);
  await eventually(
    async () => {
      const pods = await items<V1Pod>(['-n', ns, 'get', 'pods', '-l', `amqkeeper.io/cluster=${name},amqkeeper.io/component=broker`]);
      assert.ok(
        pods.some((p) => p.metadata?.annotations?.['amqkeeper.io/revision'] !== oldRev),
        'a broker pod was replaced',
      );
      assert.notDeepEqual(await kube.events(name, 'PodRestarted', ns), []);
    },
    { timeoutMs: 60_000, what: 'a rolling restart' },
  );
  await op.settle();
  assert.equal(await reconcileErrors(), errorsBefore, 'no reconcile failed (a 403 would fail one)');
}

const rulesOf = (r: { rules?: V1PolicyRule[] }) =>
  (r.rules ?? []).map((x) => `${(x.apiGroups ?? []).join(',')}/${(x.resources ?? []).join(',')}:${(x.verbs ?? []).join(',')}`).sort();

before(async () => {
  await helmPath(); // build it first, so its build time is not counted against a test
  cp = await startControlPlane({ kwok: true });
  // The operator pod must pass the "restricted" Pod Security Standard.
  await k(['create', 'namespace', NS]);
  await k(['label', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted']);
  for (const ns of ['mq', 'team-a', 'team-b', 'other']) await k(['create', 'namespace', ns]);
});

after(async () => {
  await cp?.stop();
});

describe('the chart', () => {
  test('helm lint --strict is clean, in every mode', async () => {
    for (const extra of [
      [],
      ['--set', 'watchNamespaces={team-a,team-b}'],
      ['--set', 'leaderElection.enabled=false'],
      ['--set', 'replicaCount=3'],
      MONITORING_ON,
      ['--set', 'admissionPolicy.enabled=false'],
      ['--set', `admissionPolicy.namespaceLabels.${NS_LABEL.replace('.', '\\.')}=allowed`],
    ]) {
      const r = await helm('', ['lint', '--strict', CHART_DIR, ...extra]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(r.stdout, /\[(WARNING|ERROR)\]/);
      assert.equal(r.stderr, '');
    }
  });

  test('ships the very CRD in crds/ (run npx tsx hack/gen-deploy.ts)', () => {
    assert.equal(readFileSync(CHART_CRD_FILE, 'utf8'), readFileSync(SOURCE_CRD_FILE, 'utf8'));
  });

  test('deploy/operator.yaml is the chart rendered (run npx tsx hack/gen-deploy.ts)', async () => {
    assert.equal(readFileSync(DEPLOY_FILE, 'utf8'), renderDeployYaml(await helmPath()));
  });

  test('without leader election: one pod, Recreate, no Lease rights', async () => {
    const out = await h(['template', RELEASE, CHART_DIR, '-n', NS, '--set', 'leaderElection.enabled=false']);
    const objs = parseAllDocuments(out).map((d) => d.toJS() as KubernetesObject & { spec?: V1Deployment['spec'] });
    const d = objs.find((o) => o.kind === 'Deployment');
    assert.equal(d?.spec?.strategy?.type, 'Recreate');
    assert.ok(!d?.spec?.template.spec?.containers[0]?.args?.some((a) => a.startsWith('--leader-elect')));
    assert.deepEqual(
      objs.filter((o) => o.metadata?.name?.endsWith('-leader-election')),
      [],
    );
  });

  test('refuses several pods without leader election, and bad timings, naming the value', async () => {
    for (const [set, message] of [
      [['replicaCount=2', 'leaderElection.enabled=false'], /replicaCount: 2 needs leaderElection.enabled=true/],
      [['replicaCount=0'], /replicaCount must be at least 1, not 0/],
      [['leaderElection.leaseDuration=15'], /leaderElection.leaseDuration must be a duration such as 500ms or 15s, not "15"/],
      [['monitoring.serviceMonitor.enabled=true', 'metrics.service.enabled=false'], /monitoring.serviceMonitor.enabled needs metrics.service.enabled=true/],
      [["admissionPolicy.namespaceLabels.team=a'b"], /admissionPolicy.namespaceLabels: "a'b" is not a label value \(of team\)/],
    ] as const) {
      const r = await helm('', ['template', RELEASE, CHART_DIR, ...set.flatMap((x) => ['--set', x])]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
    }
    // Rather than install without the bound, on a cluster that has no admission policies.
    const old = await helm('', ['template', RELEASE, CHART_DIR, '--kube-version', '1.29.0']);
    assert.match(old.stderr, /Kubernetes 1.30 or later \(this is v1.29.0\): set admissionPolicy.enabled=false/);
  });

  test('refuses watchNamespaces that are not namespace names', async () => {
    const r = await helm('', ['template', RELEASE, CHART_DIR, '--set', 'watchNamespaces={Team_A}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /watchNamespaces: "Team_A" is not a namespace name/);
  });
});

describe('the Prometheus operator objects', () => {
  interface MonitorSpec {
    selector?: { matchLabels?: Record<string, string> };
    namespaceSelector?: unknown;
    podMetricsEndpoints?: { port?: string; relabelings?: { targetLabel?: string }[] }[];
    endpoints?: { port?: string; honorLabels?: boolean }[];
    ports?: { name?: string }[];
  }
  type Monitor = KubernetesObject & { spec: MonitorSpec };
  const render = async (extra: string[]) =>
    parseAllDocuments(await h(['template', RELEASE, CHART_DIR, '-n', NS, ...extra]))
      .map((d) => d.toJS() as Monitor | null)
      .filter((o): o is Monitor => Boolean(o?.kind));
  const monitoringObjects = (objs: Monitor[]) => objs.filter((o) => o.apiVersion === 'monitoring.coreos.com/v1');

  test('none by default', async () => {
    assert.deepEqual(monitoringObjects(await render([])), []);
  });

  test('asked for: a PodMonitor for the brokers, a ServiceMonitor for the operator, the rules file as a PrometheusRule; the API server accepts them', async () => {
    const objs = await render([...MONITORING_ON, '--set', 'watchNamespaces={team-a,team-b}', '--set', 'monitoring.labels.release=prometheus']);
    const mon = monitoringObjects(objs);
    assert.deepEqual(mon.map((o) => `${o.kind}/${o.metadata?.name}`).sort(), [
      `PodMonitor/${RELEASE}-brokers`,
      `PrometheusRule/${RELEASE}`,
      `ServiceMonitor/${RELEASE}`,
    ]);
    for (const o of mon) assert.equal(o.metadata?.labels?.release, 'prometheus', `${o.kind}: monitoring.labels`);
    const [pm, sm, pr] = ['PodMonitor', 'ServiceMonitor', 'PrometheusRule'].map((k) => mon.find((o) => o.kind === k)?.spec ?? ({} as MonitorSpec));
    // The brokers: the operator's own labels on them, the named port, the watched namespaces.
    assert.deepEqual(pm?.selector, { matchLabels: { [LABEL_COMPONENT]: 'broker', 'app.kubernetes.io/managed-by': MANAGED_BY } });
    assert.deepEqual(pm?.namespaceSelector, { matchNames: ['team-a', 'team-b'] });
    const endpoint = pm?.podMetricsEndpoints?.[0];
    assert.equal(endpoint?.port, 'metrics');
    assert.deepEqual(
      endpoint?.relabelings?.map((r) => r.targetLabel),
      ['cluster'],
    );
    const everywhere = monitoringObjects(await render(MONITORING_ON)).find((o) => o.kind === 'PodMonitor');
    assert.deepEqual(everywhere?.spec.namespaceSelector, { any: true }, 'every namespace when watchNamespaces is empty');
    // The operator: the metrics Service the chart makes, by its port's name.
    const svc = objs.find((o) => o.kind === 'Service' && o.metadata?.name === `${RELEASE}-metrics`);
    const smSelector = sm?.selector?.matchLabels ?? {};
    assert.ok(Object.keys(smSelector).length > 0);
    for (const [k, v] of Object.entries(smSelector)) assert.equal(svc?.metadata?.labels?.[k], v, `the metrics Service has ${k}=${v}`);
    const smEndpoint = sm?.endpoints?.[0];
    assert.equal(smEndpoint?.port, svc?.spec.ports?.[0]?.name);
    assert.equal(smEndpoint?.honorLabels, true);
    // The rules: the very file.
    assert.deepEqual(pr, parse(readFileSync(ALERT_RULES_FILE, 'utf8')));

    // The real API server, once the Prometheus operator's CRDs exist, with strict field validation.
    const crds = await fetchedPath('hack/fetch-prometheus-operator-crds.sh');
    await k(['apply', '--server-side', '-f', crds]);
    for (const crd of ['podmonitors', 'servicemonitors', 'prometheusrules']) {
      await k(['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd}.monitoring.coreos.com`]);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'amq-keeper-monitoring-')), 'monitoring.yaml');
    writeFileSync(file, mon.map((o) => stringify(o)).join('---\n'));
    await k(['create', '--validate=strict', '-f', file]);
    const stored = await items<Monitor>(['-n', NS, 'get', 'podmonitors,servicemonitors,prometheusrules']);
    assert.deepEqual(stored.map((o) => `${o.kind}/${o.metadata?.name}`).sort(), mon.map((o) => `${o.kind}/${o.metadata?.name}`).sort());
    assert.deepEqual(stored.find((o) => o.kind === 'PrometheusRule')?.spec, pr, 'stored as rendered');
    await k(['delete', '-f', file]);
    // Accepted means checked: the same PodMonitor with a field its schema lacks is refused.
    const bad = { ...mon.find((o) => o.kind === 'PodMonitor'), spec: { ...pm, podMetricsEndpoints: [{ port: 'metrics', scrapeEvery: '30s' }] } };
    writeFileSync(file, stringify(bad));
    const refused = await kube.kubectl(['create', '--validate=strict', '-f', file]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /unknown field "spec\.podMetricsEndpoints\[0\]\.scrapeEvery"/);
  });
});

describe('helm install (every namespace)', () => {
  let op: RunningOperator | undefined;
  before(async () => {
    await h(['install', RELEASE, CHART_DIR, '-n', NS, '--wait', '--timeout', '3m']);
  });
  after(async () => {
    await op?.stop();
  });

  test('installs the CRD, ServiceAccount, cluster-wide RBAC, the Deployment and the metrics Service', async () => {
    const status = JSON.parse(await h(['status', RELEASE, '-n', NS, '-o', 'json'])) as { info: { status: string }; version: number };
    assert.equal(status.info.status, 'deployed');
    await k(['wait', '--for=condition=Established', '--timeout=30s', 'crd/brokerclusters.amqkeeper.io']);
    await k(['-n', NS, 'get', 'serviceaccount', SA]);
    const role = await getJson<V1ClusterRole>(['get', 'clusterrole', RELEASE]);
    assert.deepEqual(
      rulesOf(role),
      [
        '/configmaps:get,list,watch,create,patch',
        '/services,persistentvolumeclaims:get,list,watch,create,patch,delete',
        '/pods:get,list,watch,create,patch,delete',
        'amqkeeper.io/brokerclusters/finalizers:update',
        'amqkeeper.io/brokerclusters/status:patch',
        'amqkeeper.io/brokerclusters:get,list,watch',
        'events.k8s.io/events:create',
        'policy/poddisruptionbudgets:get,list,watch,create,patch',
        '/secrets:get,create,patch',
        'networking.k8s.io/networkpolicies:get,list,watch,create,patch,delete',
        'storage.k8s.io/storageclasses:get',
        '/nodes,persistentvolumes:get',
      ].sort(),
    );
    const binding = await getJson<V1RoleBinding>(['get', 'clusterrolebinding', RELEASE]);
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: SA, namespace: NS }]);

    // Leader election (on by default): the one Lease, in the release namespace, and nothing more.
    const leRole = await getJson<V1Role>(['-n', NS, 'get', 'role', `${RELEASE}-leader-election`]);
    assert.deepEqual(
      leRole.rules?.map((r) => `${r.apiGroups?.join(',')}/${r.resources?.join(',')}[${r.resourceNames?.join(',') ?? ''}]:${r.verbs.join(',')}`),
      ['coordination.k8s.io/leases[]:create', `coordination.k8s.io/leases[${RELEASE}]:get,update,delete`],
    );
    const leBinding = await getJson<V1RoleBinding>(['-n', NS, 'get', 'rolebinding', `${RELEASE}-leader-election`]);
    assert.deepEqual(leBinding.subjects, [{ kind: 'ServiceAccount', name: SA, namespace: NS }]);

    // The admission policy (on by default), for the ServiceAccount's requests only.
    const policy = await getJson<{ spec: { matchConditions: { expression: string }[] } }>(['get', 'validatingadmissionpolicy', POLICY]);
    assert.match(policy.spec.matchConditions[0]?.expression ?? '', new RegExp(`'${SA_USER}'`));
    const policyBinding = await getJson<{ spec: { policyName: string; validationActions: string[] } }>(['get', 'validatingadmissionpolicybinding', POLICY]);
    assert.equal(policyBinding.spec.policyName, POLICY);
    assert.deepEqual(policyBinding.spec.validationActions, ['Deny']);

    const d = await getJson<V1Deployment>(['-n', NS, 'get', 'deployment', RELEASE]);
    assert.equal(d.spec?.replicas, 1);
    // The new pod waits for the Lease while the old one still leads.
    assert.equal(d.spec?.strategy?.type, 'RollingUpdate');
    assert.equal(d.spec?.strategy?.rollingUpdate?.maxUnavailable, 0);
    const pod = d.spec?.template.spec;
    assert.equal(pod?.serviceAccountName, SA);
    assert.equal(pod?.securityContext?.runAsNonRoot, true);
    assert.equal(pod?.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    const c = pod?.containers[0];
    assert.equal(c?.image, 'amqkeeper/operator:0.1.0');
    assert.deepEqual(c?.args, ['--log-format=json', '--log-level=info', '--http-port=8080', '--concurrency=4', ...LEADER_ARGS]);
    assert.deepEqual(c?.env, [{ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }]);
    assert.equal(c?.ports?.[0]?.containerPort, 8080);
    assert.equal(c?.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(c?.livenessProbe?.httpGet?.port, 'http');
    assert.equal(c?.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(c?.readinessProbe?.httpGet?.port, 'http');
    assert.ok(c?.resources?.requests?.memory && c.resources.limits?.memory, 'memory request and limit');
    assert.equal(c?.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(c?.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c?.securityContext?.runAsNonRoot, true);
    assert.deepEqual(c?.securityContext?.capabilities?.drop, ['ALL']);

    const svc = await getJson<{ spec: { ports: { port: number; targetPort: string }[]; selector: Record<string, string> } }>([
      '-n',
      NS,
      'get',
      'service',
      `${RELEASE}-metrics`,
    ]);
    assert.deepEqual(
      svc.spec.ports.map((p) => [p.port, p.targetPort]),
      [[8080, 'http']],
    );
    assert.deepEqual(svc.spec.selector, d.spec?.selector?.matchLabels);
  });

  test('the operator pod is admitted under the restricted Pod Security Standard and runs', async () => {
    const pods = await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=operator']);
    assert.equal(pods.length, 1);
    assert.equal(pods[0]?.status?.phase, 'Running');
    assert.equal(pods[0]?.spec?.nodeName, 'kwok-node-0');
  });

  test('with its ServiceAccount token, what no BrokerCluster owns is refused by the admission policy, in any namespace', async () => {
    const sa = await asServiceAccount();
    // RBAC allows each of these; the API server loads a new policy within a moment.
    await eventually(() => refusedCreate(sa, pod('kube-system', 'intruder'), DENIED_BY_POLICY), { what: 'the policy in force' });
    await refusedCreate(sa, configMap('other', 'intruder'), DENIED_BY_POLICY);
    // The leader-election Role lets it create any Lease in its namespace; the policy, only its own.
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'kube-scheduler', namespace: NS } };
    await refusedCreate(sa, lease, DENIED_BY_POLICY);
  });

  test('with only its ServiceAccount token, the operator runs a BrokerCluster in any namespace', async () => {
    op = await startOperatorAsServiceAccount();
    // It took the Lease with the token, before reconciling anything.
    const lease = await getJson<{ spec: { holderIdentity: string } }>(['-n', NS, 'get', 'lease', RELEASE]);
    assert.equal(lease.spec.holderIdentity, `test-${process.pid}`);
    await kube.apply(example('brokercluster.yaml', { namespace: 'mq' }));
    await provesRbac(op, 'mq', 'xl');
  });

  test('what a BrokerCluster owns is admitted, as its writes are: create, merge patch, force delete; never an adoption', async () => {
    const sa = await asServiceAccount();
    const owner = await ownerOf('mq', 'xl');
    await refusedCreate(sa, pod('mq', 'xl-extra'), DENIED_BY_POLICY);
    await sa.k(['create', '-f', '-'], stringify(pod('mq', 'xl-extra', owner)));
    await sa.k(['-n', 'mq', 'patch', 'pod', 'xl-extra', '--type=merge', '-p', '{"metadata":{"labels":{"amqkeeper.io/role":"slave"}}}']);
    await sa.k(['-n', 'mq', 'delete', 'pod', 'xl-extra', '--grace-period=0', '--force', '--wait=false']);
    // Someone else's pod: neither taken over by adding an owner, nor deleted.
    await k(['create', '-f', '-'], stringify(pod('mq', 'theirs')));
    const adopt = await sa.kubectl(['-n', 'mq', 'patch', 'pod', 'theirs', '--type=merge', '-p', JSON.stringify({ metadata: { ownerReferences: [owner] } })]);
    assert.match(adopt.stderr, DENIED_BY_POLICY);
    const del = await sa.kubectl(['-n', 'mq', 'delete', 'pod', 'theirs', '--wait=false']);
    assert.match(del.stderr, DENIED_BY_POLICY);
    await k(['-n', 'mq', 'delete', 'pod', 'theirs', '--grace-period=0', '--force', '--wait=false']);
  });

  test('and may do nothing else', async () => {
    const allowed = async (args: string[]) => assert.equal(await canI(args), true, `should be allowed: ${args.join(' ')}`);
    const denied = async (args: string[]) => assert.equal(await canI(args), false, `should be denied: ${args.join(' ')}`);
    await allowed(['list', 'pods', '-A']);
    await allowed(['delete', 'pods', '-n', 'mq']);
    await allowed(['patch', 'brokerclusters.amqkeeper.io', '--subresource=status', '-n', 'mq']);
    await allowed(['create', 'leases.coordination.k8s.io', '-n', NS]);
    for (const verb of ['get', 'update', 'delete']) await allowed([verb, `leases.coordination.k8s.io/${RELEASE}`, '-n', NS]);
    // A Secret by its name, anywhere: in this mode RBAC cannot narrow it (docs/security.md).
    await allowed(['get', 'secrets', '-n', 'kube-system']);
    await allowed(['delete', 'networkpolicies.networking.k8s.io', '-n', 'mq']);
    for (const args of [
      ['list', 'secrets', '-A'],
      ['list', 'secrets', '-n', 'mq'],
      ['watch', 'secrets', '-n', NS],
      ['update', 'secrets', '-n', 'mq'],
      ['delete', 'secrets', '-n', 'mq'],
      ['patch', 'brokerclusters.amqkeeper.io', '-n', 'mq'],
      ['update', 'brokerclusters.amqkeeper.io', '-n', 'mq'],
      ['delete', 'brokerclusters.amqkeeper.io', '-n', 'mq'],
      ['delete', 'configmaps', '-n', 'mq'],
      ['create', 'pods', '--subresource=exec', '-n', 'mq'],
      ['create', 'deployments.apps', '-n', 'mq'],
      ['update', 'leases.coordination.k8s.io/kube-scheduler', '-n', NS],
      ['list', 'leases.coordination.k8s.io', '-n', NS],
      ['create', 'leases.coordination.k8s.io', '-n', 'mq'],
      ['update', 'leases.coordination.k8s.io/kube-scheduler', '-n', 'kube-system'],
      ['list', 'nodes'],
      ['create', 'persistentvolumes'],
      ['create', 'storageclasses.storage.k8s.io'],
      ['create', 'customresourcedefinitions.apiextensions.k8s.io'],
      ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
      ['create', 'serviceaccounts', '--subresource=token', '-n', NS],
      ['impersonate', 'users'],
    ]) {
      await denied(args);
    }
    // And as the token itself, not only as reported by can-i.
    const saKubeconfig = await serviceAccountKubeconfig(cp.kubeconfig, NS, SA);
    const r = await clusterAccess(saKubeconfig).kubectl(['get', 'secrets', '-n', 'mq']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /forbidden: User "system:serviceaccount:amq-keeper:amq-keeper" cannot list resource "secrets"/);
  });
});

describe('helm upgrade to namespaced mode', () => {
  let op: RunningOperator | undefined;
  let podBefore: string | undefined;
  before(async () => {
    podBefore = (await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=operator']))[0]?.metadata?.name;
    // Only team-a may hold the operator's objects, though both are watched.
    await k(['label', 'namespace', 'team-a', `${NS_LABEL}=allowed`]);
    await h([
      'upgrade',
      RELEASE,
      CHART_DIR,
      '-n',
      NS,
      '--set',
      'watchNamespaces={team-a,team-b}',
      '--set',
      'operator.logLevel=debug',
      '--set',
      'replicaCount=2',
      '--set',
      `admissionPolicy.namespaceLabels.${NS_LABEL.replace('.', '\\.')}=allowed`,
      '--wait',
      '--timeout',
      '3m',
    ]);
  });
  after(async () => {
    await op?.stop();
  });

  test('passes --namespaces, rolls the operator to two pods and turns cluster-wide rights into Roles', async () => {
    const history = JSON.parse(await h(['history', RELEASE, '-n', NS, '-o', 'json'])) as { revision: number; status: string }[];
    assert.deepEqual(
      history.map((x) => [x.revision, x.status]),
      [
        [1, 'superseded'],
        [2, 'deployed'],
      ],
    );
    const d = await getJson<V1Deployment>(['-n', NS, 'get', 'deployment', RELEASE]);
    assert.deepEqual(d.spec?.template.spec?.containers[0]?.args, [
      '--log-format=json',
      '--log-level=debug',
      '--http-port=8080',
      '--concurrency=4',
      '--namespaces=team-a,team-b',
      ...LEADER_ARGS,
    ]);
    assert.equal(d.spec?.replicas, 2);
    await eventually(
      async () => {
        const pods = await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=operator', '--field-selector', 'status.phase=Running']);
        const names = pods.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name);
        assert.equal(names.length, 2, `two operator pods (one leads, one waits): ${names.join(', ')}`);
        assert.ok(!names.includes(podBefore), 'the old pod was replaced');
      },
      { timeoutMs: 60_000, what: 'the operator pods rolled' },
    );

    const cr = await getJson<V1ClusterRole>(['get', 'clusterrole', RELEASE]);
    assert.deepEqual(rulesOf(cr), ['/nodes,persistentvolumes:get', 'storage.k8s.io/storageclasses:get'], 'only the cluster-scoped reads are left');
    for (const ns of ['team-a', 'team-b']) {
      const role = await getJson<V1Role>(['-n', ns, 'get', 'role', RELEASE]);
      assert.equal(rulesOf(role).length, 10);
      const rb = await getJson<V1RoleBinding>(['-n', ns, 'get', 'rolebinding', RELEASE]);
      assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name: SA, namespace: NS }]);
      assert.equal(await canI(['list', 'pods', '-n', ns]), true);
    }
    for (const args of [
      ['list', 'pods', '-n', 'mq'],
      ['list', 'pods', '-n', 'other'],
      ['list', 'pods', '-A'],
      ['list', 'brokerclusters.amqkeeper.io', '-A'],
      ['get', 'secrets', '-n', 'other'],
      ['list', 'secrets', '-n', 'team-a'],
    ]) {
      assert.equal(await canI(args), false, `should be denied: ${args.join(' ')}`);
    }
    assert.equal(await canI(['get', 'storageclasses.storage.k8s.io']), true);
  });

  test('the operator runs clusters in its namespaces with the Roles, and cannot reach another namespace', async () => {
    op = await startOperatorAsServiceAccount(['team-a', 'team-b']);
    await kube.apply(example('brokercluster.yaml', { namespace: 'team-a' }));
    await kube.apply(example('minimal.yaml', { namespace: 'other' }));
    await provesRbac(op, 'team-a', 'xl');
    await op.settle();
    assert.equal((await kube.cluster('mini', 'other')).status, undefined, 'a cluster in an unwatched namespace is left alone');
    assert.deepEqual(await owned('other', 'mini'), []);
    const saKubeconfig = await serviceAccountKubeconfig(cp.kubeconfig, NS, SA);
    const r = await clusterAccess(saKubeconfig).kubectl(['get', 'pods', '-n', 'other']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /forbidden: User "system:serviceaccount:amq-keeper:amq-keeper" cannot list resource "pods" in API group "" in the namespace "other"/,
    );
  });

  test('it reads a Secret by name only in its namespaces, lists none, and writes only where the namespace label allows', async () => {
    const sa = await asServiceAccount();
    for (const ns of ['team-a', 'other']) await k(['-n', ns, 'create', 'secret', 'generic', 'creds', '--from-literal=password=x']);
    await sa.k(['-n', 'team-a', 'get', 'secret', 'creds']);
    const other = await sa.kubectl(['-n', 'other', 'get', 'secret', 'creds']);
    assert.match(
      other.stderr,
      /forbidden: User "system:serviceaccount:amq-keeper:amq-keeper" cannot get resource "secrets" in API group "" in the namespace "other"/,
    );
    for (const where of [['-n', 'team-a'], ['-n', 'other'], ['-A']]) {
      const r = await sa.kubectl(['get', 'secrets', ...where]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /cannot list resource "secrets"/);
    }
    // team-b is watched, so RBAC lets it in, but not labelled: even an owned object is refused there.
    await refusedCreate(
      sa,
      configMap('team-b', 'xl-extra', await ownerOf('team-a', 'xl')),
      new RegExp(`ValidatingAdmissionPolicy '${POLICY}' .*denied request: amq-keeper writes only in namespaces labelled ${NS_LABEL}=allowed`),
    );
  });
});

describe('helm uninstall', () => {
  test('removes everything of the chart but the CRD', async () => {
    const manifest = await h(['get', 'manifest', RELEASE, '-n', NS]);
    const objects = parseAllDocuments(manifest)
      .map((d) => d.toJS() as KubernetesObject | null)
      .filter((o): o is KubernetesObject => Boolean(o?.kind));
    assert.deepEqual([...new Set(objects.map((o) => o.kind))].sort(), [
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    await h(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '2m']);

    for (const o of objects) {
      const ns = o.metadata?.namespace ? ['-n', o.metadata.namespace] : [];
      const left = await k([...ns, 'get', `${o.kind}/${o.metadata?.name}`, '--ignore-not-found', '-o', 'name']);
      assert.equal(left.trim(), '', `${o.kind}/${o.metadata?.name} still there`);
    }
    await eventually(
      async () => {
        const left = await k([
          'get',
          'all,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,secrets,configmaps',
          '-A',
          '-l',
          `app.kubernetes.io/instance=${RELEASE}`,
          '-o',
          'name',
        ]);
        assert.equal(left.trim(), '', 'nothing labelled with the release');
      },
      { timeoutMs: 60_000, what: 'the operator pod and ReplicaSet gone' },
    );
    // The operator deleted its Lease as it stopped; the chart never had one.
    assert.equal((await k(['-n', NS, 'get', 'leases', '-o', 'name'])).trim(), '', 'no Lease left');
    const releases = await k(['get', 'secrets', '-A', '-l', `owner=helm,name=${RELEASE}`, '-o', 'name']);
    assert.equal(releases.trim(), '', 'no release records');

    // Helm never deletes what crds/ installed: the CRD, and with it every BrokerCluster, stays.
    await k(['get', 'crd', 'brokerclusters.amqkeeper.io']);
    await k(['-n', 'team-a', 'get', 'bc', 'xl']);
  });

  test('deleting the clusters, then the CRD, by hand (README) leaves nothing', async () => {
    // Clusters first: the garbage collector only removes what a BrokerCluster
    // owns while it can still look BrokerClusters up. Deleting the CRD first
    // orphans them (kubernetes/kubernetes#102641).
    await k(['delete', 'brokerclusters', '--all', '--all-namespaces', '--timeout=60s']);
    await eventually(
      async () => {
        for (const [ns, name] of [
          ['mq', 'xl'],
          ['team-a', 'xl'],
        ] as const) {
          // deleteClaim was set to true above, so the claims go too.
          assert.deepEqual(await owned(ns, name), [], `${ns}/${name} garbage-collected`);
        }
      },
      { timeoutMs: 90_000, what: 'garbage collection of the clusters' },
    );
    await k(['delete', 'crd', 'brokerclusters.amqkeeper.io', '--timeout=60s']);
    assert.equal((await k(['get', 'crd', 'brokerclusters.amqkeeper.io', '--ignore-not-found', '-o', 'name'])).trim(), '');
  });
});
