// The real node refuses to start pods unless its pod and Service ranges are
// routed only to its own bridge and forwarding is fenced in (hack/node.sh).
// Here no node runs, so those routes are missing: the start must stop before
// anything is created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NODE_SH = join(__dirname, '..', 'hack', 'node.sh');

test('without the bridge routes, the node refuses to start and names the unsafe route', async () => {
  const state = mkdtempSync(join(tmpdir(), 'amq-keeper-node-safety-'));
  writeFileSync(join(state, 'ports.env'), 'PORT_BASE=1\nAPI_PORT=1\nAPI_HOST=10.88.0.1\n');
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile('bash', [NODE_SH, 'up', state], (err, _stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stderr }));
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unsafe network: 10\.88\.1\.7 routes via '[^']*', not the node bridge amqk0; refusing to start pods/);
  assert.equal(existsSync(join(state, 'node', 'containerd.toml')), false, 'nothing was configured');
  assert.equal(existsSync(join(state, 'node', 'pids')), false, 'nothing was started');
});
