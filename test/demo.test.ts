// The README's demo, run as a user runs it, on the real node: it must finish,
// show every pod Running on the node with a pod IP, the master, the failover
// Events and the new master, the killed container restarted, and lose no
// message.
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
  // Operator, three ZooKeeper servers and three brokers Running on the real node, with pod IPs.
  const running = (name: RegExp) => new RegExp(`${name.source}\\s+1/1\\s+Running\\s+\\d+.*\\s10\\.88\\.\\d+\\.\\d+\\s+amq-keeper-node`);
  assert.match(out.text, running(/amq-keeper\s+amq-keeper-[a-z0-9]+-[a-z0-9]+/));
  for (const p of ['xl-zk-0', 'xl-zk-1', 'xl-zk-2', 'xl-broker-0', 'xl-broker-1', 'xl-broker-2']) assert.match(out.text, running(new RegExp(`demo\\s+${p}`)));
  assert.match(out.text, /amq-keeper entrypoint: node \d/, 'kubectl logs shows the broker output');
  // The operator pod holds the chart's Lease.
  assert.match(out.text, /NAME\s+HOLDER\s+AGE\s*\namq-keeper\s+amq-keeper-[a-z0-9]+-[a-z0-9]+\s/);
  assert.match(out.text, /Warning\s+MasterLost/);
  assert.match(out.text, /Normal\s+MasterElected\s+xl-broker-\d elected master \(previous master xl-broker-\d/);
  assert.match(out.text, /received 1000 distinct of 1000: 0 lost/);
  // As a slave, unless the election hung and the restarted survivors let it win again.
  assert.match(out.text, /the kubelet restarted xl-broker-\d( as a slave|, no message lost)/);
  assert.match(out.text, /2 of 2 slaves acknowledged a write made after they attached/);
  assert.doesNotMatch(out.text, /FAILED/);
});
