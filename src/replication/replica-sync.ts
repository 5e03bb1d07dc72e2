// Whether every slave holds what the master holds, decided without I/O.
//
// A slave that attaches downloads the master's last index snapshot and the
// log after it, and 5.16's replicated LevelDB then saves that snapshot under
// the log's end position. Until the slave replays one more write, nothing
// replaces that mislabelled snapshot; promoted in that state, it starts from
// the snapshot and skips every record between the two positions (an idle
// cluster rolled slaves first, master last, lost 500 of 500 messages this
// way). So a slave counts as in sync only once it has acknowledged a write
// made after it attached: a checkpoint. Members are ZooKeeper member ids,
// which change whenever a broker rejoins; a new master means every slave
// attached anew.

export interface GroupFacts {
  /** The elected master's member id. */
  master: string;
  /** Every other member of the brokerName's group. */
  slaves: { memberId: string; pod?: string }[];
  /** replicas - 1. */
  expectedSlaves: number;
}

export interface SyncState {
  /** The master the coverage below was earned under. */
  master?: string;
  /** Slaves that acknowledged a checkpoint written after they attached. */
  covered: Set<string>;
  /** Members of pods the operator restarted; in sync again only once they left the group. */
  retired: Set<string>;
  /** The last checkpoint: the master's position after it, and who was a slave then. */
  pending?: { position: number; members: string[]; at: number };
  /** When the last checkpoint acknowledged by every slave was (ms since epoch). */
  confirmedAt?: number;
  /** Coverage is to be proved again with a new checkpoint (before the master restarts). */
  recheck?: boolean;
}

export type SyncReason =
  | 'InSync'
  | 'NoMaster'
  | 'SlavesMissing'
  | 'Restarting'
  | 'SlaveAttaching'
  | 'CheckpointPending'
  | 'ConsoleUnreachable'
  | 'ConsoleRefused'
  | 'ConsoleAddressUntrusted'
  | 'NoCredentials';

export interface SyncVerdict {
  inSync: boolean;
  reason: SyncReason;
  message: string;
  /** Look again this soon: nothing in ZooKeeper will say when it changes. */
  retryInMs?: number;
  /** In sync: when every slave last acknowledged a checkpoint (ms since epoch). */
  confirmedAt?: number;
  /** Member ids of the slaves that acknowledged a checkpoint under the current master. */
  covered?: string[];
}

/** A checkpoint not acknowledged by then is written again. */
export const CHECKPOINT_ACK_MS = 10_000;
const ATTACH_RETRY_MS = 2_000;
const ACK_RETRY_MS = 500;

export function newSyncState(): SyncState {
  return { covered: new Set(), retired: new Set() };
}

function podsOf(facts: GroupFacts, ids: Iterable<string>): string {
  const want = new Set(ids);
  return facts.slaves
    .filter((s) => want.has(s.memberId))
    .map((s) => s.pod ?? `member ${s.memberId}`)
    .join(', ');
}

function settled(state: SyncState, facts: GroupFacts): SyncVerdict {
  const n = facts.slaves.length;
  if (n < facts.expectedSlaves) {
    return { inSync: false, reason: 'SlavesMissing', message: `${n} of ${facts.expectedSlaves} slaves are in the ZooKeeper group` };
  }
  const verdict: SyncVerdict = {
    inSync: true,
    reason: 'InSync',
    message: `${n} of ${facts.expectedSlaves} slaves acknowledged a write made after they attached`,
  };
  if (state.confirmedAt !== undefined) verdict.confirmedAt = state.confirmedAt;
  return verdict;
}

/** From ZooKeeper alone: a verdict, or 'ask' when the master's own view is needed. */
export function judgeGroup(state: SyncState, facts: GroupFacts): SyncVerdict | 'ask' {
  if (state.master !== facts.master) {
    state.master = facts.master;
    state.covered.clear();
    state.pending = undefined;
  }
  const present = new Set([facts.master, ...facts.slaves.map((s) => s.memberId)]);
  for (const id of state.retired) if (!present.has(id)) state.retired.delete(id);
  if (state.retired.size > 0) {
    const who = state.retired.has(facts.master) ? 'the master' : podsOf(facts, state.retired);
    return { inSync: false, reason: 'Restarting', message: `${who} was restarted and has not left the ZooKeeper group yet` };
  }
  for (const id of state.covered) if (!present.has(id)) state.covered.delete(id);
  if (state.recheck) {
    // Proved again from scratch: a slave covered long ago may have stopped following since.
    state.recheck = false;
    state.covered.clear();
    state.pending = undefined;
  }
  if (facts.slaves.every((s) => state.covered.has(s.memberId))) return settled(state, facts);
  return 'ask';
}

export type ViewStep = { verdict: SyncVerdict } | { write: true };

/** With the master's view of its slaves: covers what a checkpoint proved, or asks for one. */
export function judgeView(state: SyncState, facts: GroupFacts, view: { slaves: { attached: boolean; position: number }[] }, now: number): ViewStep {
  const attached = view.slaves.filter((s) => s.attached);
  if (attached.length < facts.slaves.length) {
    const uncovered = facts.slaves.filter((s) => !state.covered.has(s.memberId)).map((s) => s.memberId);
    return {
      verdict: {
        inSync: false,
        reason: 'SlaveAttaching',
        message: `${attached.length} of ${facts.slaves.length} slaves are attached to the master (waiting for ${podsOf(facts, uncovered)})`,
        retryInMs: ATTACH_RETRY_MS,
      },
    };
  }
  const p = state.pending;
  if (p && attached.every((s) => s.position >= p.position)) {
    for (const id of p.members) state.covered.add(id);
    state.pending = undefined;
    if (facts.slaves.every((s) => state.covered.has(s.memberId))) {
      state.confirmedAt = now;
      return { verdict: settled(state, facts) };
    }
    return { write: true };
  }
  if (p && now - p.at < CHECKPOINT_ACK_MS) {
    return {
      verdict: {
        inSync: false,
        reason: 'CheckpointPending',
        message: `waiting for the slaves to acknowledge the checkpoint at log position ${p.position}`,
        retryInMs: ACK_RETRY_MS,
      },
    };
  }
  return { write: true };
}

/** Records a checkpoint written at the master; `position` is the master's position after it. */
export function checkpointWritten(state: SyncState, facts: GroupFacts, position: number, now: number): void {
  state.pending = { position, members: facts.slaves.map((s) => s.memberId), at: now };
}
