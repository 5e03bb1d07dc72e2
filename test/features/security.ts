// Who may connect, on real brokers, run by test/features.test.ts: the
// operator generated the cluster's Secret; OpenWire asks every client for a
// login and checks its rights per destination (the feature cluster's
// spec.security: "app" may do everything, "reader" only consume orders.*);
// the web console takes only the generated admin user, and the operator's own
// replication check logs in with it. No password is in a ConfigMap or the status.
// In ZooKeeper, the brokers' group znodes take writes only from a client that
// logs in with the Secret's zookeeper-password (broker/patches/05).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import { ACL, type Client, CreateMode, createClient, Exception, Id, Permission } from 'node-zookeeper-client';
import { zkPath } from '../../src/api/cluster';
import { client, NAME, NS, PORTS, type FeatureBrokers } from '../support/feature-brokers';
import { loginEnv, runClient } from '../support/jms-client';
import { eventually } from '../support/eventually';
import { FEATURE_READER } from '../fixtures/clusters';
import type { Login } from '../../src/model/credentials';

const reader: Login = { username: FEATURE_READER.username, password: FEATURE_READER.password };

/** A GET of the master's Jolokia endpoint with this login; the HTTP status. */
async function consoleStatus(port: number, login: Login): Promise<number> {
  const url = `http://127.0.0.1:${port}/api/jolokia/version`;
  const auth = Buffer.from(`${login.username}:${login.password}`).toString('base64');
  const res = await fetch(url, { headers: { authorization: `Basic ${auth}`, origin: new URL(url).origin }, signal: AbortSignal.timeout(10_000) });
  await res.text();
  return res.status;
}

/** A ZooKeeper session, logged in with each digest auth ("user:password") given. */
async function zkSession(connectString: string, digests: string[] = []): Promise<Client> {
  const zk = createClient(connectString, { sessionTimeout: 10_000, spinDelay: 100, retries: 0 });
  for (const d of digests) zk.addAuthInfo('digest', Buffer.from(d));
  await new Promise<void>((resolve, reject) => {
    const late = setTimeout(() => reject(new Error(`no ZooKeeper session at ${connectString}`)), 15_000);
    zk.once('connected', () => {
      clearTimeout(late);
      resolve();
    });
    zk.connect();
  });
  return zk;
}

/** Runs one callback-style client call: its result, or the error's code. */
function zkCall<T>(call: (cb: (e: Error | Exception | null, r: T) => void) => void): Promise<{ ok: T } | { code: number }> {
  return new Promise((resolve, reject) =>
    call((e, r) => {
      if (!e) resolve({ ok: r });
      else if (e instanceof Exception) resolve({ code: e.getCode() });
      else reject(e);
    }),
  );
}

async function zkOk<T>(what: string, call: (cb: (e: Error | Exception | null, r: T) => void) => void): Promise<T> {
  const r = await zkCall(call);
  if ('code' in r) assert.fail(`${what}: ZooKeeper error ${r.code}`);
  return r.ok;
}

/** A znode's ACL as scheme:id:perms, sorted. The client's ACL objects hold `permission` (its typings say `perms`). */
async function aclOf(zk: Client, path: string): Promise<string[]> {
  const acls = await zkOk<ACL[]>(`getACL ${path}`, (cb) => zk.getACL(path, cb));
  return acls.map((a) => `${a.id.scheme}:${a.id.id}:${(a as unknown as { permission: number }).permission}`).sort();
}

/** The fatal line of a client run that must fail. */
async function refused(args: string[], env: Record<string, string>): Promise<string> {
  const err = await runClient([...args, '--timeout-ms', '60000'], { env }).done.then(
    (s) => assert.fail(`expected a refusal, got ${JSON.stringify(s)}`),
    (e: unknown) => String(e),
  );
  return err;
}

