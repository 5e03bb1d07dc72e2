// The guard against a console on 127.0.0.1 that answers as a master whose
// slaves acknowledge every write at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ElectionSnapshot } from '../model/election';
import { createLogger } from '../observability/logger';
import { CREDENTIALS, cluster } from '../../test/fixtures/clusters';
import { consoleUrl, ReplicationGuard } from './replication-guard';

const ADMIN = CREDENTIALS.admin;
const LOCAL = new Set(['127.0.0.1']);

let server: Server;
let port = 0;
let position = 100;
let checkpoints = 0;
/** The Authorization header of every request. */
const logins: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    logins.push(req.headers.authorization ?? '');
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const answers = (JSON.parse(body) as { type: string; operation?: string }[]).map((r) => {
        if (r.type === 'read') {
          const slaves = [1, 2].map(() => ({ attached: true, position }));
          return { status: 200, value: { 'org.apache.activemq:view=Replication': { Position: position, Slaves: slaves } } };
        }
        if (r.operation?.startsWith('sendTextMessage')) {
          checkpoints++;
          position += 10;
          return { status: 200, value: `ID:checkpoint-${checkpoints}` };
        }
        return { status: 200, value: null };
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answers));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('slaves proven in sync before ZooKeeper was lost are proven again once it is back, though the group looks the same', async () => {
  const c = cluster({ replicas: 3, ports: { openwire: 61616, console: port, replication: 63631 } });
  const snap: ElectionSnapshot = {
    connected: true,
    known: true,
    master: { pod: 'xl-broker-0', index: 0 },
    members: [
      { pod: 'xl-broker-0', role: 'master', memberId: '0000000001', address: 'tcp://127.0.0.1:63631' },
      { pod: 'xl-broker-1', role: 'slave', memberId: '0000000002' },
      { pod: 'xl-broker-2', role: 'slave', memberId: '0000000003' },
    ],
  };
  let checked = (): void => undefined;
  const guard = new ReplicationGuard(LOCAL, createLogger('json', 'error'), () => checked());
  /** The verdict now, and a wait for the one after the check it started. */
  const look = () => {
    const done = new Promise<void>((resolve) => {
      checked = resolve;
    });
    const now = guard.check(c, snap, { admin: ADMIN });
    const settled = async () => {
      await done;
      return guard.check(c, snap, { admin: ADMIN });
    };
    return { now, settled };
  };

  const first = look();
  assert.equal(first.now?.reason, 'CheckpointPending');
  assert.equal((await first.settled())?.inSync, true);
  assert.equal(checkpoints, 1);

  assert.equal(guard.check(c, { ...snap, connected: false }, { admin: ADMIN }), undefined, 'no verdict without ZooKeeper');
  const back = look();
  assert.equal(back.now?.inSync, false, 'the same members are not taken as in sync');
  assert.equal(back.now?.reason, 'CheckpointPending');
  assert.equal((await back.settled())?.inSync, true);
  assert.equal(checkpoints, 2, 'proven with a new checkpoint');
});

test('every request carries the cluster admin login, and the checkpoint is sent as that user', () => {
  const basic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
  assert.ok(logins.length > 0);
  assert.ok(logins.every((l) => l === basic));
});

test("the admin login goes only to the elected pod's own name, or a host trusted by flag", () => {
  const c = cluster();
  const own = 'xl-broker-1.xl-broker-hs.mq.svc';
  const other = consoleUrl(c, 1, 'tcp://10.0.0.99:63632', new Set());
  assert.match('error' in other ? other.error : '', /registered the host 10.0.0.99, not its pod's name xl-broker-1\./);
  assert.ok('error' in consoleUrl(c, 1, 'tcp://xl-broker-2.xl-broker-hs.mq.svc:63632', new Set()), 'another pod of the cluster');
  assert.ok('error' in consoleUrl(c, 1, 'not a url', new Set()));
  assert.ok('url' in consoleUrl(c, 1, 'tcp://127.0.0.1:63632', LOCAL));
  const n = consoleUrl(c, 1, `tcp://${own}:63632`, new Set());
  assert.ok('url' in n ? n.url.startsWith('http://xl-broker-1.') : assert.fail(n.error));
  // With spec.tls only https: the certificate must then name the pod too.
  const tls = consoleUrl(cluster({ tls: { secretName: 'xl-tls' } }), 1, `tcp://${own}:63632`, new Set());
  assert.equal('url' in tls ? tls.url : tls.error, `https://${own}:8162/api/jolokia/`);
});

test('no request at all to an untrusted address or without the login', () => {
  const c = cluster({ replicas: 3, ports: { openwire: 61616, console: port, replication: 63631 } });
  const before = logins.length;
  const snap = (address: string): ElectionSnapshot => ({
    connected: true,
    known: true,
    master: { pod: 'xl-broker-0', index: 0 },
    members: [{ pod: 'xl-broker-0', role: 'master', memberId: '0000000001', address }],
  });
  const guard = new ReplicationGuard(new Set(), createLogger('json', 'error'), () => undefined);
  assert.equal(guard.check(c, snap('tcp://127.0.0.1:63631'), { admin: ADMIN })?.reason, 'ConsoleAddressUntrusted');
  assert.equal(
    new ReplicationGuard(LOCAL, createLogger('json', 'error'), () => undefined).check(c, snap('tcp://127.0.0.1:63631'), undefined)?.reason,
    'NoCredentials',
  );
  assert.equal(logins.length, before);
});
