// What the operator remembers of a cluster between reconciles, in one record
// per cluster uid, so a deleted cluster is forgotten in one place. Everything
// else is read again on every reconcile.
import type { BrokerClusterStatus } from '../api/types';

export interface ClusterMemory {
  /** The last Warning recorded as an Event: the cache may not show our own status write yet. */
  warned?: string;
  /** The last change of master recorded as Events, for the same reason. */
  transition?: string;
  /** The status last written, and the resourceVersion it was computed from. */
  written?: { basedOn: string | undefined; status: BrokerClusterStatus };
  /** The last failed reconcile recorded as an Event, and when (ms since epoch). */
  failure?: { message: string; at: number };
}

export class ClusterMemories {
  private readonly byUid = new Map<string, ClusterMemory>();

  get(uid: string): ClusterMemory {
    const m = this.byUid.get(uid) ?? {};
    this.byUid.set(uid, m);
    return m;
  }

  forget(uid: string): void {
    this.byUid.delete(uid);
  }
}

/**
 * Until the watch brings our own status write back, the cache holds the
 * status before it; decisions (failovers, Events) build on what we wrote.
 */
export function withWrittenStatus<T extends { metadata: { resourceVersion?: string }; status?: BrokerClusterStatus }>(cached: T, memory: ClusterMemory): T {
  const mine = memory.written;
  return mine && mine.basedOn === cached.metadata.resourceVersion ? { ...cached, status: mine.status } : cached;
}
