// The whole status of a cluster as a pure function of what was observed.
import type { V1Pod } from '@kubernetes/client-node';
import type { BrokerCluster, BrokerClusterStatus, Member } from '../api/types';
import { brokerNodes, clusterName, isZkManaged, quorum, zkConnectString, zkPath } from '../api/cluster';
import { names } from '../metadata/names';
import type { SpecCheck } from '../api/spec-checks';
import type { ElectionSnapshot } from '../model/election';
import { failoverUrl, masterUrl } from '../resources/connection-url';
import { brokersReady } from './brokers-ready';
import { ConditionType, nextCondition } from './conditions';
import { masterElected } from './master-elected';
import { nodeLost } from './node-lost';
import { masterTransition, type TransitionEvent } from './master-transition';
import { phaseOf } from './phase';
import { countReady } from './pods';
import { ready } from './ready';
import { RECONCILED, reconcilePaused } from './reconciled';
import { replicasInSync } from './replicas-in-sync';
import type { SyncVerdict } from '../replication/replica-sync';
import { warning } from './warning';
import { zookeeperReady } from './zookeeper-ready';

export interface StatusInput {
  cluster: BrokerCluster;
  zkPods: readonly (V1Pod | undefined)[];
  brokerPods: readonly (V1Pod | undefined)[];
  /** Nodes beyond spec.replicas whose pods still run (a scale-down under way). */
  leaving?: readonly number[];
  check: SpecCheck;
  /** amqkeeper.io/pause-reconcile is "true". */
  paused?: boolean;
  election?: ElectionSnapshot;
  /** Whether the slaves are in sync with the master; undefined while unknown. */
  replication?: SyncVerdict;
  /** The smallest storage request among the broker claims; undefined while there are none. */
  claimSize?: string;
  /** Pods on lost nodes, and what is done about each. */
  lostPods?: NonNullable<BrokerClusterStatus['lostPods']>;
  now: Date;
}

export interface ComputedStatus {
  status: BrokerClusterStatus;
  /** Events of a change of master, to record once the status is written. */
  events: TransitionEvent[];
}

/** The slaves marked in sync or not, once the master was checked. */
function withSync(members: readonly Member[], v: SyncVerdict | undefined): Member[] {
  if (!v?.covered) return [...members];
  const covered = new Set(v.covered);
  return members.map((m) => (m.role === 'slave' ? { ...m, inSync: covered.has(m.memberId ?? '') } : m));
}

export function computeStatus(input: StatusInput): ComputedStatus {
  const { cluster: c, check, election, now } = input;
  const old = c.status ?? {};
  const blocked = check.blocking.length > 0;
  const replicas = c.spec.replicas;
  const readyBrokers = countReady(input.brokerPods);
  const zkCond = zookeeperReady({
    managed: isZkManaged(c),
    replicas: c.spec.zookeeper.replicas ?? 0,
    readyPods: countReady(input.zkPods),
    connected: election?.connected,
    connectString: zkConnectString(c),
  });
  const leaving = input.leaving ?? [];
  const brokersCond = brokersReady(
    readyBrokers,
    replicas,
    leaving.map((i) => names.brokerPod(clusterName(c), i)),
  );
  const masterCond = masterElected({
    known: election?.known ?? false,
    master: election?.master?.pod,
    members: election?.members.length ?? 0,
    quorum: quorum(replicas),
    problem: election?.problem,
  });
  const problems = [...check.blocking, ...check.warnings];
  if (election?.problem) problems.push({ reason: 'ZooKeeperGroup', field: 'zookeeper', message: election.problem });
  const warnCond = warning(problems);
  const readyCond = ready(blocked, { ZooKeeperReady: zkCond, BrokersReady: brokersCond, MasterElected: masterCond });
  const gen = c.metadata.generation;
  const conditions = [
    nextCondition(ConditionType.Ready, readyCond, old.conditions, gen, now),
    nextCondition(ConditionType.ZooKeeperReady, zkCond, old.conditions, gen, now),
    nextCondition(ConditionType.BrokersReady, brokersCond, old.conditions, gen, now),
    nextCondition(ConditionType.MasterElected, masterCond, old.conditions, gen, now),
    nextCondition(ConditionType.ReplicasInSync, replicasInSync(input.replication), old.conditions, gen, now),
    nextCondition(ConditionType.Warning, warnCond, old.conditions, gen, now),
    nextCondition(ConditionType.Reconciled, RECONCILED, old.conditions, gen, now),
  ];
  // Shown from the first pause on: False once resumed.
  if (input.paused || old.conditions?.some((x) => x.type === ConditionType.ReconcilePaused)) {
    conditions.push(nextCondition(ConditionType.ReconcilePaused, reconcilePaused(input.paused ?? false), old.conditions, gen, now));
  }
  // Shown from the first lost node on: False once none is left.
  const lost = input.lostPods ?? [];
  if (lost.length > 0 || old.conditions?.some((x) => x.type === ConditionType.NodeLost)) {
    conditions.push(nextCondition(ConditionType.NodeLost, nodeLost(lost), old.conditions, gen, now));
  }
  const podsExisting = [...input.zkPods, ...input.brokerPods].filter((p) => p !== undefined).length;
  // While ZooKeeper cannot be read the last known master stands: the operator changes nothing.
  const transition = masterTransition(old, election, now);
  const master = transition.fields.master;
  const { master: _m, masterSince: _s, previousMaster: _p, masterLostAt: _l, lastFailover: _f, claimSize: _c, lostPods: _lp, ...rest } = old;
  const status: BrokerClusterStatus = {
    ...rest,
    ...transition.fields,
    observedGeneration: gen,
    phase: phaseOf({
      blocked,
      podsExisting,
      brokersReady: brokersCond.status === 'True',
      zookeeperReady: zkCond.status !== 'False',
      master,
    }),
    replicas,
    readyReplicas: readyBrokers,
    ready: `${readyBrokers}/${replicas}`,
    zkPath: zkPath(c),
    zkConnectString: zkConnectString(c),
    failoverUrl: failoverUrl(c, undefined, brokerNodes(c, leaving)),
    masterUrl: masterUrl(c),
    conditions,
  };
  if (election?.known && election.connected) status.members = withSync(election.members, input.replication);
  if (input.claimSize) status.claimSize = input.claimSize;
  if (lost.length > 0) status.lostPods = lost;
  return { status, events: transition.events };
}
