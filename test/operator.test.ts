// The operator core against a real kube-apiserver, etcd and
// kube-controller-manager (for garbage collection): the CRD, every owned
// object, spec changes, refused specs, no-op reconciles and deletion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { KubernetesObject, V1ConfigMap, V1LabelSelector, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { clusterAccess } from './support/cluster-access';
import { startOperator, versions, type RunningOperator } from './support/operator';
import { eventually } from './support/eventually';
import { provisionLocalVolumes } from './support/storage';
import { candidate, example } from './fixtures/clusters';
import { totalWrites } from '../src/observability/metrics';
import { DEFAULT_OPERATOR_POD_LABELS, type NetworkPolicy } from '../src/resources/network-policies';

const ROOT = join(__dirname, '..');
const NS = 'mq';
const OPERATOR_NS = 'amq-keeper';

let cp: ControlPlane;
let op: RunningOperator;
const kube = clusterAccess(() => cp.kubeconfig, NS);
const { k, getJson, items, owned } = kube;

before(async () => {
  cp = await startControlPlane();
  await k(['apply', '-f', join(ROOT, 'crds', 'brokercluster.yaml')]);
  await k(['wait', '--for=condition=Established', '--timeout=60s', 'crd/brokerclusters.amqkeeper.io']);
  await k(['create', 'namespace', NS]);
  // As the chart's pod would be told: its namespace and the chart's labels.
  op = await startOperator(cp.kubeconfig, { operator: { namespace: OPERATOR_NS, podLabels: DEFAULT_OPERATOR_POD_LABELS } });
});

after(async () => {
  await op?.stop();
  await cp?.stop();
});

describe('the CRD', () => {
  test('kubectl explain teaches every field', async () => {
    // The OpenAPI document of a new CRD is published a moment after it is Established.
    const out = await eventually(() => k(['explain', 'brokercluster.spec.ports']), { what: 'explain' });
    assert.match(out, /openwire\s+<integer>/);
    assert.match(out, /Node i listens on openwire base\+i/);
    const zk = await k(['explain', 'bc.spec.zookeeper.path']);
    assert.match(zk, /Cannot be changed after\s+creation/);
  });
});

