// A TCP proxy on 127.0.0.1 in front of a set of brokers, that can cut one
// client connection at a chosen OpenWire command: what a client sees when its
// broker goes away (a master demoted by ZooKeeper restarts itself in its JVM)
// while that command is on the wire. The client's failover transport then
// reconnects through the proxy, which passes every later connection through.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** OpenWire data structure types (org.apache.activemq.command.CommandTypes). */
export const OPENWIRE = { REMOVE_INFO: 12, ACTIVEMQ_TEXT_MESSAGE: 28 } as const;

export interface OpenWireProxy {
  port: number;
  /** Client connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

/** The first of the ports that accepts a connection (slaves open no client port). */
function connectFirst(ports: number[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const attempt = (k: number) => {
      if (k >= ports.length) return reject(new Error(`no broker accepts on ${ports.join(', ')}`));
      const s = connect({ host: '127.0.0.1', port: ports[k]! });
      s.once('connect', () => {
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', () => attempt(k + 1));
    };
    attempt(0);
  });
}

/**
 * Forwards 127.0.0.1:<port> to the first of `upstream` that accepts. The first
 * `cuts` client connections that send a command of type `cutAt` are cut there:
 * the command is not forwarded, what the broker had already been sent is
 * delivered, and both sockets are closed.
 */
export async function startOpenWireProxy(upstream: number[], opts: { cutAt: number; cuts?: number }): Promise<OpenWireProxy> {
  let cutsLeft = opts.cuts ?? 1;
  let cuts = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    connectFirst(upstream).then(
      (broker) => {
        open.add(broker);
        broker.on('close', () => {
          open.delete(broker);
          client.destroy();
        });
        broker.on('error', () => broker.destroy());
        // OpenWire frames: a 4-byte size, then the command's type byte.
        let pending = Buffer.alloc(0);
        let cut = false;
        // Once cut, the broker side is ended (what it was sent is delivered), not destroyed.
        client.on('close', () => {
          if (!cut) broker.destroy();
        });
        broker.on('data', (d: Buffer) => {
          if (!cut && !client.destroyed) client.write(d);
        });
        client.on('data', (d: Buffer) => {
          if (cut) return;
          pending = Buffer.concat([pending, d]);
          let forward = 0;
          while (pending.length - forward >= 5) {
            const size = pending.readInt32BE(forward);
            if (cutsLeft > 0 && pending[forward + 4] === opts.cutAt) {
              cutsLeft--;
              cuts++;
              cut = true;
              broker.end(pending.subarray(0, forward));
              client.destroy();
              return;
            }
            if (pending.length - forward < 4 + size) break;
            forward += 4 + size;
          }
          broker.write(pending.subarray(0, forward));
          pending = pending.subarray(forward);
        });
        client.resume();
      },
      () => client.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
