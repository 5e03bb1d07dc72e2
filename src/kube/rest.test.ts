import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, statusCode } from './client';
import { KubeRest } from './rest';

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** TCP connections the server accepted so far. */
  connections: number;
}

/** An API server stand-in on 127.0.0.1 that answers every request with status and body. */
async function withServer(status: number, answer: string, fn: (rest: KubeRest, seen: Seen[]) => Promise<void>): Promise<void> {
  const seen: Seen[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body, connections });
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(answer);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  try {
    await fn(new KubeRest(kc), seen);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

test('a write sends JSON with the content type, the query and the token', async () => {
  await withServer(200, '{"kind":"Pod"}', async (rest, seen) => {
    await rest.send('PATCH', '/api/v1/namespaces/n/pods/p', {
      query: { fieldManager: 'm', force: true },
      body: { a: 1 },
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(seen[0]?.method, 'PATCH');
    assert.equal(seen[0]?.url, '/api/v1/namespaces/n/pods/p?fieldManager=m&force=true');
    assert.equal(seen[0]?.headers['content-type'], 'application/apply-patch+yaml');
    assert.equal(seen[0]?.headers.authorization, 'Bearer secret');
    assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), { a: 1 });
  });
});

test('a read returns the parsed body', async () => {
  await withServer(200, '{"items":[{"metadata":{"name":"a"}}]}', async (rest) => {
    assert.deepEqual(await rest.get('/api/v1/pods', { labelSelector: undefined }), { items: [{ metadata: { name: 'a' } }] });
  });
});

test('requests one after another share one kept-alive connection', async () => {
  await withServer(201, '{}', async (rest, seen) => {
    for (let i = 0; i < 3; i++) await rest.send('POST', '/apis/events.k8s.io/v1/namespaces/n/events', { body: { i } });
    assert.deepEqual(
      seen.map((s) => s.connections),
      [1, 1, 1],
    );
  });
});

test('an error status carries its code and the server message', async () => {
  await withServer(404, '{"kind":"Status","message":"storageclasses \\"x\\" not found","code":404}', async (rest) => {
    const err = await rest.get('/apis/storage.k8s.io/v1/storageclasses/x').catch((e: unknown) => e);
    assert.equal(statusCode(err), 404);
    assert.equal(errorMessage(err), 'storageclasses "x" not found');
  });
});