describe('a BrokerCluster from the seed example', () => {
  before(async () => {
    await kube.apply(example('brokercluster.yaml', { namespace: NS }));
  });

  test('produces every object with its ports, labels and owner', async () => {
    const objs = await eventually(
      async () => {
        const o = await owned('xl');
        const names = o.map((x) => `${x.kind}/${x.metadata?.name}`).sort();
        const want = [
          'ConfigMap/xl-broker-config',
          'ConfigMap/xl-connection',
          'ConfigMap/xl-zk-config',
          'NetworkPolicy/xl-broker',
          'NetworkPolicy/xl-zk',
          'PersistentVolumeClaim/data-xl-broker-0',
          'PersistentVolumeClaim/data-xl-broker-1',
          'PersistentVolumeClaim/data-xl-broker-2',
          'PersistentVolumeClaim/data-xl-zk-0',
          'PersistentVolumeClaim/data-xl-zk-1',
          'PersistentVolumeClaim/data-xl-zk-2',
          'Pod/xl-broker-0',
          'Pod/xl-broker-1',
          'Pod/xl-broker-2',
          'Pod/xl-zk-0',
          'Pod/xl-zk-1',
          'Pod/xl-zk-2',
          'PodDisruptionBudget/xl-broker',
          'PodDisruptionBudget/xl-zk',
          'Service/xl-broker-0',
          'Service/xl-broker-1',
          'Service/xl-broker-2',
          'Service/xl-broker-hs',
          'Service/xl-master',
          'Service/xl-zk',
          'Service/xl-zk-hs',
        ];
        assert.deepEqual(names, want);
        return o;
      },
      { what: 'all owned objects' },
    );
    const bc = await kube.cluster('xl');
    for (const o of objs) {
      const owners = o.metadata?.ownerReferences ?? [];
      if (o.kind === 'PersistentVolumeClaim') assert.equal(owners.length, 0, `${o.metadata?.name} must survive the cluster`);
      else assert.equal(owners[0]?.uid, bc.metadata.uid, `${o.metadata?.name} owned by the cluster`);
      assert.equal(o.metadata?.labels?.['app.kubernetes.io/managed-by'], 'amq-keeper');
    }
    const byName = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata?.name === name);
    const svc = byName('Service', 'xl-broker-1') as V1Service;
    assert.deepEqual(
      svc.spec?.ports?.map((p) => p.port),
      // openwire, console, replication and metrics: each base+1 for node 1.
      [61617, 8162, 63632, 9405],
    );
    const master = byName('Service', 'xl-master') as V1Service;
    assert.equal(master.spec?.selector?.['amqkeeper.io/node'], 'none', 'no master elected: selects nothing');
    const pod = byName('Pod', 'xl-broker-2') as V1Pod;
    assert.equal(pod.metadata?.labels?.['amqkeeper.io/node'], '2');
    assert.equal(pod.metadata?.labels?.['amqkeeper.io/component'], 'broker');
    assert.deepEqual(
      pod.spec?.containers[0]?.ports?.map((p) => p.containerPort),
      [61618, 8163, 63633, 9406],
    );
  });

  test('renders each node configuration and publishes the failover URL', async () => {
    const cfg = await getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', 'xl-broker-config']);
    const xml = cfg.data?.['activemq-2.xml'] ?? '';
    assert.match(xml, /brokerName="xlBroker"/);
    assert.match(xml, /bind="tcp:\/\/0\.0\.0\.0:63633"/);
    assert.match(xml, /zkAddress="xl-zk-0\.xl-zk-hs\.mq\.svc:2181,xl-zk-1\.xl-zk-hs\.mq\.svc:2181,xl-zk-2\.xl-zk-hs\.mq\.svc:2181"/);
    assert.match(xml, /zkPath="\/activemq\/leveldb-stores\/mq\/xl"/);
    assert.match(xml, /container="xl-broker-2"/);
    assert.match(xml, /schedulerSupport="true"/);
    const conn = await getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', 'xl-connection']);
    assert.equal(
      conn.data?.failoverUrl,
      'failover:(tcp://xl-broker-0.mq.svc:61616,tcp://xl-broker-1.mq.svc:61617,tcp://xl-broker-2.mq.svc:61618)' +
        '?randomize=false&jms.useAsyncSend=true&jms.redeliveryPolicy.maximumRedeliveries=0',
    );
    assert.equal(conn.data?.masterUrl, 'tcp://xl-master.mq.svc:61616?jms.useAsyncSend=true&jms.redeliveryPolicy.maximumRedeliveries=0');
  });

  test('reports status with conditions and printer columns', async () => {
    const bc = await kube.untilCluster('xl', (c) => {
      assert.equal(c.status?.observedGeneration, c.metadata.generation);
      return c;
    });
    assert.equal(bc.status?.phase, 'Provisioning');
    assert.equal(bc.status?.ready, '0/3');
    const types = bc.status?.conditions?.map((c) => c.type).sort();
    assert.deepEqual(types, ['BrokersReady', 'MasterElected', 'Ready', 'Reconciled', 'ReplicasInSync', 'Warning', 'ZooKeeperReady']);
    const warning = bc.status?.conditions?.find((c) => c.type === 'Warning');
    assert.equal(warning?.reason, 'SchedulerNotReplicated');
    const table = await k(['-n', NS, 'get', 'bc']);
    assert.match(table.split('\n')[0] ?? '', /NAME\s+REPLICAS\s+READY\s+MASTER\s+PHASE\s+FAILOVERS\s+AGE/);
    assert.match(table, /xl\s+3\s+0\/3\s+Provisioning\s+0/);
  });

  test('a reconcile with nothing to change makes no write', async () => {
    await op.settle();
    const before = versions(await owned('xl'));
    const bcBefore = (await kube.cluster('xl')).metadata.resourceVersion;
    const writes = await totalWrites();
    op.controller.resyncAll();
    await op.settle();
    assert.equal(await totalWrites(), writes, 'writes counted by the operator');
    assert.deepEqual(versions(await owned('xl')), before);
    assert.equal((await kube.cluster('xl')).metadata.resourceVersion, bcBefore);
  });

  test('a spec change updates what it must and nothing else', async () => {
    await op.settle();
    const before = versions(await owned('xl'));
    await k(['-n', NS, 'patch', 'bc', 'xl', '--type=merge', '-p', '{"spec":{"client":{"useAsyncSend":false,"maxReconnectAttempts":3}}}']);
    const conn = await eventually(async () => {
      const cm = await getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', 'xl-connection']);
      assert.match(cm.data?.failoverUrl ?? '', /\?randomize=false&maxReconnectAttempts=3&jms\.redeliveryPolicy\.maximumRedeliveries=0$/);
      return cm;
    });
    assert.equal(conn.data?.masterUrl, 'tcp://xl-master.mq.svc:61616?jms.redeliveryPolicy.maximumRedeliveries=0');
    await op.settle();
    const after = versions(await owned('xl'));
    const changed = Object.keys(after).filter((key) => after[key] !== before[key]);
    assert.deepEqual(changed, ['ConfigMap/xl-connection']);
    const bc = await kube.cluster('xl');
    assert.equal(bc.status?.observedGeneration, bc.metadata.generation);
    assert.match(bc.status?.failoverUrl ?? '', /maxReconnectAttempts=3/);
  });

  test('a broker setting rolls the pods one at a time with the new configuration', async () => {
    await op.settle();
    const oldRev = (await getJson<V1Pod>(['-n', NS, 'get', 'pod', 'xl-broker-0'])).metadata?.annotations?.['amqkeeper.io/revision'];
    await k(['-n', NS, 'patch', 'bc', 'xl', '--type=merge', '-p', '{"spec":{"persistence":{"sync":"quorum_disk"}}}']);
    const cfg = await eventually(async () => {
      const cm = await getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', 'xl-broker-config']);
      assert.match(cm.data?.['activemq-0.xml'] ?? '', /sync="quorum_disk"/);
      return cm;
    });
    assert.ok(cfg);
    await eventually(
      async () => {
        const pods = await items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker,amqkeeper.io/cluster=xl']);
        assert.equal(pods.length, 3);
        for (const p of pods) assert.notEqual(p.metadata?.annotations?.['amqkeeper.io/revision'], oldRev, `${p.metadata?.name} restarted`);
      },
      { timeoutMs: 60_000, what: 'every broker pod on the new revision' },
    );
  });

  test('a spec that cannot run is reported and leaves what runs alone', async () => {
    await op.settle();
    const before = versions(await owned('xl'));
    await k(['-n', NS, 'patch', 'bc', 'xl', '--type=merge', '-p', '{"spec":{"persistence":{"storageClassName":"no-such-class"},"client":{"randomize":true}}}']);
    const bc = await kube.untilCluster('xl', (c) => {
      const w = c.status?.conditions?.find((x) => x.type === 'Warning');
      assert.equal(w?.reason, 'StorageClassNotFound');
      return c;
    });
    assert.match(
      bc.status?.conditions?.find((x) => x.type === 'Warning')?.message ?? '',
      /spec\.persistence\.storageClassName: StorageClass "no-such-class" does not exist/,
    );
    assert.equal(bc.status?.conditions?.find((x) => x.type === 'Ready')?.reason, 'SpecNotApplied');
    await op.settle();
    assert.deepEqual(versions(await owned('xl')), before, 'nothing that runs was touched');
    assert.notDeepEqual(await kube.events('xl', 'InvalidSpec'), [], 'a Warning Event was recorded');
    await k(['-n', NS, 'patch', 'bc', 'xl', '--type=json', '-p', '[{"op":"remove","path":"/spec/persistence/storageClassName"}]']);
    await kube.untilCluster('xl', (c) => assert.notEqual(c.status?.conditions?.find((x) => x.type === 'Warning')?.reason, 'StorageClassNotFound'));
  });
});

