// Leader election on a coordination.k8s.io/v1 Lease, so several operator pods
// can run and exactly one reconciles: the others wait, ready, to take over.
// Writes are optimistic (PUT with the resourceVersion read), so two candidates
// can never both win the same record.
import { performance } from 'node:perf_hooks';
import { statusCode, errorMessage } from '../kube/client';
import { pathOf } from '../kube/kinds';
import type { KubeRest } from '../kube/rest';
import type { Logger } from '../observability/logger';
import { metrics } from '../observability/metrics';
import { decide, recordOf, type Lease, type LeaderElectionSettings, type LeaseSpec, type Observation } from './lease-record';

export interface LeaderElectorOptions extends LeaderElectionSettings {
  rest: KubeRest;
  log: Logger;
  /** Called once when this process stops being the leader without release(). */
  onLost: (reason: string) => void;
}

const NOT_FOUND = 404;
const CONFLICT = 409;

/** Spreads candidates' retries so they do not hit the API server in step. */
const JITTER = 0.2;

export class LeaderElector {
  private seen: Observation | undefined;
  private leading = false;
  private stopped = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private lastHolder: string | undefined;

  constructor(private readonly o: LeaderElectorOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  private get path(): string {
    return pathOf('Lease', this.o.namespace, this.o.name);
  }

  /** Resolves true once this process holds the lease, false if stop() came first. */
  async acquire(): Promise<boolean> {
    this.o.log.info('waiting for leadership', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
    while (!this.stopped) {
      if (await this.attempt('acquire')) {
        this.leading = true;
        metrics.leader.set(1);
        this.o.log.info('became leader', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
        this.armDeadline();
        this.scheduleRenew();
        return true;
      }
      await this.pause(this.o.retryPeriodMs * (1 + Math.random() * JITTER));
    }
    return false;
  }

  /**
   * Stops campaigning. A leader deletes its Lease, so a waiting candidate takes
   * over at once (it creates a new one) and an uninstall leaves nothing behind.
   */
  async release(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    clearTimeout(this.renewTimer);
    clearTimeout(this.deadlineTimer);
    if (!this.leading) return;
    this.leading = false;
    metrics.leader.set(0);
    try {
      const lease = await this.o.rest.get<Lease>(this.path, undefined, this.o.renewDeadlineMs);
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      // Only the version this process wrote: never one another candidate wrote since.
      const preconditions = { resourceVersion: lease.metadata.resourceVersion };
      await this.o.rest.send('DELETE', this.path, { body: { preconditions }, timeoutMs: this.o.renewDeadlineMs });
      this.o.log.info('released leadership', { lease: `${this.o.namespace}/${this.o.name}` });
    } catch (err) {
      // The lease then expires after its duration instead.
      this.o.log.warn('could not release the lease', { error: errorMessage(err) });
    }
  }

  private scheduleRenew(): void {
    this.renewTimer = setTimeout(() => {
      void this.attempt('renew').then((ok) => {
        if (!this.leading) return;
        if (ok) this.armDeadline();
        else if (this.lastHolder !== undefined && this.lastHolder !== this.o.identity) return this.lose(`the lease is held by ${this.lastHolder}`);
        this.scheduleRenew();
      });
    }, this.o.retryPeriodMs);
  }

  /** Leadership ends when no renewal succeeded for renewDeadline, however requests hang. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.lose(`no renewal for ${this.o.renewDeadlineMs} ms`), this.o.renewDeadlineMs);
  }

  private lose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.stopped = true;
    clearTimeout(this.renewTimer);
    clearTimeout(this.deadlineTimer);
    metrics.leader.set(0);
    this.o.onLost(reason);
  }

  /** One read and, if the rules allow, one write. false: not the holder now. */
  private async attempt(what: 'acquire' | 'renew'): Promise<boolean> {
    const timeoutMs = this.o.renewDeadlineMs;
    try {
      let lease: Lease | undefined;
      try {
        lease = await this.o.rest.get<Lease>(this.path, undefined, timeoutMs);
      } catch (err) {
        if (statusCode(err) !== NOT_FOUND) throw err;
      }
      const now = performance.now();
      const record = recordOf(lease?.spec);
      if (this.seen?.record !== record) this.seen = { record, atMs: now };
      const d = decide(lease?.spec, this.seen, now, new Date(), this.o.identity, this.o);
      if (d.kind === 'wait') {
        if (d.holder !== this.lastHolder) this.o.log.info('lease held by another', { holder: d.holder, expiresInMs: Math.round(d.expiresInMs) });
        this.lastHolder = d.holder;
        return false;
      }
      const stored = lease
        ? await this.o.rest.write<Lease>('PUT', this.path, { body: { ...lease, spec: d.spec }, timeoutMs })
        : await this.o.rest.write<Lease>('POST', pathOf('Lease', this.o.namespace), { body: this.newLease(d.spec), timeoutMs });
      this.seen = { record: recordOf(stored.spec), atMs: performance.now() };
      this.lastHolder = this.o.identity;
      return true;
    } catch (err) {
      // Someone else wrote first: read again next time.
      if (statusCode(err) !== CONFLICT) this.o.log.warn(`could not ${what} the lease`, { error: errorMessage(err) });
      return false;
    }
  }

  private newLease(spec: LeaseSpec): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.o.name, namespace: this.o.namespace, labels: { 'app.kubernetes.io/name': 'amq-keeper' } },
      spec,
    };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
