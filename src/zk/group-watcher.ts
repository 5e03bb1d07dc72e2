// Watches the members under one zkPath: the children and the data of each
// child. Any watch that fires, and every new session, leads to one full
// re-read; overlapping re-reads are coalesced and stale results dropped.
import type { Client, Exception } from 'node-zookeeper-client';
import type { RawMember } from './members';
import type { ZkSession } from './session';

export type GroupListener = (members: RawMember[] | 'disconnected', at: Date) => void;

const NO_NODE = -101;

function isNoNode(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'getCode' in err && (err as Exception).getCode() === NO_NODE;
}

function getChildren(client: Client, path: string, watch: () => void): Promise<string[] | undefined> {
  return new Promise((resolve, reject) => {
    client.getChildren(path, watch, (err, children) => {
      if (err) return isNoNode(err) ? resolve(undefined) : reject(err);
      resolve(children);
    });
  });
}

function getData(client: Client, path: string, watch: () => void): Promise<Buffer | null | undefined> {
  return new Promise((resolve, reject) => {
    client.getData(path, watch, (err, data) => {
      if (err) return isNoNode(err) ? resolve(undefined) : reject(err);
      resolve(data);
    });
  });
}

function exists(client: Client, path: string, watch: () => void): Promise<boolean> {
  return new Promise((resolve, reject) => {
    client.exists(path, watch, (err, stat) => (err ? reject(err) : resolve(Boolean(stat))));
  });
}

export class GroupWatcher {
  private reading = false;
  private again = false;
  /** When the first notification of the pending change arrived: what a switch is measured from. */
  private triggeredAt: Date | undefined;
  private stopped = false;
  // One stable function: the client keeps a watcher once per path, however often it is set.
  private readonly watch = (): void => this.refresh();
  private readonly onConnected = (): void => this.refresh();
  private readonly onDisconnected = (): void => {
    this.triggeredAt = undefined;
    this.listener('disconnected', new Date());
  };

  constructor(
    private readonly session: ZkSession,
    readonly path: string,
    private readonly listener: GroupListener,
  ) {}

  start(): void {
    this.session.on('connected', this.onConnected);
    this.session.on('disconnected', this.onDisconnected);
    if (this.session.connected) this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.session.off('connected', this.onConnected);
    this.session.off('disconnected', this.onDisconnected);
  }

  /** Reads the whole group again (coalesced with a read in flight). */
  refresh(): void {
    if (this.stopped) return;
    this.triggeredAt ??= new Date();
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    this.read()
      .catch(() => {
        // Connection loss mid-read: the session's connected event triggers the next read.
      })
      .finally(() => {
        this.reading = false;
        if (this.again && !this.stopped) {
          this.again = false;
          this.refresh();
        }
      });
  }

  private async read(): Promise<void> {
    const client = this.session.current;
    if (!client || !this.session.connected) return;
    const children = await getChildren(client, this.path, this.watch);
    if (children === undefined) {
      // The path appears when the first broker starts; wait for it.
      if (await exists(client, this.path, this.watch)) return this.read();
      if (!this.stopped && !this.again) this.emit([]);
      return;
    }
    const members = await Promise.all(children.map(async (node) => ({ node, data: await getData(client, `${this.path}/${node}`, this.watch) })));
    // A child that vanished between the two reads is simply not a member any more.
    const present = members.filter((m) => m.data !== undefined) as RawMember[];
    if (!this.stopped && !this.again) this.emit(present);
  }

  private emit(members: RawMember[]): void {
    const at = this.triggeredAt ?? new Date();
    this.triggeredAt = undefined;
    this.listener(members, at);
  }
}
