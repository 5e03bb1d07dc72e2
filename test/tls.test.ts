// TLS end to end: deploy/examples/tls.yaml applied to a real control plane,
// the operator as a process, a real ZooKeeper ensemble, three real ActiveMQ
// 5.16.8 brokers started from what the operator rendered (the PodBridge plays
// the kubelet), certificates from a CA made with openssl, and the real JMS
// client through the published ssl:// failover URL. A kill -9 of the master
// over TLS, with the client on the published URL, is in test/real-node.test.ts,
// whose cluster is this example too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './support/control-plane';
import { startEnsemble, type Ensemble } from './support/zookeeper';
import { BrokerSet, installCrd, nodeOf } from './support/broker-set';
import { PodBridge } from './support/pod-bridge';
import { provisionLocalVolumes } from './support/storage';
import { startOperatorProcess, type OperatorProcess } from './support/operator-process';
import { clusterAccess } from './support/cluster-access';
import { eventually } from './support/eventually';
import { logTail } from './support/log-tail';
import { consumeAll, runClient, type ClientOptions } from './support/jms-client';
import { issue, makeCa, type Pem, trustEnv, trustStore } from './support/certs';
import { loadKubeConfig } from '../src/kube/client';
import { JolokiaClient, JolokiaError } from '../src/replication/jolokia';
import { ANNOTATION_TLS } from '../src/metadata/labels';
import type { Login } from '../src/model/credentials';
import { example } from './fixtures/clusters';

const NS = 'tls';
const NAME = 'secure';
const SECRET = 'secure-tls';
const PORTS = { openwire: 62716, console: 9261, replication: 64731 };
const ZK = { clientPortBase: 12281, peerPortBase: 12988, electionPortBase: 13988 };
const STORE_PASSWORD = 'trust-me';

let cp: ControlPlane;
let zk: Ensemble;
let op: OperatorProcess;
let brokers: BrokerSet;
let bridge: PodBridge;
let ca: Pem;
let cert: ReturnType<typeof issue>;
let url: string;
let admin: Login;
/** The client's trust store: the CA from the published ca.crt. */
let trusted: ClientOptions;

const kube = clusterAccess(() => cp.kubeconfig, NS);
const { items } = kube;
const brokerPods = () => items<V1Pod>(['-n', NS, 'get', 'pods', '-l', `amqkeeper.io/cluster=${NAME},amqkeeper.io/component=broker`]);
const explain = async () => [brokers.describe(), `operator log ${op.logFile}:`, logTail(op.logFile, 15)].join('\n');

/** What clients and the operator dial: the Services and pods by name, and 127.0.0.1 where the test's brokers run. */
const certificate = () => issue(ca, NAME, [`*.${NS}.svc`, `*.${NAME}-broker-hs.${NS}.svc`, '127.0.0.1']);

async function putSecret(pem: Pem): Promise<void> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: SECRET, namespace: NS },
    stringData: { 'tls.crt': pem.crt, 'tls.key': pem.key, 'ca.crt': ca.crt },
  };
  await kube.apply(secret);
}

/** The master with every slave in sync, as the operator proved it through the https console. */
function inSync(timeoutMs = 120_000): Promise<string> {
  return kube.settledMaster(NAME, {
    timeoutMs,
    what: 'a master with every slave in sync',
    explain,
    agrees: async (_master, bc) => {
      bridge.check();
      const ready = (await brokerPods()).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      assert.equal(ready.length, 3, 'three Ready broker pods');
      const c = bc.status?.conditions?.find((x) => x.type === 'ReplicasInSync');
      assert.equal(c?.status, 'True', `ReplicasInSync: ${c?.reason}: ${c?.message}`);
    },
  });
}

