// The guard against a console on 127.0.0.1 that answers as a master whose
// slaves acknowledge every write at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ElectionSnapshot } from '../model/election';
import { createLogger } from '../observability/logger';
import { cluster } from '../../test/fixtures/clusters';
import { DISTRIBUTION_CONSOLE_CREDENTIALS } from './jolokia';
import { ReplicationGuard } from './replication-guard';

let server: Server;
let port = 0;
let position = 100;
let checkpoints = 0;

before(async () => {
  server = createServer((req, res) => {
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
  const guard = new ReplicationGuard(DISTRIBUTION_CONSOLE_CREDENTIALS, createLogger('json', 'error'), () => checked());
  /** The verdict now, and a wait for the one after the check it started. */
  const look = () => {
    const done = new Promise<void>((resolve) => {
      checked = resolve;
    });
    const now = guard.check(c, snap);
    const settled = async () => {
      await done;
      return guard.check(c, snap);
    };
    return { now, settled };
  };

  const first = look();
  assert.equal(first.now?.reason, 'CheckpointPending');
  assert.equal((await first.settled())?.inSync, true);
  assert.equal(checkpoints, 1);

  assert.equal(guard.check(c, { ...snap, connected: false }), undefined, 'no verdict without ZooKeeper');
  const back = look();
  assert.equal(back.now?.inSync, false, 'the same members are not taken as in sync');
  assert.equal(back.now?.reason, 'CheckpointPending');
  assert.equal((await back.settled())?.inSync, true);
  assert.equal(checkpoints, 2, 'proven with a new checkpoint');
});
