// Plays the kubelet for the broker processes: the pods are kwok's, the brokers
// are local processes, and this ties one to the other. When the operator
// deletes a broker pod, that node's broker is stopped cleanly (as a pod's
// SIGTERM would); when the pod is back (a new uid), the broker is started from
// the configuration the operator rendered at that moment.
import { Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { BrokerSet } from './broker-set';
import { nodeOf } from './broker-set';

export interface Restart {
  node: number;
  /** When the deletion was seen and the broker stopped. */
  stoppedAt: number;
  startedAt?: number;
  /** What the bridge's caller recorded at the moment of the deletion. */
  atDeletion: Record<string, unknown>;
}

export class PodBridge {
  readonly restarts: Restart[] = [];
  /** uid of the pod each running broker belongs to. */
  private readonly running = new Map<number, string>();
  private readonly chains = new Map<number, Promise<void>>();
  private abort: AbortController | undefined;
  private failure: unknown;

  constructor(
    private readonly config: KubeConfig,
    private readonly namespace: string,
    private readonly cluster: string,
    private readonly brokers: BrokerSet,
    /** Called when a deletion is seen, before the broker stops; its result is kept with the restart. */
    private readonly onDelete: (node: number) => Promise<Record<string, unknown>> = async () => ({}),
  ) {}

  /** Starts a broker for every pod that exists now, then follows the pods. */
  async start(): Promise<void> {
    const w = new Watch(this.config);
    this.abort = await w.watch(
      `/api/v1/namespaces/${this.namespace}/pods`,
      { labelSelector: `amqkeeper.io/cluster=${this.cluster},amqkeeper.io/component=broker` },
      (phase: string, pod: V1Pod) => this.seen(phase, pod),
      (err) => {
        if (err && (err as Error).name !== 'AbortError') this.failure = err;
      },
    );
  }

  /** Throws what went wrong in the background, if anything. */
  check(): void {
    if (this.failure) throw this.failure instanceof Error ? this.failure : new Error(String(this.failure));
  }

  private serial(node: number, step: () => Promise<void>): void {
    const next = (this.chains.get(node) ?? Promise.resolve()).then(step).catch((err: unknown) => {
      this.failure ??= err;
    });
    this.chains.set(node, next);
  }

  private seen(phase: string, pod: V1Pod): void {
    const name = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid ?? '';
    const node = nodeOf(name);
    const gone = phase === 'DELETED' || pod.metadata?.deletionTimestamp !== undefined;
    this.serial(node, async () => {
      const owner = this.running.get(node);
      if (gone) {
        if (owner !== uid) return;
        const atDeletion = await this.onDelete(node);
        this.running.delete(node);
        await this.brokers.stop(node);
        this.restarts.push({ node, stoppedAt: Date.now(), atDeletion });
        return;
      }
      if (owner !== undefined) return;
      await this.brokers.writeRenderedConfig();
      await this.brokers.start(node);
      this.running.set(node, uid);
      const r = this.restarts.filter((x) => x.node === node).pop();
      if (r && r.startedAt === undefined) r.startedAt = Date.now();
    });
  }

  /** How many brokers run for a live pod. */
  get runningCount(): number {
    return this.running.size;
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await Promise.all(this.chains.values());
  }
}
