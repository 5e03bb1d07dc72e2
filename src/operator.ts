// One operator, assembled: the controller, master tracking and, if asked,
// leader election. src/main.ts runs it as a process; tests and benchmarks run
// the same assembly in their own process.
import { Controller } from './controller/controller';
import type { KubeClients } from './kube/client';
import { LeaderElector } from './leader/leader-elector';
import type { LeaderElectionSettings } from './leader/lease-record';
import type { Logger } from './observability/logger';
import { metrics } from './observability/metrics';
import { MasterTracking } from './zk/master-tracking';
import type { OperatorPeer } from './resources/network-policies';

export interface OperatorOptions {
  kube: KubeClients;
  log: Logger;
  /** undefined: every namespace. */
  namespaces?: readonly string[];
  concurrency?: number;
  /** Track the elected master in ZooKeeper; also what the replication checks of a roll need. */
  masterTracking: boolean;
  /** Where this operator's pods run, let in by the clusters' NetworkPolicies. */
  operator?: OperatorPeer;
  /** Hosts besides a master pod's own DNS name that may receive the console login. */
  consoleTrustedHosts?: readonly string[];
  /** Hold this Lease before reconciling; onLost is called when it is lost without release. */
  leaderElection?: LeaderElectionSettings & { onLost: (reason: string) => void };
}

export interface Operator {
  kube: KubeClients;
  controller: Controller;
  tracking?: MasterTracking;
  elector?: LeaderElector;
  /** Waits for the lease, if any, then starts the controller; false if the lease was given up while waiting. */
  start(): Promise<boolean>;
  stop(): Promise<void>;
}

export function buildOperator(o: OperatorOptions): Operator {
  let tracking: MasterTracking | undefined;
  const controller = new Controller({
    kube: o.kube,
    log: o.log,
    namespaces: o.namespaces,
    concurrency: o.concurrency,
    operator: o.operator,
    election: o.masterTracking ? (enqueue) => (tracking = new MasterTracking({ log: o.log, enqueue })) : undefined,
    consoleTrustedHosts: o.consoleTrustedHosts,
  });
  const le = o.leaderElection;
  const elector = le ? new LeaderElector({ ...le, rest: o.kube.rest, log: o.log }) : undefined;
  return {
    kube: o.kube,
    controller,
    tracking,
    elector,
    async start() {
      if (elector && !(await elector.acquire())) return false;
      if (!elector) metrics.leader.set(1);
      await controller.start();
      return true;
    },
    async stop() {
      tracking?.close();
      await controller.stop();
      await elector?.release();
    },
  };
}
