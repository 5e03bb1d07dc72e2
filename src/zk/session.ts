// One ZooKeeper session per ensemble, shared by every cluster that uses it.
// A lost connection is reported and retried by the client; an expired session
// is replaced by a new one, after which watchers must read everything again.
import { EventEmitter } from 'node:events';
import { createClient, State, type Client } from 'node-zookeeper-client';
import type { Logger } from '../observability/logger';
import { metrics } from '../observability/metrics';

export interface SessionEvents {
  /** A session is usable; fresh is true when it is a new session (watches are gone). */
  connected: [fresh: boolean];
  disconnected: [];
}

export class ZkSession extends EventEmitter<SessionEvents> {
  private client: Client | undefined;
  private connectedOnce = false;
  private closed = false;
  connected = false;

  constructor(
    readonly connectString: string,
    private readonly sessionTimeoutMs: number,
    private readonly log: Logger,
  ) {
    super();
  }

  /** The current client; undefined only after close. */
  get current(): Client | undefined {
    return this.client;
  }

  start(): void {
    if (this.closed) return;
    const client = createClient(this.connectString, { sessionTimeout: this.sessionTimeoutMs, spinDelay: 200, retries: 0 });
    this.client = client;
    let fresh = true;
    client.on('state', (state: State) => {
      if (this.client !== client) return;
      if (state === State.SYNC_CONNECTED || state === State.CONNECTED_READ_ONLY) {
        this.connected = true;
        metrics.zkConnected.set({ ensemble: this.connectString }, 1);
        this.log.info('zookeeper connected', { ensemble: this.connectString, fresh, readOnly: state === State.CONNECTED_READ_ONLY });
        this.emit('connected', fresh || !this.connectedOnce);
        this.connectedOnce = true;
        fresh = false;
      } else if (state === State.DISCONNECTED) {
        this.connected = false;
        metrics.zkConnected.set({ ensemble: this.connectString }, 0);
        this.log.warn('zookeeper disconnected', { ensemble: this.connectString });
        this.emit('disconnected');
      } else if (state === State.EXPIRED) {
        this.connected = false;
        metrics.zkConnected.set({ ensemble: this.connectString }, 0);
        this.log.warn('zookeeper session expired, opening a new one', { ensemble: this.connectString });
        this.emit('disconnected');
        client.close();
        this.start();
      }
    });
    client.connect();
  }

  close(): void {
    this.closed = true;
    this.connected = false;
    this.client?.close();
    this.client = undefined;
    this.removeAllListeners();
  }
}

/** Hands out one session per (connect string, timeout), closing it when the last user leaves. */
export class SessionPool {
  private readonly sessions = new Map<string, { session: ZkSession; users: number }>();

  constructor(
    private readonly log: Logger,
    private readonly sessionTimeoutMs = 10_000,
  ) {}

  acquire(connectString: string): ZkSession {
    let entry = this.sessions.get(connectString);
    if (!entry) {
      const session = new ZkSession(connectString, this.sessionTimeoutMs, this.log);
      session.setMaxListeners(0);
      entry = { session, users: 0 };
      this.sessions.set(connectString, entry);
      session.start();
    }
    entry.users++;
    return entry.session;
  }

  release(session: ZkSession): void {
    const entry = this.sessions.get(session.connectString);
    if (!entry || entry.session !== session) return;
    if (--entry.users <= 0) {
      this.sessions.delete(session.connectString);
      session.close();
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  closeAll(): void {
    for (const { session } of this.sessions.values()) session.close();
    this.sessions.clear();
  }
}