export function securityFeatures(feat: FeatureBrokers): void {
  describe('security on real brokers', () => {
    test('OpenWire: no login is refused, the application user sends, a user without write rights is refused on send and may consume', async () => {
      await feat.settledMaster();
      const url = feat.publishedUrl;
      const anonymous = await refused(['produce', '--url', url, '--queue', 'orders.sec', '--count', '1', '--persistent'], loginEnv(undefined));
      assert.match(anonymous, /JMSSecurityException|SecurityException/, anonymous);
      const wrong = await refused(['produce', '--url', url, '--queue', 'orders.sec', '--count', '1'], loginEnv({ ...feat.logins.app, password: 'guess' }));
      assert.match(wrong, /SecurityException/, wrong);

      await feat.produce('orders.sec', 3, ['--persistent']);
      const denied = await refused(['produce', '--url', url, '--queue', 'orders.sec', '--count', '1', '--persistent'], loginEnv(reader));
      assert.match(denied, /not authorized to write/, denied);
      const got = await client(['consume', '--url', url, '--queue', 'orders.sec', '--expect', '3', '--idle-timeout-ms', '10000'], loginEnv(reader));
      assert.equal(got.distinct, 3, 'the reader consumes what the application user sent');
      const elsewhere = await refused(['consume', '--url', url, '--queue', 'other.sec', '--expect', '1', '--idle-timeout-ms', '3000'], loginEnv(reader));
      assert.match(elsewhere, /not authorized to read/, elsewhere);
    });

    test("the console: admin/admin gets 401, the generated admin 200, and the operator's replication check logs in with it", async () => {
      const master = await feat.settledMaster();
      const port = PORTS.console + master;
      assert.equal(await consoleStatus(port, { username: 'admin', password: 'admin' }), 401);
      assert.equal(await consoleStatus(port, feat.logins.app), 401, 'the application user has no console login');
      assert.equal(await consoleStatus(port, feat.logins.admin), 200);
      await feat.kube.untilCluster(
        NAME,
        (bc) => {
          const sync = bc.status?.conditions?.find((c) => c.type === 'ReplicasInSync');
          assert.equal(sync?.status, 'True', JSON.stringify(sync));
          assert.equal(bc.status?.members?.filter((m) => m.inSync === true).length, 2, JSON.stringify(bc.status?.members));
        },
        { timeoutMs: 120_000, intervalMs: 500, what: 'slaves checked in sync through the console' },
      );
    });

    test("ZooKeeper: the group and member znodes take writes only with the Secret's zookeeper-password; anyone may read them", async () => {
      await feat.settledMaster();
      const group = zkPath(await feat.kube.cluster(NAME));
      const secret = await feat.kube.getJson<V1Secret>(['-n', NS, 'get', 'secret', `${NAME}-credentials`]);
      const password = Buffer.from(secret.data?.['zookeeper-password'] ?? '', 'base64').toString('utf8');
      assert.ok(password.length >= 32);
      const config = await feat.kube.getJson<V1ConfigMap>(['-n', NS, 'get', 'configmap', `${NAME}-broker-config`]);
      for (const i of [0, 1, 2]) assert.match(config.data?.[`activemq-${i}.xml`] ?? '', /zkPassword="\$\{AMQ_ZK_PASSWORD\}"/, `node ${i}`);
      // ZooKeeper's digest id: user:base64(sha1("user:password")); the broker logs in as "fabric".
      const owner = `digest:fabric:${createHash('sha1').update(`fabric:${password}`).digest('base64')}`;
      const locked = [`${owner}:${Permission.ALL}`, `world:anyone:${Permission.READ}`].sort();
      // The server shows a digest only to a client logged in with it; others see "x".
      const lockedSeenByOthers = [`digest:fabric:x:${Permission.ALL}`, `world:anyone:${Permission.READ}`].sort();

      const anonymous = await zkSession(feat.zk.connectString);
      const guessing = await zkSession(feat.zk.connectString, ['fabric:guess']);
      // Logged in as the brokers are; only reads with it.
      const loggedIn = await zkSession(feat.zk.connectString, [`fabric:${password}`]);
      try {
        // A slave joins the group a moment after the master is elected.
        const members = await eventually(
          async () => {
            const m = await zkOk<string[]>('getChildren', (cb) => anonymous.getChildren(group, cb));
            assert.equal(m.length, 3, `every broker is a member: ${m.join(', ')}`);
            return m;
          },
          { what: 'three members', timeoutMs: 30_000, intervalMs: 200 },
        );
        const member = `${group}/${members[0]}`;
        assert.deepEqual(await aclOf(loggedIn, group), locked, 'the group node');
        for (const m of members) assert.deepEqual(await aclOf(loggedIn, `${group}/${m}`), locked, `member ${m}`);
        assert.deepEqual(await aclOf(anonymous, group), lockedSeenByOthers);
        // Not the brokers' to lock: the parents of zkPath keep the open ACL they were created with.
        const parent = group.slice(0, group.lastIndexOf('/'));
        assert.deepEqual(await aclOf(anonymous, parent), [`world:anyone:${Permission.ALL}`]);

        const open = [new ACL(Permission.ALL, new Id('world', 'anyone'))];
        for (const zk of [anonymous, guessing]) {
          const refusals = {
            'create a member': await zkCall<string>((cb) => zk.create(`${group}/0`, Buffer.from('{}'), open, CreateMode.EPHEMERAL_SEQUENTIAL, cb)),
            'setData on the group node': await zkCall((cb) => zk.setData(group, Buffer.from('x'), -1, cb)),
            'setData on a member': await zkCall((cb) => zk.setData(member, Buffer.from('{}'), -1, cb)),
            'delete a member': await zkCall<void>((cb) => zk.remove(member, -1, (e) => cb(e, undefined))),
            'setACL on the group node': await zkCall((cb) => zk.setACL(group, open, -1, cb)),
            'setACL on a member': await zkCall((cb) => zk.setACL(member, open, -1, cb)),
          };
          for (const [what, r] of Object.entries(refusals)) assert.deepEqual(r, { code: Exception.NO_AUTH }, what);
        }
        assert.ok(await zkOk('exists', (cb) => anonymous.exists(member, cb)), 'the member is still there');
        assert.deepEqual(await aclOf(loggedIn, group), locked, 'the group node kept its ACL');
      } finally {
        anonymous.close();
        guessing.close();
        loggedIn.close();
      }
      await feat.settledMaster();
    });

    test('the generated Secret belongs to the cluster; no password is in a ConfigMap or the status', async () => {
      const secret = await feat.kube.getJson<V1Secret>(['-n', NS, 'get', 'secret', `${NAME}-credentials`]);
      assert.equal(secret.metadata?.ownerReferences?.[0]?.kind, 'BrokerCluster');
      assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ['admin-password', 'admin-username', 'password', 'username', 'zookeeper-password']);
      const passwords = Object.entries(secret.data ?? {})
        .filter(([k]) => k.endsWith('password'))
        .map(([, v]) => Buffer.from(v, 'base64').toString('utf8'));
      assert.ok(passwords.every((p) => p.length >= 32));
      const configMaps = await feat.kube.items<V1ConfigMap>(['-n', NS, 'get', 'configmaps']);
      const status = JSON.stringify((await feat.kube.cluster(NAME)).status);
      for (const p of [...passwords, FEATURE_READER.password]) {
        for (const cm of configMaps) assert.ok(!JSON.stringify(cm.data).includes(p), `a password in ConfigMap ${cm.metadata?.name}`);
        assert.ok(!status.includes(p), 'a password in the status');
      }
      const connection = await feat.kube.connection(NAME);
      assert.equal(connection.data?.credentialsSecret, `${NAME}-credentials`);
    });
  });
}

