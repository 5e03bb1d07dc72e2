// Consecutive kill -9 of the master on a bridged cluster, as a machine would
// lose it: the killed broker comes back by itself (the BrokerSet restarts a
// crashed process, as the kubelet restarts a container), and whatever else
// it takes to elect a master is the operator's to do. Before each kill the
// cluster is whole again: three members, every slave in sync.
import assert from 'node:assert/strict';
import { nodeOf } from './broker-set';
import type { BridgedCluster } from './bridged-cluster';

export interface KillSample {
  killed: string;
  next: string;
  /** kill -9 -> ZooKeeper reports the new master (the test's own watch). */
  killToMasterMs: number;
  /** Stalled elections the operator healed after this kill. */
  healed: number;
}

export interface KillLoopOptions {
  count: number;
  /** Longest wait for a new master after one kill. */
  masterWithinMs?: number;
  /** Called just before each kill (e.g. to arm a fault). */
  beforeKill?: (n: number) => void;
  onSample?: (s: KillSample, n: number) => void;
  explain?: () => Promise<string>;
}

export async function killMasters(h: BridgedCluster, name: string, o: KillLoopOptions): Promise<KillSample[]> {
  const samples: KillSample[] = [];
  const whole = () =>
    h.kube.untilCluster(
      name,
      (bc) => {
        assert.equal(bc.status?.members?.length, 3, 'three members');
        assert.equal(bc.status?.conditions?.find((c) => c.type === 'ReplicasInSync')?.status, 'True', 'every slave in sync');
        assert.ok(bc.status?.master && h.zkObs.current === bc.status.master, 'a master ZooKeeper and the status agree on');
      },
      { timeoutMs: 180_000, intervalMs: 250, what: 'the cluster whole again', ...(o.explain ? { explain: o.explain } : {}) },
    );
  for (let n = 0; n < o.count; n++) {
    await whole();
    const before = await h.kube.cluster(name);
    const old = before.status?.master ?? '';
    o.beforeKill?.(n);
    const seen = h.zkObs.history.length;
    const t0 = Date.now();
    await h.brokers.crash(nodeOf(old));
    // A new election: another broker, or the killed one again once it is back
    // (it may hold the newest store), which a stalled election often ends with.
    const next = await h.kube.settledMaster(name, {
      timeoutMs: o.masterWithinMs ?? 120_000,
      intervalMs: 100,
      ...(o.explain ? { explain: o.explain } : {}),
      agrees: (pod, bc) => {
        assert.ok(pod !== old || bc.status?.masterSince !== before.status?.masterSince, `still ${old}, from before the kill`);
        assert.equal(h.zkObs.current, pod, 'ZooKeeper reports the same master');
      },
    });
    const at = h.zkObs.history.slice(seen).find((s) => s.value === next)?.at ?? Date.now();
    const healed = ((await h.kube.cluster(name)).status?.stalledElections ?? 0) - (before.status?.stalledElections ?? 0);
    const sample = { killed: old, next, killToMasterMs: at - t0, healed };
    samples.push(sample);
    o.onSample?.(sample, n);
  }
  await whole();
  return samples;
}