describe('refused specs', () => {
  const refused = (spec: Record<string, unknown>, message: RegExp) => kube.refuses(candidate(spec, 'bad', NS), message);

  test('replicas below 1', () => refused({ replicas: 0 }, /spec\.replicas: Invalid value: 0: spec\.replicas in body should be greater than or equal to 1/));
  test('a port outside 1-65535', () => refused({ ports: { openwire: 70000 } }, /spec\.ports\.openwire/));
  test('a per-node range past 65535', () => refused({ ports: { openwire: 65535 } }, /base\+replicas-1 must not exceed 65535/));
  test('overlapping per-node port ranges', () =>
    refused({ ports: { openwire: 61616, console: 61618 } }, /spec\.ports\.openwire and spec\.ports\.console: the per-node ranges/));
  test('overlapping replication range', () => refused({ ports: { replication: 8162 } }, /spec\.ports\.console and spec\.ports\.replication/));
  test('a metrics port range overlapping a port range', () =>
    refused({ metrics: { port: 8162 } }, /spec\.metrics\.port and spec\.ports\.console: the per-node ranges .* move spec\.metrics\.port/));
  test('both a managed and an external ensemble', () =>
    refused(
      { zookeeper: { replicas: 3, external: { connectString: 'a:2181' } } },
      /set exactly one of replicas \(run an ensemble\) or external\.connectString/,
    ));
  test('neither a managed nor an external ensemble', () => refused({ zookeeper: {} }, /set exactly one of replicas/));
  test('a relative ZooKeeper path', () => refused({ zookeeper: { replicas: 3, path: 'activemq/x' } }, /spec\.zookeeper\.path/));
  test('a brokerName the broker cannot use', () => refused({ brokerName: 'my broker!' }, /spec\.brokerName/));
  test('a NetworkPolicy entry that selects nothing, or a selector the API server would refuse', async () => {
    await refused({ networkPolicy: { clients: [{}] } }, /spec\.networkPolicy\.clients: each entry needs podSelector, namespaceSelector or both/);
    await refused(
      { networkPolicy: { console: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }] } },
      /spec\.networkPolicy\.console\[0\]\.podSelector\.matchExpressions\[0\].*operator In or NotIn needs values/,
    );
    await refused(
      { networkPolicy: { metrics: [{ podSelector: { matchLabels: { app: 'not ok!' } } }] } },
      /spec\.networkPolicy\.metrics\[0\]\.podSelector\.matchLabels\.app/,
    );
  });

  test('changing brokerName or zookeeper.path after creation', async () => {
    await kube.apply(candidate({ zookeeper: { replicas: 3, path: '/a/b' } }, 'immutable', NS));
    const rename = await kube.kubectl(['-n', NS, 'patch', 'bc', 'immutable', '--type=merge', '-p', '{"spec":{"brokerName":"c"}}']);
    assert.notEqual(rename.code, 0);
    assert.match(rename.stderr, /spec\.brokerName cannot be changed after creation/);
    const move = await kube.kubectl(['-n', NS, 'patch', 'bc', 'immutable', '--type=merge', '-p', '{"spec":{"zookeeper":{"path":"/c"}}}']);
    assert.notEqual(move.code, 0);
    assert.match(move.stderr, /spec\.zookeeper\.path cannot be changed/);
    await k(['-n', NS, 'delete', 'bc', 'immutable', '--wait=false']);
  });

  test('a name that cannot name the Services and pods', async () => {
    await kube.refuses(candidate({}, 'a'.repeat(54), NS), /metadata\.name: at most 53 characters, because the Service <name>-broker-hs must be a DNS label/);
    for (const name of ['orders.mq', '1mq'])
      await kube.refuses(candidate({}, name, NS), /metadata\.name: lowercase letters, digits and "-" only, starting with a letter/);
    await kube.apply(candidate({}, 'a'.repeat(53), NS));
    await k(['-n', NS, 'delete', 'bc', 'a'.repeat(53), '--wait=false']);
  });

  test('changing ports or the ensemble of a running cluster, or shrinking its claim size', async () => {
    await kube.apply(candidate({}, 'fixed', NS));
    const change = async (patch: object, message: RegExp) => {
      const r = await kube.kubectl(['-n', NS, 'patch', 'bc', 'fixed', '--type=merge', '-p', JSON.stringify({ spec: patch })]);
      assert.notEqual(r.code, 0, JSON.stringify(patch));
      assert.match(r.stderr, message);
    };
    await change({ ports: { openwire: 62616 } }, /spec\.ports cannot be changed on a running cluster/);
    await change({ zookeeper: { replicas: 5 } }, /spec\.zookeeper\.replicas and spec\.zookeeper\.external cannot be changed after creation/);
    await change(
      { zookeeper: { replicas: null, external: { connectString: 'zk:2181' } } },
      /spec\.zookeeper\.replicas and spec\.zookeeper\.external cannot be changed/,
    );
    await change({ persistence: { size: '5Gi' } }, /spec\.persistence\.size cannot shrink below 10Gi \(volume claims only grow\): set it to 10Gi or more/);
    await k(['-n', NS, 'patch', 'bc', 'fixed', '--type=merge', '-p', '{"spec":{"persistence":{"sync":"local_disk"}}}']);
    await kube.untilCluster('fixed', (c) =>
      assert.match(c.status?.conditions?.find((x) => x.type === 'Warning')?.message ?? '', /spec\.persistence\.sync: local_disk: .* can be lost/),
    );
    await k(['-n', NS, 'delete', 'bc', 'fixed', '--wait=false']);
  });

  test('two brokers are accepted with a Warning condition', async () => {
    await kube.apply(candidate({ replicas: 2, zookeeper: { external: { connectString: '127.0.0.1:2181' } } }, 'pair', NS));
    await kube.untilCluster('pair', (c) => {
      const w = c.status?.conditions?.find((x) => x.type === 'Warning');
      assert.equal(w?.status, 'True');
      assert.equal(w?.reason, 'NoFaultTolerance');
    });
    await k(['-n', NS, 'delete', 'bc', 'pair']);
  });

  test('a credentials Secret of the user that does not exist or lacks keys: the field is named and nothing runs until it is there', async () => {
    await kube.apply(candidate({ zookeeper: { external: { connectString: '127.0.0.1:2181' } }, security: { credentialsSecret: 'mq-logins' } }, 'own', NS));
    const warning = (reason: string, message: RegExp) =>
      kube.untilCluster(
        'own',
        (c) => {
          const w = c.status?.conditions?.find((x) => x.type === 'Warning');
          assert.equal(w?.reason, reason, JSON.stringify(w));
          assert.match(w?.message ?? '', message);
        },
        { timeoutMs: 90_000, what: reason },
      );
    await warning(
      'CredentialsSecretNotFound',
      /spec\.security\.credentialsSecret: Secret "mq-logins" does not exist .*username, password, admin-username, admin-password/,
    );
    const pods = () => items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/cluster=own']);
    assert.deepEqual(await pods(), []);
    const secret = (extra: string[]) =>
      k(['-n', NS, 'create', 'secret', 'generic', 'mq-logins', '--from-literal=username=orders', '--from-literal=password=p1', ...extra]);
    await secret([]);
    await warning('CredentialsIncomplete', /Secret "mq-logins" has no value for admin-username, admin-password/);
    await k(['-n', NS, 'delete', 'secret', 'mq-logins']);
    await secret(['--from-literal=admin-username=ops', '--from-literal=admin-password=p2']);
    const created = await eventually(
      async () => {
        const p = await pods();
        assert.equal(p.length, 3);
        return p;
      },
      // Secrets are not watched: a blocked cluster is looked at every 30 s, and a read is kept 30 s.
      { what: 'the broker pods once the Secret is complete', timeoutMs: 120_000 },
    );
    const volume = created[0]?.spec?.volumes?.find((v) => v.name === 'credentials');
    assert.ok(
      volume?.projected?.sources?.every((src) => src.secret?.name === 'mq-logins'),
      JSON.stringify(volume),
    );
    assert.deepEqual(await items(['-n', NS, 'get', 'secrets', '-l', 'amqkeeper.io/cluster=own']), [], 'no Secret generated beside it');
    await k(['-n', NS, 'delete', 'bc', 'own']);
  });
});

