// What a ZooKeeper server says it is, from its srvr four-letter word (the
// rendered zoo.cfg whitelists it). The managed ensemble rolls its followers
// first and its leader last: a leader taken down early forces an election on
// top of every later restart.
import { createConnection } from 'node:net';

export type ServerMode = 'leader' | 'follower' | 'observer' | 'standalone';

export function parseMode(reply: string): ServerMode | undefined {
  const m = /^Mode: (leader|follower|observer|standalone)$/m.exec(reply);
  return m?.[1] as ServerMode | undefined;
}

/** The server's mode, or undefined when it does not answer in time or serves in no quorum. */
export function askMode(host: string, port: number, timeoutMs = 2_000): Promise<ServerMode | undefined> {
  return new Promise((resolve) => {
    let reply = '';
    const s = createConnection({ host, port });
    const done = () => {
      s.destroy();
      resolve(parseMode(reply));
    };
    s.setTimeout(timeoutMs, done);
    s.on('connect', () => s.end('srvr'));
    s.on('data', (d: Buffer) => {
      reply += d.toString();
    });
    s.on('close', done);
    s.on('error', done);
  });
}
