// A stalled election: a quorum of brokers is registered in ZooKeeper and none
// is master past electionStallTimeout. 5.16's replicated LevelDB can stay so
// until brokers restart: a slave whose stop never finishes (it keeps reaching
// for the dead master) never reports its position, and the elector waits for
// every position; an elected member whose store never starts never publishes
// its address. The operator restarts the broker that holds it up, one at a
// time, and looks again a stall timeout later. A master that is elected and
// published but never starts serving (no slave ever attaches to it, so its
// broker never finishes starting) is the same outage: it is restarted after
// twice the timeout, measured from its election. Decided from the status and
// the snapshot alone, so an operator restart neither repeats nor forgets it.
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import { durationMs, quorum } from '../api/cluster';
import type { ElectionSnapshot } from '../model/election';

export type ElectionStall = NonNullable<BrokerClusterStatus['electionStall']>;

/** electionStallTimeout, or 5 session timeouts and at least 15 s. */
export function stallTimeoutMs(c: BrokerCluster): number {
  const set = c.spec.zookeeper.electionStallTimeout;
  return set ? durationMs(set) : Math.max(15_000, 5 * durationMs(c.spec.zookeeper.sessionTimeout));
}

export interface HealingInput {
  cluster: BrokerCluster;
  election?: ElectionSnapshot;
  /** Every broker pod exists, runs and is not terminating: nothing is coming back by itself. */
  podsSettled: boolean;
  /** The elected master's pod is Ready (serves clients); undefined: not known, taken as serving. */
  masterServing?: boolean;
  now: Date;
}

export interface HealingStep {
  /** status.electionStall from now on (null: cleared); undefined: unchanged. */
  stall?: ElectionStall | null;
  /** status.stalledElections from now on. */
  stalledElections?: number;
  restart?: { pod: string; reason: string };
  events: { type: 'Normal' | 'Warning'; reason: 'ElectionStalled' | 'ElectionRecovered'; note: string }[];
}

/** Who holds the election up: a member with no position, else an elected member that never served, else the elector. */
function culprit(election: ElectionSnapshot): { pod: string; reason: string } | undefined {
  const members = election.members.filter((m) => m.pod);
  const silent = members.filter((m) => m.position === undefined || m.position < 0).sort((a, b) => (a.pod ?? '').localeCompare(b.pod ?? ''));
  if (election.elected) return { pod: election.elected.pod, reason: 'elected but never served' };
  if (silent[0]?.pod) return { pod: silent[0].pod, reason: 'never reported its store position' };
  const elector = members[0];
  return elector?.pod ? { pod: elector.pod, reason: 'the elector elected nobody' } : undefined;
}

export function planHealing(i: HealingInput): HealingStep {
  const c = i.cluster;
  const old = c.status?.electionStall;
  const e = i.election;
  // Nothing is known, or nothing to heal.
  if (!e?.known || !e.connected) return { events: [] };
  if (e.master && i.masterServing === false) return healStartingMaster(i, e.master.pod);
  if (e.master) {
    if (!old) return { events: [] };
    const took = i.now.getTime() - new Date(old.since ?? i.now).getTime();
    return {
      stall: null,
      events: [
        {
          type: 'Normal',
          reason: 'ElectionRecovered',
          note: `${e.master.pod} elected after a stalled election; no master for ${took} ms, ${old.restarts ?? 0} broker(s) restarted`,
        },
      ],
    };
  }
  // Fewer than a quorum registered is missing brokers, not a stall.
  if (e.members.length < quorum(c.spec.replicas)) return { events: [] };
  const since = old?.since ?? c.status?.masterLostAt ?? i.now.toISOString();
  const last = old?.lastRestartAt ?? since;
  const timeout = stallTimeoutMs(c);
  // Each restart gets a full timeout to work; a broker coming back by itself is waited for.
  if (i.now.getTime() - new Date(last).getTime() < timeout || !i.podsSettled) return { events: [] };
  const who = culprit(e);
  if (!who) return { events: [] };
  return restartStep(
    i,
    since,
    who,
    `no master for ${Math.round((i.now.getTime() - new Date(since).getTime()) / 1000)} s with ${e.members.length} brokers registered`,
  );
}

/** An elected master whose pod never became Ready: restarted after twice the stall timeout from its election. */
function healStartingMaster(i: HealingInput, master: string): HealingStep {
  const c = i.cluster;
  const old = c.status?.electionStall;
  const since = old?.since ?? c.status?.masterSince ?? i.now.toISOString();
  const last = old?.lastRestartAt ?? since;
  if (i.now.getTime() - new Date(last).getTime() < 2 * stallTimeoutMs(c) || !i.podsSettled) return { events: [] };
  const waited = Math.round((i.now.getTime() - new Date(since).getTime()) / 1000);
  return restartStep(i, since, { pod: master, reason: 'elected but never started serving' }, `${master} elected ${waited} s ago and not serving`);
}

/** The restart of `who`, recorded in the status; the Event only for the first restart of a stall. */
function restartStep(i: HealingInput, since: string, who: { pod: string; reason: string }, situation: string): HealingStep {
  const c = i.cluster;
  const old = c.status?.electionStall;
  const events: HealingStep['events'] = [];
  let stalledElections: number | undefined;
  if (!old) {
    stalledElections = (c.status?.stalledElections ?? 0) + 1;
    events.push({ type: 'Warning', reason: 'ElectionStalled', note: `${situation}; restarting ${who.pod} (${who.reason})` });
  }
  const stall: ElectionStall = { since, restarts: (old?.restarts ?? 0) + 1, lastRestart: who.pod, lastRestartAt: i.now.toISOString() };
  const step: HealingStep = { stall, restart: { pod: who.pod, reason: `stalled election: ${who.reason}` }, events };
  if (stalledElections !== undefined) step.stalledElections = stalledElections;
  return step;
}