/** Last of the feature cases: it leaves the cluster blocked on a changed Secret. */
export function zookeeperPasswordChange(feat: FeatureBrokers): void {
  describe('a changed zookeeper-password', () => {
    test('is refused before any broker restarts: the Warning names the Secret, and no pod is deleted', async () => {
      const pods = async () =>
        (await feat.kube.items<V1Pod>(['-n', NS, 'get', 'pods', '-l', 'amqkeeper.io/component=broker'])).map((p) => p.metadata?.uid).sort();
      const before = await pods();
      assert.equal(before.length, 3);
      const b64 = Buffer.from('another-password-entirely-0000000').toString('base64');
      await feat.kube.k(['-n', NS, 'patch', 'secret', `${NAME}-credentials`, '--type=merge', '-p', JSON.stringify({ data: { 'zookeeper-password': b64 } })]);
      await feat.kube.untilCluster(
        NAME,
        (bc) => {
          const w = bc.status?.conditions?.find((c) => c.type === 'Warning');
          assert.equal(w?.reason, 'ZooKeeperPasswordChanged', JSON.stringify(w));
          assert.match(w?.message ?? '', /Secret feat-credentials: zookeeper-password is not the one the group znode .* was made with/);
        },
        // Secrets are not watched: the next reconcile comes within the 30 s a read is kept.
        { timeoutMs: 90_000, intervalMs: 500, what: 'the Warning about the changed password' },
      );
      assert.deepEqual(await pods(), before, 'no broker pod was restarted onto the new password');
      assert.equal(
        (await feat.kube.events(NAME, 'InvalidSpec')).some((e) => /ZooKeeper|zookeeper-password/.test(e.note ?? '')),
        true,
      );
    });
  });
}