describe('a larger claim size', () => {
  // Bound claims (only those can grow) of two classes, one that allows expansion.
  const storage = (storageClassName: string, allowVolumeExpansion: boolean) =>
    provisionLocalVolumes(cp.kubeconfig, { storageClassName, allowVolumeExpansion, volumes: 3 });
  const sized = (name: string, storageClassName: string, size: string) =>
    candidate({ zookeeper: { external: { connectString: '127.0.0.1:2181' } }, persistence: { storageClassName, size } }, name, NS);
  const requests = async (name: string) =>
    (await items<V1PersistentVolumeClaim>(['-n', NS, 'get', 'pvc', '-l', `amqkeeper.io/cluster=${name}`]))
      .map((c) => `${c.metadata?.name}=${c.spec?.resources?.requests?.storage}/${c.status?.phase}`)
      .sort();
  const setSize = (name: string, size: string) => k(['-n', NS, 'patch', 'bc', name, '--type=merge', '-p', JSON.stringify({ spec: { persistence: { size } } })]);
  const bound = (name: string, size: string) => [0, 1, 2].map((i) => `data-${name}-broker-${i}=${size}/Bound`);

  before(async () => {
    await storage('grow', true);
    await storage('fixed', false);
    await kube.apply(sized('grows', 'grow', '10Gi'));
    await kube.apply(sized('stays', 'fixed', '10Gi'));
    for (const name of ['grows', 'stays']) {
      await eventually(async () => assert.deepEqual(await requests(name), bound(name, '10Gi')), { what: `${name}: claims bound` });
      await kube.untilCluster(name, (c) => assert.equal(c.status?.claimSize, '10Gi'));
    }
  });

  test('expands the broker claims where the StorageClass allows it, and the store limits follow', async () => {
    await setSize('grows', '20Gi');
    await eventually(async () => assert.deepEqual(await requests('grows'), bound('grows', '20Gi')), { what: 'claims expanded' });
    const cfg = await getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', 'grows-broker-config']);
    assert.match(cfg.data?.['activemq-0.xml'] ?? '', /<storeUsage limit="14336 mb"\/>/, '70% of 20Gi');
    await kube.untilCluster('grows', (c) => assert.equal(c.status?.claimSize, '20Gi'));
  });

  test('is refused where the StorageClass does not allow expansion, and nothing that runs is touched', async () => {
    await op.settle();
    const before = versions(await owned('stays'));
    await setSize('stays', '20Gi');
    const warning = await kube.untilCluster('stays', (c) => {
      const w = c.status?.conditions?.find((x) => x.type === 'Warning');
      assert.equal(w?.reason, 'VolumeExpansionNotAllowed');
      return w;
    });
    assert.match(
      warning?.message ?? '',
      /^spec\.persistence\.size: StorageClass fixed does not allow volume expansion \(allowVolumeExpansion is not true\), .* set spec\.persistence\.size back to 10Gi or allow expansion on the class$/,
    );
    assert.equal((await kube.condition('stays', 'Ready'))?.reason, 'SpecNotApplied');
    const events = await eventually(async () => {
      const e = await kube.events('stays', 'InvalidSpec');
      assert.notDeepEqual(e, []);
      return e;
    });
    assert.equal(events[0]?.note, warning?.message);
    await op.settle();
    assert.deepEqual(versions(await owned('stays')), before, 'nothing that runs was touched');
    assert.deepEqual(await requests('stays'), bound('stays', '10Gi'));
    // The way back the message names.
    await setSize('stays', '10Gi');
    await kube.untilCluster('stays', (c) => assert.equal(c.status?.conditions?.find((x) => x.type === 'Warning')?.status, 'False'));
  });

  test('a shrink below the claims is refused by the API server, with what to set instead', async () => {
    await kube.refuses(sized('grows', 'grow', '10Gi'), /spec\.persistence\.size cannot shrink below 20Gi \(volume claims only grow\): set it to 20Gi or more/);
    await k(['-n', NS, 'delete', 'bc', 'grows', 'stays', '--wait=false']);
  });
});

