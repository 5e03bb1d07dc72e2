// The README's demo, run as a user runs it: it must finish, show the master,
// the failover Events and the new master, and lose no message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

test('the local end-to-end demo passes', async () => {
  const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'hack', 'demo.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr.on('data', (d: Buffer) => (text += d.toString()));
    p.on('close', (code) => resolve({ code, text }));
  });
  assert.equal(out.code, 0, out.text);
  assert.match(out.text, /NAME\s+REPLICAS\s+READY\s+MASTER\s+PHASE\s+FAILOVERS\s+AGE\s*\nxl\s+3\s+\S+\s+xl-broker-\d/);
  assert.match(out.text, /ROLE/);
  // The operator holds the chart's Lease under the name of the chart's (kwok) operator pod.
  assert.match(out.text, /NAME\s+HOLDER\s+AGE\s*\namq-keeper\s+amq-keeper-[a-z0-9]+-[a-z0-9]+\s/);
  assert.match(out.text, /Warning\s+MasterLost/);
  assert.match(out.text, /Normal\s+MasterElected\s+xl-broker-\d elected master \(previous master xl-broker-\d/);
  assert.match(out.text, /received 1000 distinct of 1000: 0 lost/);
  assert.match(out.text, /2 of 2 slaves acknowledged a write made after they attached/);
  assert.doesNotMatch(out.text, /FAILED/);
});
