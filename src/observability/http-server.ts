// /metrics for Prometheus, /healthz and /readyz for the kubelet.
import { createServer, type Server } from 'node:http';
import { registry } from './metrics';

export function startHttpServer(port: number, isReady: () => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
      return;
    }
    if (req.url === '/healthz') {
      res.writeHead(200);
      res.end('ok');
      return;
    }
    if (req.url === '/readyz') {
      const ok = isReady();
      res.writeHead(ok ? 200 : 503);
      res.end(ok ? 'ok' : 'starting');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
