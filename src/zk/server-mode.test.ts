import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { askMode, parseMode } from './server-mode';

test('the mode line of a srvr reply', () => {
  const reply = 'Zookeeper version: 3.8.4\nLatency min/avg/max: 0/0.5/3\nMode: leader\nNode count: 12\n';
  assert.equal(parseMode(reply), 'leader');
  assert.equal(parseMode('This ZooKeeper instance is not currently serving requests\n'), undefined);
});

test('askMode reads a server that answers and gives up on one that does not', async () => {
  const server = createServer((s) => s.once('data', () => s.end('Mode: follower\n')));
  const silent = createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (x: typeof server) => (x.address() as { port: number }).port;
  assert.equal(await askMode('127.0.0.1', port(server)), 'follower');
  assert.equal(await askMode('127.0.0.1', port(silent), 200), undefined);
  server.close();
  silent.close();
});