describe('a reconcile that fails', () => {
  test('leaves Reconciled=False with the error and one ReconcileFailed Event, and recovers', async () => {
    // Valid for the schema (resources are passed through), refused by the API server when the pods are created.
    await kube.apply(candidate({ resources: { limits: { cpu: 'lots' } } }, 'broken', NS));
    const failed = await kube.untilCluster('broken', (c) => {
      const r = c.status?.conditions?.find((x) => x.type === 'Reconciled');
      assert.equal(r?.status, 'False');
      assert.equal(r?.reason, 'ReconcileFailed');
      return r;
    });
    assert.match(failed?.message ?? '', /cpu|quantit/i);
    const events = await eventually(async () => {
      const e = await kube.events('broken', 'ReconcileFailed');
      assert.notDeepEqual(e, []);
      return e;
    });
    assert.equal(events.length, 1, 'the same error is recorded once, not on every retry');
    await k(['-n', NS, 'patch', 'bc', 'broken', '--type=json', '-p', '[{"op":"remove","path":"/spec/resources"}]']);
    await kube.untilCluster('broken', (c) => assert.equal(c.status?.conditions?.find((x) => x.type === 'Reconciled')?.status, 'True'));
    await k(['-n', NS, 'delete', 'bc', 'broken', '--wait=false']);
  });
});

