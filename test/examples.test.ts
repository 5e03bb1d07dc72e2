// What a user applies by hand is accepted by a real API server: the plain
// install manifest (deploy/operator.yaml) and every file in deploy/examples,
// checked against the CRD's schema and CEL rules.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { clusterAccess } from './support/cluster-access';
import { eventually } from './support/eventually';
import type { BrokerCluster } from '../src/api/types';

const ROOT = join(__dirname, '..');
const EXAMPLES = join(ROOT, 'deploy', 'examples');
const NS = 'examples';

let cp: ControlPlane;
const kube = clusterAccess(() => cp.kubeconfig, NS);
const { k } = kube;

const exampleFiles = readdirSync(EXAMPLES)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

function documents(file: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8'))
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

before(async () => {
  cp = await startControlPlane();
});

after(async () => {
  await cp?.stop();
});

describe('deploy/operator.yaml', () => {
  test('installs with kubectl apply --server-side: namespace, CRD, RBAC, operator', async () => {
    await k(['apply', '--server-side', '-f', join(ROOT, 'deploy', 'operator.yaml')]);
    await k(['wait', '--for=condition=Established', '--timeout=60s', 'crd/brokerclusters.amqkeeper.io']);
    for (const obj of ['serviceaccount/amq-keeper', 'deployment/amq-keeper', 'service/amq-keeper-metrics']) {
      await k(['-n', 'amq-keeper', 'get', obj]);
    }
    await k(['get', 'clusterrole/amq-keeper', 'clusterrolebinding/amq-keeper']);
    // The namespace enforces the restricted Pod Security Standard: the pod is
    // only created (Pending here: no node) if its security context passes.
    const pods = await eventually(
      async () => {
        const pods = await kube.items<V1Pod>(['-n', 'amq-keeper', 'get', 'pods', '-l', 'app.kubernetes.io/component=operator']);
        assert.equal(pods.length, 1, 'the operator pod was admitted');
        return pods;
      },
      { timeoutMs: 30_000, what: 'the operator pod' },
    );
    assert.equal(pods[0]?.spec?.serviceAccountName, 'amq-keeper');
  });
});

describe('deploy/examples', () => {
  before(async () => {
    await k(['create', 'namespace', NS]);
  });

  test('there are examples, each a BrokerCluster', () => {
    assert.ok(exampleFiles.includes('brokercluster.yaml'), 'the seed example the README applies');
    for (const f of exampleFiles) {
      const docs = documents(f);
      assert.ok(docs.length > 0, `${f} is empty`);
      for (const d of docs) assert.equal(`${d.apiVersion}/${d.kind}`, 'amqkeeper.io/v1alpha1/BrokerCluster', f);
    }
  });

  for (const file of exampleFiles) {
    test(`${file} passes the API server's validation (server-side dry run)`, async () => {
      const out = await k(['-n', NS, 'apply', '--server-side', '--dry-run=server', '-f', join(EXAMPLES, file), '-o', 'json']);
      const parsed = JSON.parse(out) as BrokerCluster | { items: BrokerCluster[] };
      const items = 'items' in parsed ? parsed.items : [parsed];
      assert.equal(items.length, documents(file).length);
      for (const bc of items) {
        // Defaults from the schema were applied: the server really processed it.
        assert.equal(typeof bc.spec.replicas, 'number');
        assert.equal(typeof bc.spec.persistence?.sync, 'string');
      }
    });
  }

  test('the whole directory applies, as a user would apply it', async () => {
    await k(['-n', NS, 'apply', '-f', EXAMPLES]);
    const names = (await k(['-n', NS, 'get', 'bc', '-o', 'name'])).split('\n').filter(Boolean).sort();
    const want = exampleFiles.flatMap((f) => documents(f).map((d) => `brokercluster.amqkeeper.io/${d.metadata?.name}`)).sort();
    assert.deepEqual(names, want);
  });
});
