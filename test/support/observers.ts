// Independent observers for failover tests: what ZooKeeper says (read by the
// test itself) and what the master Service selects (through a watch), each
// with the time it was seen, so the two histories can be compared.
import { Watch, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import { createClient, type Client } from 'node-zookeeper-client';
import { decodeGroup } from '../../src/zk/members';

export interface Sample {
  at: number;
  /** Elected master's container (ZooKeeper) or the selected node label (Service); undefined for none. */
  value: string | undefined;
}

/** Records every change of elected master under path, as the test reads it from ZooKeeper. */
export class ZkObserver {
  readonly history: Sample[] = [];
  private readonly client: Client;
  private stopped = false;
  private generation = 0;
  private lastGroup: { node: string; data: Buffer | undefined }[] = [];
  // One stable watcher: the client keeps a function once per path, however often it is set.
  private readonly watch = (): void => this.read();

  constructor(
    connectString: string,
    private readonly path: string,
    private readonly brokerName: string,
  ) {
    this.client = createClient(connectString, { sessionTimeout: 10_000, spinDelay: 100 });
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      this.client.once('connected', () => {
        this.read();
        resolve();
      });
      this.client.on('connected', () => this.read());
      this.client.connect();
    });
  }

  get current(): string | undefined {
    return this.history[this.history.length - 1]?.value;
  }

  /** The group as this observer last read it: one line per member. */
  describeGroup(): string {
    const raws = this.lastGroup;
    if (raws.length === 0) return `ZooKeeper group ${this.path}: no members`;
    const rows = raws.map((r) => `  ${r.node} ${r.data?.toString() ?? '(no data)'}`);
    return [`ZooKeeper group ${this.path}: ${raws.length} member(s)`, ...rows].join('\n');
  }

  private record(value: string | undefined): void {
    if (this.history.length === 0 || this.current !== value) this.history.push({ at: Date.now(), value });
  }

  private read(): void {
    if (this.stopped) return;
    const watch = this.watch;
    // Reads overlap when watches fire quickly; only the latest may record.
    const gen = ++this.generation;
    this.client.getChildren(this.path, watch, (err, children) => {
      if (err) {
        this.client.exists(this.path, watch, () => undefined);
        return;
      }
      let left = children.length;
      const raws: { node: string; data: Buffer | undefined }[] = [];
      if (left === 0 && gen === this.generation) {
        this.lastGroup = [];
        this.record(undefined);
      }
      for (const node of children) {
        this.client.getData(`${this.path}/${node}`, watch, (e, data) => {
          if (!e) raws.push({ node, data });
          if (--left === 0 && gen === this.generation) {
            this.lastGroup = [...raws].sort((a, b) => a.node.localeCompare(b.node));
            this.record(decodeGroup(raws, this.brokerName).master?.container ?? undefined);
          }
        });
      }
    });
  }

  stop(): void {
    this.stopped = true;
    this.client.close();
  }
}

/** Records every selector of the master Service, as a client watching it sees them. */
export class ServiceObserver {
  readonly history: Sample[] = [];
  private abort: AbortController | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  async start(): Promise<void> {
    const w = new Watch(this.config);
    this.abort = await w.watch(
      `/api/v1/namespaces/${this.namespace}/services`,
      { fieldSelector: `metadata.name=${this.name}` },
      (phase: string, svc: V1Service) => {
        if (phase === 'ERROR' || phase === 'BOOKMARK') return;
        const node = svc.spec?.selector?.['amqkeeper.io/node'];
        const value = node === undefined || node === 'none' ? undefined : node;
        const last = this.history[this.history.length - 1];
        if (!last || last.value !== value) this.history.push({ at: Date.now(), value });
      },
      // Watched again when the API server ends the watch (a restart): a watch
      // without a resourceVersion begins with the Service as it is now.
      () => {
        if (!this.stopped) this.retry = setTimeout(() => void this.start(), 500);
      },
    );
  }

  get current(): string | undefined {
    return this.history[this.history.length - 1]?.value;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.abort?.abort();
  }
}

/** How far apart two independent watchers may see the same ZooKeeper change. */
export const OBSERVER_SLACK_MS = 500;

/**
 * Every pod the Service selected must have been reported elected by ZooKeeper
 * before the Service selected it, and the Service may never select a pod after
 * ZooKeeper reported another master (or none) for longer than the switch takes.
 */
export function checkServiceFollowedZk(zk: Sample[], svc: Sample[], podOfNode: (node: string) => string, graceMs: number): string[] {
  const problems: string[] = [];
  // The test's own ZooKeeper watch and the operator's see a change at slightly
  // different moments (each reads the whole group after the notification).
  const slackMs = OBSERVER_SLACK_MS;
  const zkAt = (t: number) => [...zk].reverse().find((s) => s.at <= t)?.value;
  for (let i = 0; i < svc.length; i++) {
    const s = svc[i]!;
    if (s.value === undefined) continue;
    const pod = podOfNode(s.value);
    const electedBefore = zk.some((z) => z.value === pod && z.at <= s.at + slackMs);
    if (!electedBefore) problems.push(`Service selected ${pod} at ${s.at} before ZooKeeper elected it`);
    const until = svc[i + 1]?.at ?? Date.now();
    // Whenever ZooKeeper changed away from this pod, the Service must follow within the grace period.
    for (const z of zk) {
      if (z.at > s.at && z.at < until && z.value !== pod && until - z.at > graceMs) {
        problems.push(`Service kept ${pod} for ${until - z.at} ms after ZooKeeper reported ${z.value ?? 'no master'}`);
      }
    }
    const elected = zkAt(s.at + slackMs);
    if (elected !== pod && !electedBefore) problems.push(`at ${s.at} ZooKeeper reported ${elected ?? 'no master'}, Service selected ${pod}`);
  }
  return problems;
}
