// What a change of master means for the status and which Events it raises,
// decided from the persisted status and the latest ZooKeeper snapshot alone,
// so that an operator restart never invents a failover.
import type { BrokerClusterStatus } from '../api/types';
import type { ElectionSnapshot } from '../model/election';

export interface TransitionEvent {
  type: 'Normal' | 'Warning';
  reason: 'MasterElected' | 'MasterLost';
  note: string;
}

export type MasterFields = Pick<BrokerClusterStatus, 'master' | 'masterSince' | 'previousMaster' | 'masterLostAt' | 'failovers' | 'lastFailover'>;

export interface Transition {
  fields: MasterFields;
  events: TransitionEvent[];
}

function pick(s: BrokerClusterStatus): MasterFields {
  const f: MasterFields = { failovers: s.failovers ?? 0 };
  if (s.master) f.master = s.master;
  if (s.masterSince) f.masterSince = s.masterSince;
  if (s.previousMaster) f.previousMaster = s.previousMaster;
  if (s.masterLostAt) f.masterLostAt = s.masterLostAt;
  if (s.lastFailover) f.lastFailover = s.lastFailover;
  return f;
}

export function masterTransition(old: BrokerClusterStatus, snap: ElectionSnapshot | undefined, now: Date): Transition {
  const fields = pick(old);
  // Unknown or unreachable: the last known state stands, nothing is decided.
  if (!snap?.known || !snap.connected) return { fields, events: [] };
  const from = old.master;
  const to = snap.master?.pod;
  if (from === to) return { fields, events: [] };
  const at = snap.at ?? now;
  const events: TransitionEvent[] = [];
  const next: MasterFields = { failovers: fields.failovers ?? 0 };
  if (fields.lastFailover) next.lastFailover = fields.lastFailover;
  if (from) {
    events.push({ type: 'Warning', reason: 'MasterLost', note: `master ${from} is no longer elected in ZooKeeper` });
  }
  if (!to) {
    next.previousMaster = from;
    next.masterLostAt = at.toISOString();
    return { fields: next, events };
  }
  const previous = from ?? old.previousMaster;
  const lostAt = from ? at : old.masterLostAt ? new Date(old.masterLostAt) : undefined;
  const durationMs = lostAt ? Math.max(0, at.getTime() - lostAt.getTime()) : 0;
  next.master = to;
  next.masterSince = at.toISOString();
  if (previous) next.previousMaster = previous;
  if (previous && previous !== to) {
    next.failovers = (next.failovers ?? 0) + 1;
    next.lastFailover = { from: previous, to, at: at.toISOString(), durationMs };
  }
  const note = previous ? `${to} elected master (previous master ${previous}; no master for ${durationMs} ms)` : `${to} elected master`;
  events.push({ type: 'Normal', reason: 'MasterElected', note });
  return { fields: next, events };
}
