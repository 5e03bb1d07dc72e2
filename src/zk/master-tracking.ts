// Master tracking: for every BrokerCluster, a GroupWatcher on its zkPath over
// the shared session of its ensemble. Each change becomes a snapshot and a
// reconcile of that cluster, which switches the master Service first.
import type { BrokerCluster } from '../api/types';
import { clusterName, clusterNamespace, zkConnectString, zkPath } from '../api/cluster';
import type { ElectionSnapshot, ElectionSource } from '../model/election';
import { keyOf } from '../model/cluster-key';
import type { Logger } from '../observability/logger';
import { brokerIndexOf } from '../metadata/names';
import { GroupWatcher } from './group-watcher';
import { decodeGroup, podOfMember, statusMembers } from './members';
import { SessionPool, type ZkSession } from './session';

interface Tracked {
  connectString: string;
  path: string;
  brokerName: string;
  session: ZkSession;
  watcher: GroupWatcher;
  snapshot?: ElectionSnapshot;
}

export interface MasterTrackingDeps {
  log: Logger;
  enqueue: (namespace: string, name: string) => void;
  pool?: SessionPool;
}

export class MasterTracking implements ElectionSource {
  private readonly tracked = new Map<string, Tracked>();
  readonly pool: SessionPool;

  constructor(private readonly d: MasterTrackingDeps) {
    this.pool = d.pool ?? new SessionPool(d.log);
  }

  observe(c: BrokerCluster): ElectionSnapshot | undefined {
    const ns = clusterNamespace(c);
    const name = clusterName(c);
    const key = keyOf(ns, name);
    const want = { connectString: zkConnectString(c), path: zkPath(c), brokerName: c.spec.brokerName };
    let t = this.tracked.get(key);
    if (t && (t.connectString !== want.connectString || t.path !== want.path || t.brokerName !== want.brokerName)) {
      this.forget(ns, name);
      t = undefined;
    }
    if (!t) {
      const session = this.pool.acquire(want.connectString);
      const isPod = (pod: string) => brokerIndexOf(name, pod) !== undefined;
      const entry: Tracked = { ...want, session, watcher: undefined as unknown as GroupWatcher };
      entry.watcher = new GroupWatcher(session, want.path, (raws, at) => {
        if (raws === 'disconnected') {
          entry.snapshot = { ...(entry.snapshot ?? { known: false, members: [] }), connected: false, at };
        } else {
          const view = decodeGroup(raws, want.brokerName);
          const pod = view.master ? podOfMember(view.master, isPod) : undefined;
          const index = pod === undefined ? undefined : brokerIndexOf(name, pod);
          const problems = [...view.problems];
          if (view.master && !pod) problems.push(`the elected member ${view.master.memberId} maps to no pod of this cluster`);
          entry.snapshot = { connected: true, known: true, members: statusMembers(view, isPod), at };
          if (pod !== undefined && index !== undefined) entry.snapshot.master = { pod, index };
          if (problems.length > 0) entry.snapshot.problem = problems.join('; ');
          const electedPod = view.elected ? podOfMember(view.elected, isPod) : undefined;
          const electedIndex = electedPod === undefined ? undefined : brokerIndexOf(name, electedPod);
          if (electedPod !== undefined && electedIndex !== undefined) entry.snapshot.elected = { pod: electedPod, index: electedIndex };
        }
        this.d.enqueue(ns, name);
      });
      this.tracked.set(key, entry);
      entry.watcher.start();
      t = entry;
    }
    if (!t.snapshot) return { connected: t.session.connected, known: false, members: [] };
    return t.snapshot;
  }

  forget(namespace: string, name: string): void {
    const key = keyOf(namespace, name);
    const t = this.tracked.get(key);
    if (!t) return;
    t.watcher.stop();
    this.pool.release(t.session);
    this.tracked.delete(key);
  }

  close(): void {
    for (const t of this.tracked.values()) t.watcher.stop();
    this.tracked.clear();
    this.pool.closeAll();
  }
}
