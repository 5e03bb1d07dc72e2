// A small keyed work queue with the controller-runtime contract: a key is
// processed by one worker at a time, adds while it runs are coalesced into one
// more run, failures come back with exponential backoff, and a successful run
// may ask to come back after a delay.

export interface Outcome {
  /** Run this key again after this many milliseconds. */
  requeueAfterMs?: number;
}

export type Handler = (key: string) => Promise<Outcome>;
export type ErrorHandler = (key: string, err: unknown, retryInMs: number) => void;

export interface QueueOptions {
  concurrency?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class WorkQueue {
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: (() => void)[] = [];
  private active = 0;
  private stopped = false;
  private readonly concurrency: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly handler: Handler,
    private readonly onError: ErrorHandler,
    opts: QueueOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 2;
    this.baseBackoffMs = opts.baseBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
  }

  add(key: string): void {
    if (this.stopped) return;
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(key);
    this.pump();
  }

  /** Adds key after delayMs unless it is added sooner. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, t);
  }

  /** Number of keys queued or running. */
  get depth(): number {
    return this.pending.length + this.running.size;
  }

  /** Resolves when nothing is queued or running (delayed keys do not count). */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.length = 0;
    this.queued.clear();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency) {
      const idx = this.pending.findIndex((k) => !this.running.has(k));
      if (idx < 0) break;
      const [key] = this.pending.splice(idx, 1) as [string];
      this.queued.delete(key);
      this.running.add(key);
      this.active++;
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let retryIn: number | undefined;
    let after: number | undefined;
    try {
      const out = await this.handler(key);
      this.failures.delete(key);
      after = out.requeueAfterMs;
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      retryIn = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (n - 1));
      this.onError(key, err, retryIn);
    } finally {
      this.running.delete(key);
      this.active--;
    }
    if (this.dirty.delete(key)) this.add(key);
    else if (retryIn !== undefined) this.addAfter(key, retryIn);
    else if (after !== undefined) this.addAfter(key, after);
    this.pump();
    if (this.depth === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
