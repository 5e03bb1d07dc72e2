import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGroup, decodeMember, podOfMember, statusMembers } from './members';

const json = (o: Record<string, unknown>) => Buffer.from(JSON.stringify(o));
const member = (node: string, o: Partial<Record<string, unknown>>) => ({
  node,
  data: json({ id: 'xlBroker', container: null, address: null, position: -1, weight: 1, elected: null, ...o }),
});
const isPod = (p: string) => /^xl-broker-[0-2]$/.test(p);

test('the elector (lowest sequence) names the master; it serves once its address is set', () => {
  const view = decodeGroup(
    [
      member('00000000005', { container: 'xl-broker-2' }),
      member('00000000003', { container: 'xl-broker-0', elected: '0000000004' }),
      member('00000000004', { container: 'xl-broker-1', address: 'tcp://10.0.0.7:63632' }),
    ],
    'xlBroker',
  );
  assert.deepEqual(
    view.members.map((m) => m.node),
    ['00000000003', '00000000004', '00000000005'],
  );
  assert.equal(view.master?.container, 'xl-broker-1');
  assert.deepEqual(view.problems, []);
  const members = statusMembers(view, isPod);
  assert.deepEqual(
    members.map((m) => [m.pod, m.role]),
    [
      ['xl-broker-0', 'slave'],
      ['xl-broker-1', 'master'],
      ['xl-broker-2', 'slave'],
    ],
  );
  assert.equal(members[1]?.memberId, '0000000004');
});

test('elected but without an address is not yet a master', () => {
  const view = decodeGroup([member('00000000000', { elected: '0000000000', container: 'xl-broker-0' })], 'xlBroker');
  assert.equal(view.elected?.memberId, '0000000000');
  assert.equal(view.master, undefined);
});

test('a published capture decodes: the elector elects itself', () => {
  const view = decodeGroup(
    [
      {
        node: '00000000000',
        data: '{"id":"localhost","container":null,"address":"tcp://192.168.101.69:46019","position":-1,"weight":1,"elected":"0000000000"}',
      },
      { node: '00000000001', data: '{"id":"localhost","container":null,"address":null,"position":-1,"weight":1,"elected":null}' },
    ],
    'localhost',
  );
  assert.equal(view.master?.node, '00000000000');
});

test('other broker names, malformed data and a vanished elected member are reported, not fatal', () => {
  const view = decodeGroup(
    [
      { node: '00000000001', data: 'not json' },
      { node: '00000000002', data: json({ id: 'other', elected: '0000000002' }) },
      member('00000000003', { elected: '0000000009', container: 'xl-broker-0' }),
      { node: 'garbage', data: '{}' },
      { node: '00000000004', data: '[1,2]' },
    ],
    'xlBroker',
  );
  assert.equal(view.members.length, 1);
  assert.equal(view.master, undefined);
  assert.equal(view.problems.length, 5);
  assert.match(view.problems.join('\n'), /not JSON/);
  assert.match(view.problems.join('\n'), /other broker names.*other/);
  assert.match(view.problems.join('\n'), /0000000009, which is gone/);
  assert.match(view.problems.join('\n'), /unexpected node garbage/);
});

test('a member maps to its pod by container, else by the host of its address', () => {
  const m = decodeMember(member('00000000001', { address: 'tcp://xl-broker-2.xl-broker-hs.mq.svc:63633' }));
  assert.ok(typeof m !== 'string');
  assert.equal(podOfMember(m, isPod), 'xl-broker-2');
  const byContainer = decodeMember(member('00000000001', { container: 'xl-broker-1', address: 'tcp://xl-broker-2.x:1' }));
  assert.ok(typeof byContainer !== 'string');
  assert.equal(podOfMember(byContainer, isPod), 'xl-broker-1');
  const unknown = decodeMember(member('00000000001', { container: 'elsewhere', address: 'tcp://127.0.0.1:1' }));
  assert.ok(typeof unknown !== 'string');
  assert.equal(podOfMember(unknown, isPod), undefined);
});
