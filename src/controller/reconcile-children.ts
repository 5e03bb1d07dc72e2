// Brings the owned objects of one cluster to the desired state: applies what
// differs, creates missing claims and pods, keeps pod labels current, and
// restarts at most one outdated pod per reconcile in the roller's order.
import type { KubernetesObject, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { DesiredState } from '../resources/desired-state';
import { ANNOTATION_REVISION, LABEL_ROLE } from '../metadata/labels';
import type { Applier } from '../kube/apply';
import type { Informers } from '../kube/informers';
import { isPodReady } from '../status/pods';
import { nextRestart, type RollDecision, type RollGate } from './roller';

export interface ChildrenResult {
  /** Writes made (applies, creates, label patches, deletes). */
  writes: number;
  roll: RollDecision;
}

function sameOwners(a: V1PersistentVolumeClaim, b: KubernetesObject): boolean {
  const uids = (o: KubernetesObject) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid).sort().join(',');
  return uids(a) === uids(b);
}

export class ChildReconciler {
  constructor(
    private readonly applier: Applier,
    private readonly cache: Informers,
  ) {}

  private live<T extends KubernetesObject>(o: KubernetesObject): T | undefined {
    return this.cache.get<T>(o.kind ?? '', o.metadata?.namespace ?? '', o.metadata?.name ?? '');
  }

  /** The master Service alone: applied first and on its own so a switch is never delayed. */
  async applyOne(obj: KubernetesObject): Promise<boolean> {
    return this.applier.apply(obj, this.live(obj));
  }

  /** gate: whether a serving broker may be taken down now (ZooKeeper pods roll on readiness alone). */
  async reconcile(desired: DesiredState, master: string | undefined, gate?: RollGate): Promise<ChildrenResult> {
    let writes = 0;
    for (const obj of desired.applied) if (await this.applier.apply(obj, this.live(obj))) writes++;
    for (const claim of desired.claims) writes += await this.reconcileClaim(claim);
    for (const pod of [...desired.zkPods, ...desired.brokerPods]) writes += await this.reconcilePod(pod);
    // ZooKeeper first: brokers restarted while the ensemble rolls would lose their sessions twice.
    let roll = await this.roll(desired.zkPods, undefined);
    if (roll.action === 'none') roll = await this.roll(desired.brokerPods, master, gate);
    if (roll.action === 'restart') writes++;
    return { writes, roll };
  }

  private async reconcileClaim(claim: V1PersistentVolumeClaim): Promise<number> {
    const live = this.live<V1PersistentVolumeClaim>(claim);
    if (!live) {
      await this.applier.apply(claim, undefined);
      return 1;
    }
    // A claim's spec is immutable; only who owns it (deleteClaim) may change.
    if (!sameOwners(claim, live)) {
      await this.applier.mergePatch({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claim.metadata?.name, namespace: claim.metadata?.namespace, ownerReferences: claim.metadata?.ownerReferences ?? [] },
      });
      return 1;
    }
    return 0;
  }

  private async reconcilePod(pod: V1Pod): Promise<number> {
    const live = this.live<V1Pod>(pod);
    if (!live) {
      await this.applier.apply(pod, undefined);
      return 1;
    }
    if (live.metadata?.deletionTimestamp) return 0;
    const want = pod.metadata?.labels ?? {};
    const have = live.metadata?.labels ?? {};
    const changed = Object.entries(want).some(([k, v]) => have[k] !== v) || (LABEL_ROLE in have && !(LABEL_ROLE in want));
    if (!changed) return 0;
    // Labels only: a merge patch, because a running pod's spec cannot be re-applied.
    const labels: Record<string, string | null> = { ...want };
    if (!(LABEL_ROLE in want)) labels[LABEL_ROLE] = null;
    await this.applier.mergePatch({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, labels: labels as Record<string, string> },
    });
    return 1;
  }

  private async roll(pods: V1Pod[], master: string | undefined, gate?: RollGate): Promise<RollDecision> {
    const views = pods.map((p) => {
      const live = this.live<V1Pod>(p);
      return {
        name: p.metadata?.name ?? '',
        ready: isPodReady(live),
        terminating: Boolean(live?.metadata?.deletionTimestamp),
        outdated: live !== undefined && live.metadata?.annotations?.[ANNOTATION_REVISION] !== p.metadata?.annotations?.[ANNOTATION_REVISION],
      };
    });
    const decision = nextRestart(views, master, gate);
    if (decision.action === 'restart') {
      const pod = pods.find((p) => p.metadata?.name === decision.pod);
      if (pod) await this.applier.delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace } });
    }
    return decision;
  }
}
