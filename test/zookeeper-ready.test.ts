// The ZooKeeper pods' readiness script against a real ensemble: ready while a
// server serves in a quorum, not ready once it has lost it although its
// client port is still open.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { startEnsemble, type Ensemble } from './support/zookeeper';

const SCRIPT = join(__dirname, '..', 'images', 'zookeeper', 'ready.sh');
let zk: Ensemble;

/** Exit code and output of the script for the server on this client port. */
function probe(port: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, String(port)], { timeout: 10_000 }, (err, stdout) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout.trim() });
    });
  });
}

before(async () => {
  zk = await startEnsemble({ clientPortBase: 22181, peerPortBase: 22888, electionPortBase: 23888 });
});

after(async () => {
  await zk?.stop();
});

test('every server of a quorum is ready', async () => {
  for (const port of zk.clientPorts) assert.deepEqual(await probe(port), { code: 0, out: '' }, `port ${port}`);
});

test('a server that lost its quorum is not ready, though its client port is open', async () => {
  const leader = await zk.leader();
  const others = ([1, 2, 3] as const).filter((n) => n !== leader);
  await zk.stopNode(others[0]!);
  await zk.stopNode(others[1]!);
  const alone = zk.clientPorts[leader - 1]!;
  // The survivor drops out of serving within its tick-based timeouts.
  await eventually(
    async () => {
      const r = await probe(alone);
      assert.equal(r.code, 1);
      assert.match(r.out, /not serving in a quorum: This ZooKeeper instance is not currently serving requests/);
    },
    { timeoutMs: 30_000, intervalMs: 250, what: 'the lone server not ready' },
  );
  const down = await probe(zk.clientPorts[others[0]! - 1]!);
  assert.notEqual(down.code, 0, 'a stopped server is not ready either');
});