/** The certificate a TLS endpoint on 127.0.0.1 serves, checked against the CA. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: ca.crt }, () => {
      resolve(s.getPeerCertificate().serialNumber.toUpperCase());
      s.end();
    });
    s.on('error', reject);
  });
}

async function consumeEvery(queue: string, count: number): Promise<{ distinct: number; duplicates: number; lost: number }> {
  const got = await consumeAll(
    url,
    queue,
    count,
    async () => {
      const m = nodeOf(await inSync());
      await brokers.stop(m);
      await brokers.start(m);
      await inSync();
    },
    trusted,
  );
  console.log(`# ${queue}: sent ${count}, received ${got.distinct}, duplicates ${got.duplicates}, lost ${got.lost.length}`);
  assert.deepEqual(got.lost, []);
  assert.equal(got.distinct, count);
  return { distinct: got.distinct, duplicates: got.duplicates, lost: got.lost.length };
}

before(async () => {
  cp = await startControlPlane({ kwok: true });
  zk = await startEnsemble(ZK);
  await installCrd(cp.kubeconfig, NS);
  const storageClassName = await provisionLocalVolumes(cp.kubeconfig);
  const ex = example('tls.yaml', { namespace: NS });
  await kube.apply({
    ...ex,
    spec: { ...ex.spec, ports: PORTS, zookeeper: { external: { connectString: zk.connectString }, sessionTimeout: '10s' }, persistence: { storageClassName } },
  });
  op = await startOperatorProcess(cp.kubeconfig, { args: ['--log-format', 'text', '--log-level', 'debug'] });
  ca = makeCa('amq-keeper test CA');
});

after(async () => {
  await bridge?.stop();
  await brokers?.killAll();
  await op?.stop();
  await zk?.stop();
  await cp?.stop();
});

describe('TLS for OpenWire and the console (deploy/examples/tls.yaml)', () => {
  test('the cluster waits for its certificate Secret, naming spec.tls.secretName; with it, the brokers serve TLS and the operator checks them over https', async () => {
    await kube.untilCluster(
      NAME,
      (bc) => {
        const w = bc.status?.conditions?.find((c) => c.type === 'Warning');
        assert.equal(w?.reason, 'TlsSecretNotFound');
        assert.match(w?.message ?? '', /spec\.tls\.secretName: Secret "secure-tls" does not exist/);
      },
      { timeoutMs: 60_000, what: 'the Warning TlsSecretNotFound' },
    );
    assert.deepEqual(await brokerPods(), [], 'no broker pod without the certificate');

    cert = certificate();
    await putSecret(cert);
    brokers = new BrokerSet(cp.kubeconfig, NS, NAME);
    await brokers.writeRenderedConfig();
    bridge = new PodBridge(loadKubeConfig(cp.kubeconfig), NS, NAME, brokers, async () => ({ running: bridge.runningCount }));
    await bridge.start();
    console.log(`# broker logs: ${brokers.work}/data/node-<i>/broker.log`);

    const conn = await kube.getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', `${NAME}-connection`]);
    assert.equal(conn.data?.tlsSecret, SECRET);
    assert.equal(conn.data?.['ca.crt'], ca.crt, 'the CA clients trust, published');
    assert.match(conn.data?.failoverUrl ?? '', /^failover:\(ssl:\/\/secure-broker-0\.tls\.svc:62716,ssl:\/\//);
    assert.match(conn.data?.masterUrl ?? '', /^ssl:\/\/secure-master\.tls\.svc:61616/);
    url = await kube.localFailoverUrl(NAME);
    trusted = { env: trustEnv(trustStore(conn.data?.['ca.crt'] ?? '', STORE_PASSWORD), STORE_PASSWORD) };
    admin = (await kube.logins(NAME)).admin;

    const master = nodeOf(await inSync());
    assert.equal(await servedSerial(PORTS.openwire + master), cert.serial, 'OpenWire serves the Secret certificate');
    assert.equal(await servedSerial(PORTS.console + master), cert.serial, 'so does the console');
  });

  test('a client that does not trust the CA fails the handshake; one that does connects through the published ssl:// URL', async () => {
    const master = nodeOf(await inSync());
    const direct = `ssl://127.0.0.1:${PORTS.openwire + master}`;
    const refused = await runClient(['ping', '--url', direct, '--timeout-ms', '20000']).done.then(
      (s) => assert.fail(`connected without trusting the CA: ${JSON.stringify(s)}`),
      (err: unknown) => String(err),
    );
    // The JVM reports the refused certificate as PKIX path building, or (TLS 1.3, the
    // handshake finished on the first write) as the socket it then closed.
    assert.match(refused, /Could not connect to broker URL: ssl:\/\/127\.0\.0\.1.*(PKIX|certification path|SSLHandshakeException|outbound has closed)/i);
    // The same address with the trust store: the CA was the only difference.
    assert.equal((await runClient(['ping', '--url', direct, '--timeout-ms', '30000'], trusted).done).event, 'summary');
    assert.equal((await runClient(['ping', '--url', url, '--timeout-ms', '30000'], trusted).done).event, 'summary');
    console.log(`# untrusted: ${refused.split('\n')[0]?.slice(0, 200)}`);
  });

  test('the console speaks only https: admin/admin gets 401, the generated admin 200; the operator client checks the CA and the name', async () => {
    const master = nodeOf(await inSync());
    const https = `https://127.0.0.1:${PORTS.console + master}/api/jolokia/`;
    const read = [{ type: 'read' as const, mbean: 'java.lang:type=Runtime', attribute: 'Uptime' }];
    const [uptime] = await new JolokiaClient(admin, ca.crt).call(https, read);
    assert.equal(typeof uptime, 'number', 'the generated admin reads through Jolokia');
    const stock = await new JolokiaClient({ username: 'admin', password: 'admin' }, ca.crt).call(https, read).catch((e: unknown) => e);
    assert.ok(stock instanceof JolokiaError && stock.kind === 'refused' && /HTTP 401/.test(stock.message), String(stock));
    const otherCa = makeCa('someone else');
    const untrusted = await new JolokiaClient(admin, otherCa.crt).call(https, read).catch((e: unknown) => e);
    assert.ok(untrusted instanceof JolokiaError && untrusted.kind === 'unreachable', String(untrusted));
    assert.match(untrusted.message, /self.signed|unable to verify|certificate/i);
    const wrongName = await new JolokiaClient(admin, ca.crt).call(https.replace('127.0.0.1', 'localhost'), read).catch((e: unknown) => e);
    assert.ok(wrongName instanceof JolokiaError, String(wrongName));
    assert.match(wrongName.message, /altnames|does not match/i, 'a certificate that does not name the host is refused');
    const plain = await new JolokiaClient(admin).call(https.replace('https:', 'http:'), read).catch((e: unknown) => e);
    assert.ok(plain instanceof JolokiaError, `plain http is not served: ${String(plain)}`);
  });

  test('a renewed certificate rolls the brokers under load, slaves first and the master last, with nothing lost', async () => {
    const master = `${NAME}-broker-${nodeOf(await inSync())}`;
    const version = (p: V1Pod) => p.metadata?.annotations?.[ANNOTATION_TLS];
    const before = new Set((await brokerPods()).map(version));
    const restartsBefore = bridge.restarts.length;
    const roll = () => bridge.restarts.slice(restartsBefore);
    let sent = 0;
    let errors = 0;
    const load = (async () => {
      while (roll().filter((r) => r.startedAt !== undefined).length < 3 || sent === 0) {
        const run = await runClient(
          ['produce', '--url', url, '--queue', 'tls.renew', '--count', '200', '--start-seq', String(sent), '--persistent', '--timeout-ms', '300000'],
          trusted,
        ).done;
        sent += Number(run.acked);
        errors += Number(run.errors);
      }
    })();
    const renewed = certificate();
    assert.notEqual(renewed.serial, cert.serial);
    await putSecret(renewed);
    await eventually(
      async () => {
        bridge.check();
        assert.equal(roll().filter((r) => r.startedAt !== undefined).length, 3, 'three brokers restarted');
        for (const p of await brokerPods()) assert.ok(!before.has(version(p)), `${p.metadata?.name} made with the renewed Secret`);
      },
      { timeoutMs: 420_000, intervalMs: 1000, what: 'every broker rolled onto the renewed certificate', explain },
    );
    await load;
    const order = roll().map((r) => `${NAME}-broker-${r.node}`);
    console.log(`# renewal roll: ${JSON.stringify(order)}, master before ${master}; sent ${sent}, errors ${errors}`);
    assert.deepEqual(
      [...order].sort(),
      [0, 1, 2].map((i) => `${NAME}-broker-${i}`),
      'each broker once',
    );
    assert.equal(order[2], master, 'the master last');
    for (const r of roll()) assert.equal(r.atDeletion.running, 3, 'one at a time');
    assert.equal(errors, 0);
    const now = nodeOf(await inSync());
    assert.equal(await servedSerial(PORTS.openwire + now), renewed.serial, 'the new master serves the renewed certificate');
    await consumeEvery('tls.renew', sent);
  });
});