describe('network policies', () => {
  const APPS = 'apps';
  const OPERATOR_POD = `${OPERATOR_NS}/amq-keeper-0`;
  /** A pod that only carries labels: no node runs it, and the API server selects it all the same. */
  const pod = (namespace: string, name: string, labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'c', image: 'none' }] },
  });
  /** A LabelSelector as kubectl -l takes it; '' selects everything. */
  const selector = (s: V1LabelSelector): string =>
    [
      ...Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(s.matchExpressions ?? []).map((e) => {
        const values = (e.values ?? []).join(',');
        if (e.operator === 'In') return `${e.key} in (${values})`;
        if (e.operator === 'NotIn') return `${e.key} notin (${values})`;
        return e.operator === 'Exists' ? e.key : `!${e.key}`;
      }),
    ].join(',');
  const names = async (args: string[], sel: V1LabelSelector): Promise<string[]> => {
    const s = selector(sel);
    return (await items<KubernetesObject>([...args, ...(s ? ['-l', s] : [])])).map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`);
  };
  /** The pods the API server matches to a NetworkPolicy peer (namespaces by their labels, pods by theirs). */
  const peerPods = async (peer: { podSelector?: V1LabelSelector; namespaceSelector?: V1LabelSelector }, ns: string): Promise<string[]> => {
    const namespaces = peer.namespaceSelector ? (await names(['get', 'namespaces'], peer.namespaceSelector)).map((n) => n.slice(1)) : [ns];
    const pods = await Promise.all(namespaces.map((n) => names(['-n', n, 'get', 'pods'], peer.podSelector ?? {})));
    return pods.flat();
  };
  /** Every pod that may open a connection to `port` of the pods the policy selects. */
  const admitted = async (policy: NetworkPolicy, port: number): Promise<string[]> => {
    const rules = policy.spec.ingress.filter((r) => r.ports.some((p) => p.port === port && p.protocol === 'TCP'));
    const pods = await Promise.all(rules.flatMap((r) => r.from.map((peer) => peerPods(peer, NS))));
    return [...new Set(pods.flat())].sort();
  };
  const policy = (name: string) => getJson<NetworkPolicy>(['-n', NS, 'get', 'networkpolicy', name]);
  const policies = async (cluster: string) =>
    (await items<NetworkPolicy>(['-n', NS, 'get', 'networkpolicies', '-l', `amqkeeper.io/cluster=${cluster}`])).map((p) => p.metadata?.name).sort();

  before(async () => {
    for (const ns of [OPERATOR_NS, APPS]) await k(['create', 'namespace', ns]);
    const pods = [
      // The chart's operator pod, and the same labels elsewhere.
      pod(OPERATOR_NS, 'amq-keeper-0', { ...DEFAULT_OPERATOR_POD_LABELS, 'app.kubernetes.io/name': 'amq-keeper' }),
      pod(APPS, 'impostor', { ...DEFAULT_OPERATOR_POD_LABELS }),
      pod(APPS, 'orders', { app: 'orders' }),
      pod(NS, 'orders', { app: 'orders' }),
      pod(NS, 'hawtio', { app: 'hawtio' }),
    ];
    // A new namespace takes pods once its default ServiceAccount exists.
    for (const p of pods) await eventually(() => kube.apply(p), { what: `pod ${p.metadata.namespace}/${p.metadata.name}` });
    await kube.apply(
      candidate(
        {
          replicas: 2,
          zookeeper: { replicas: 1 },
          networkPolicy: {
            clients: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': APPS } }, podSelector: { matchLabels: { app: 'orders' } } }],
            console: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['hawtio'] }] } }],
          },
        },
        'np',
        NS,
      ),
    );
    await eventually(async () => assert.equal((await owned('np')).filter((o) => o.kind === 'Pod').length, 3), { what: 'np pods' });
  });

  test('are accepted by the API server, owned by the cluster, and select its pods and the pods its spec lets in', async () => {
    await eventually(async () => assert.deepEqual(await policies('np'), ['np-broker', 'np-zk']), { what: 'np policies' });
    const bc = await kube.cluster('np');
    const broker = await policy('np-broker');
    const zk = await policy('np-zk');
    for (const p of [broker, zk]) assert.equal(p.metadata?.ownerReferences?.[0]?.uid, bc.metadata.uid);
    assert.deepEqual((await names(['-n', NS, 'get', 'pods'], broker.spec.podSelector)).sort(), ['mq/np-broker-0', 'mq/np-broker-1']);
    assert.deepEqual(await names(['-n', NS, 'get', 'pods'], zk.spec.podSelector), ['mq/np-zk-0']);
    for (const port of [63631, 63632]) assert.deepEqual(await admitted(broker, port), ['mq/np-broker-0', 'mq/np-broker-1'], 'replication');
    assert.deepEqual(await admitted(broker, 61617), ['apps/orders'], 'OpenWire: the listed pods only');
    assert.deepEqual(await admitted(broker, 8162), [OPERATOR_POD, 'mq/hawtio'], 'console: the operator and the listed pods');
    // Read twice; pods of clusters deleted earlier may still be going away.
    await eventually(async () => assert.deepEqual(await admitted(broker, 9405), (await names(['get', 'pods', '-A'], {})).sort(), 'metrics: every pod'));
    assert.deepEqual(await admitted(broker, 61618), [], 'no third node');
    for (const port of [2888, 3888]) assert.deepEqual(await admitted(zk, port), ['mq/np-zk-0'], 'quorum ports');
    assert.deepEqual(await admitted(zk, 2181), [OPERATOR_POD, 'mq/np-broker-0', 'mq/np-broker-1'], 'ZooKeeper clients');
    // The seed example's defaults, beside it in the namespace: OpenWire from the namespace, replication its own.
    const xl = await policy('xl-broker');
    assert.deepEqual(await admitted(xl, 63631), ['mq/xl-broker-0', 'mq/xl-broker-1', 'mq/xl-broker-2']);
    await eventually(async () => assert.deepEqual(await admitted(xl, 61616), (await names(['-n', NS, 'get', 'pods'], {})).sort()));
    assert.deepEqual(await admitted(xl, 8161), [OPERATOR_POD]);
  });

  test('a matchLabels key that is not a label key is reported, and the policies are left as they are', async () => {
    await op.settle();
    const before = versions(await owned('np'));
    const bad = { spec: { networkPolicy: { clients: [{ podSelector: { matchLabels: { 'team name': 'x' } } }] } } };
    await k(['-n', NS, 'patch', 'bc', 'np', '--type=merge', '-p', JSON.stringify(bad)]);
    await kube.untilCluster('np', (c) =>
      assert.match(
        c.status?.conditions?.find((x) => x.type === 'Warning')?.message ?? '',
        /spec\.networkPolicy\.clients\[0\]\.podSelector\.matchLabels: "team name" is not a label key/,
      ),
    );
    await op.settle();
    assert.deepEqual(versions(await owned('np')), before, 'nothing that runs was touched');
    await k(['-n', NS, 'patch', 'bc', 'np', '--type=json', '-p', '[{"op":"remove","path":"/spec/networkPolicy/clients"}]']);
    // Back to the default: every pod of the namespace.
    await eventually(async () => assert.deepEqual((await policy('np-broker')).spec.ingress[1]?.from, [{ podSelector: {} }]));
  });

  test('enabled: false deletes them, true applies them again', async () => {
    await k(['-n', NS, 'patch', 'bc', 'np', '--type=merge', '-p', '{"spec":{"networkPolicy":{"enabled":false}}}']);
    await eventually(async () => assert.deepEqual(await policies('np'), []), { what: 'np policies deleted' });
    assert.deepEqual(await policies('xl'), ['xl-broker', 'xl-zk'], "another cluster's stay");
    await k(['-n', NS, 'patch', 'bc', 'np', '--type=merge', '-p', '{"spec":{"networkPolicy":{"enabled":true}}}']);
    await eventually(async () => assert.deepEqual(await policies('np'), ['np-broker', 'np-zk']), { what: 'np policies back' });
    await k(['-n', NS, 'delete', 'bc', 'np', '--wait=false']);
  });
});

describe('deletion', () => {
  test('removes what the cluster owns and keeps the volume claims by default', async () => {
    await kube.apply(example('minimal.yaml', { namespace: NS }));
    await eventually(async () => assert.equal((await owned('mini')).filter((o) => o.kind === 'Pod').length, 6));
    await k(['-n', NS, 'delete', 'bc', 'mini']);
    const left = await eventually(
      async () => {
        const o = await owned('mini');
        assert.ok(
          o.every((x) => x.kind === 'PersistentVolumeClaim'),
          `still there: ${o.map((x) => x.metadata?.name).join(', ')}`,
        );
        return o;
      },
      { timeoutMs: 60_000, what: 'garbage collection' },
    );
    assert.equal(left.length, 6);
  });

  test('deleteClaim: true removes the claims too', async () => {
    const obj = example('minimal.yaml', { name: 'gone', namespace: NS });
    obj.spec.persistence = { deleteClaim: true };
    await kube.apply(obj);
    await eventually(async () => assert.equal((await items<V1PersistentVolumeClaim>(['-n', NS, 'get', 'pvc', '-l', 'amqkeeper.io/cluster=gone'])).length, 6));
    await k(['-n', NS, 'delete', 'bc', 'gone']);
    await eventually(async () => assert.equal((await owned('gone')).length, 0), { timeoutMs: 60_000, what: 'garbage collection' });
  });
});
