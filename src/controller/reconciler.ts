// Reconcile of one BrokerCluster, level-based: observe, plan, act. It never
// sleeps; it says when to look again. A failure is left on the status and as
// an Event, and the work queue retries it with backoff.
import type { BrokerCluster } from '../api/types';
import { splitKey } from '../model/cluster-key';
import { errorMessage } from '../kube/client';
import { act, type ActDeps } from './act';
import { ClusterMemories, withWrittenStatus, type ClusterMemory } from './cluster-memory';
import { planFailure } from './failure';
import { cachedCluster, observe, type ObserveDeps } from './observe';
import { plan } from './plan';
import type { Outcome } from './work-queue';

export type ReconcilerDeps = ObserveDeps & ActDeps;

export class Reconciler {
  private readonly memories = new ClusterMemories();

  constructor(private readonly d: ReconcilerDeps) {}

  async reconcile(key: string): Promise<Outcome> {
    const cached = cachedCluster(this.d, key);
    // Owned objects go with it through garbage collection; claims stay unless deleteClaim.
    if (!cached || cached.metadata.deletionTimestamp) return this.forget(key, cached);
    const memory = this.memories.get(cached.metadata.uid ?? key);
    try {
      const observation = await observe(this.d, cached, memory);
      const p = plan(observation, memory);
      await act(this.d, observation, p, memory);
      return { requeueAfterMs: p.requeueAfterMs };
    } catch (err) {
      await this.reportFailure(cached, memory, errorMessage(err));
      throw err;
    }
  }

  /** Everything the operator holds about a cluster that is gone, in one place. */
  private forget(key: string, cached: BrokerCluster | undefined): Outcome {
    const { namespace, name } = splitKey(key);
    this.d.election.forget(namespace, name);
    const uid = cached?.metadata.uid;
    if (uid) {
      this.memories.forget(uid);
      this.d.replication?.forget(uid);
    }
    return {};
  }

  private async reportFailure(cached: BrokerCluster, memory: ClusterMemory, message: string): Promise<void> {
    const c = withWrittenStatus(cached, memory);
    const f = planFailure(c, memory, message, this.d.now());
    memory.failure = f.failure;
    try {
      await this.d.status.write(c, f.status);
    } catch (err) {
      this.d.log.warn('could not write the failed reconcile to the status', {
        namespace: c.metadata.namespace,
        cluster: c.metadata.name,
        error: errorMessage(err),
      });
    }
    if (f.event) await this.d.events.record(c, f.event.type, f.event.reason, f.event.action, f.event.note);
  }
}
