// Problems with a spec that the API server accepted: some only deserve a
// Warning, others (blocking) mean the operator must not apply it.
import type { BrokerCluster } from './types';
import { isZkManaged } from './cluster';
import type { Problem } from '../model/problem';

/** Why a broker claim smaller than spec.persistence.size cannot be expanded to it. */
export type GrowthObstacle = 'NotBound' | 'NoStorageClass' | 'StorageClassNotFound' | 'ExpansionNotAllowed';

/** A live broker claim that requests less than spec.persistence.size. */
export interface ClaimGrowth {
  claim: string;
  /** Its storage request now. */
  size: string;
  /** Its class as the API server's resize check sees it; undefined when it has none. */
  storageClass?: string;
  /** undefined when the claim can be expanded. */
  obstacle?: GrowthObstacle;
}

export interface SpecFacts {
  /** undefined when no storageClassName is set or it was not looked up. */
  storageClassExists?: boolean;
  /** The smallest storage request among the live broker claims; undefined while there are none. */
  claimSize?: string;
  /** The live broker claims smaller than spec.persistence.size; undefined when there are none. */
  claimGrowth?: ClaimGrowth[];
}

export interface SpecCheck {
  blocking: Problem[];
  warnings: Problem[];
}

export function checkSpec(c: BrokerCluster, facts: SpecFacts): SpecCheck {
  const blocking: Problem[] = [];
  const warnings: Problem[] = [];
  const s = c.spec;
  if (facts.storageClassExists === false) {
    blocking.push({
      reason: 'StorageClassNotFound',
      field: 'spec.persistence.storageClassName',
      message: `StorageClass "${s.persistence.storageClassName ?? ''}" does not exist; create it or pick one from kubectl get storageclass`,
    });
  }
  const growth = claimGrowthProblem(c, facts);
  if (growth) blocking.push(growth);
  if (s.replicas === 1) {
    warnings.push({ reason: 'NoReplication', field: 'spec.replicas', message: '1 node: nothing is replicated and there is no failover; use 3' });
  } else if (s.replicas === 2) {
    warnings.push({
      reason: 'NoFaultTolerance',
      field: 'spec.replicas',
      message: '2 nodes: the quorum is 2, so losing either node stops the cluster; use 3',
    });
  } else if (s.replicas % 2 === 0) {
    warnings.push({
      reason: 'EvenReplicas',
      field: 'spec.replicas',
      message: `${s.replicas} nodes tolerate no more failures than ${s.replicas - 1}; use an odd number`,
    });
  }
  const zk = s.zookeeper.replicas;
  if (isZkManaged(c) && zk !== undefined && zk % 2 === 0) {
    warnings.push({
      reason: 'EvenZooKeeperReplicas',
      field: 'spec.zookeeper.replicas',
      message: `${zk} ZooKeeper nodes tolerate no more failures than ${zk - 1}; use an odd number`,
    });
  }
  if (s.broker.schedulerSupport) {
    warnings.push({
      reason: 'SchedulerNotReplicated',
      field: 'spec.broker.schedulerSupport',
      message:
        'scheduled and delayed messages' +
        (s.broker.redelivery ? ', and messages waiting for a broker redelivery,' : '') +
        ' are kept only in the scheduler store of the node that is master, which replicated LevelDB does not ' +
        'replicate: after a failover the new master does not deliver them',
    });
  }
  const sync = s.persistence.sync.split(',');
  if (!sync.some((x) => x.startsWith('remote_') || x.startsWith('quorum_'))) {
    warnings.push({
      reason: 'AcksWithoutReplica',
      field: 'spec.persistence.sync',
      message: `${s.persistence.sync}: the master acknowledges a write before any slave has it, so messages acknowledged just before a failover can be lost; use quorum_mem (the default) or quorum_disk`,
    });
  }
  const stacked = clientRedeliveryStacks(c);
  if (stacked) warnings.push(stacked);
  blocking.push(...badSelectorKeys(c));
  return { blocking, warnings };
}

/** The broker claims that may be expanded to spec.persistence.size now: those smaller with nothing in the way. */
export function expandableClaims(facts: SpecFacts): ReadonlySet<string> {
  return new Set((facts.claimGrowth ?? []).filter((g) => !g.obstacle).map((g) => g.claim));
}

const GROWTH_OBSTACLES: Record<GrowthObstacle, { why: (sc: string) => string; fix: string }> = {
  ExpansionNotAllowed: {
    why: (sc) => `StorageClass ${sc} does not allow volume expansion (allowVolumeExpansion is not true)`,
    fix: 'or allow expansion on the class',
  },
  StorageClassNotFound: { why: (sc) => `StorageClass ${sc} does not exist`, fix: 'or create the class with allowVolumeExpansion: true' },
  NoStorageClass: { why: () => 'the claims have no StorageClass, and Kubernetes expands only claims of a class that allows it', fix: '' },
  NotBound: { why: () => 'the claims are not bound to a volume yet, and Kubernetes expands only bound claims', fix: 'or wait until they are bound' },
};

/**
 * A larger size that some broker claim cannot follow. Blocking: the store
 * limits rendered from the size would outgrow the disks. The claims named are
 * those held back by the first obstacle found.
 */
function claimGrowthProblem(c: BrokerCluster, facts: SpecFacts): Problem | undefined {
  const stuck = (facts.claimGrowth ?? []).filter((g) => g.obstacle);
  const first = stuck[0];
  if (!first?.obstacle) return undefined;
  const same = stuck.filter((g) => g.obstacle === first.obstacle && g.storageClass === first.storageClass);
  const { why, fix } = GROWTH_OBSTACLES[first.obstacle];
  const back = facts.claimSize ?? first.size;
  return {
    reason: 'VolumeExpansionNotAllowed',
    field: 'spec.persistence.size',
    message:
      `${why(first.storageClass ?? '')}, so ${same.map((g) => g.claim).join(', ')} cannot grow from ${first.size} to ` +
      `${c.spec.persistence.size}; set spec.persistence.size back to ${back}${fix ? ` ${fix}` : ''}`,
  };
}

/** org.apache.activemq.RedeliveryPolicy's default maximumRedeliveries, on the client and in the broker. */
export const ACTIVEMQ_DEFAULT_MAXIMUM_REDELIVERIES = 6;

/**
 * How many times a consumer that rolls back every delivery receives one
 * message before it reaches the dead-letter queue, with client-side maximum
 * c and broker-side maximum b (both >= 0). The client redelivers until the
 * message's redelivery counter exceeds c, then gives it up; the broker's
 * redelivery k (1..b) arrives with counter k, so the client redelivers it
 * again until c is exceeded, at least once:
 * (c+1) + sum over k=1..b of max(1, c+1-k). With c = 0 that is b+1.
 * Measured on ActiveMQ 5.16.8 by test/features.test.ts.
 */
export function poisonDeliveries(clientMax: number, brokerMax: number): number {
  let n = clientMax + 1;
  for (let k = 1; k <= brokerMax; k++) n += Math.max(1, clientMax + 1 - k);
  return n;
}

/** Broker-side redelivery whose count the client's own redelivery multiplies. */
function clientRedeliveryStacks(c: BrokerCluster): Problem | undefined {
  const r = c.spec.broker.redelivery;
  if (!r) return undefined;
  const set = c.spec.client.redeliveryPolicy?.maximumRedeliveries;
  const clientMax = set ?? ACTIVEMQ_DEFAULT_MAXIMUM_REDELIVERIES;
  if (clientMax === 0) return undefined;
  const field = 'spec.client.redeliveryPolicy.maximumRedeliveries';
  const is = set === undefined ? `unset (client default ${clientMax})` : `${clientMax}`;
  if (clientMax < 0) {
    return {
      reason: 'ClientRedeliveryStacks',
      field,
      message: `${is}: consumers redeliver a rolled-back message forever and never give it up, so spec.broker.redelivery never starts; set it to 0 to let spec.broker.redelivery decide`,
    };
  }
  // The default policy if there is one (an empty redelivery: {} renders ActiveMQ's), else the first listed.
  const first = r.defaultPolicy || !r.destinations?.length ? undefined : r.destinations[0];
  const brokerMax = (first ? first.policy : r.defaultPolicy)?.maximumRedeliveries ?? ACTIVEMQ_DEFAULT_MAXIMUM_REDELIVERIES;
  const which = first ? `the policy of ${first.queue !== undefined ? `queue ${first.queue}` : `topic ${first.topic ?? ''}`}` : 'the default policy';
  const example =
    brokerMax < 0
      ? 'without end'
      : `${poisonDeliveries(clientMax, brokerMax)} times, not ${brokerMax + 1}, with ${which} (${brokerMax} broker ${brokerMax === 1 ? 'redelivery' : 'redeliveries'})`;
  return {
    reason: 'ClientRedeliveryStacks',
    field,
    message:
      `${is}: consumers redeliver a rolled-back message themselves before giving it up to spec.broker.redelivery, ` +
      `and again after every broker redelivery, so a poison message is delivered ${example}; set it to 0 to let ` +
      'spec.broker.redelivery alone decide',
  };
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * matchLabels keys that are not label keys. The schema checks the values; a
 * CEL rule over map keys would cost more than the API server allows a CRD.
 * Blocking: the NetworkPolicy would be refused with a message about itself.
 */
function badSelectorKeys(c: BrokerCluster): Problem[] {
  const np = c.spec.networkPolicy;
  const problems: Problem[] = [];
  for (const list of ['clients', 'console', 'metrics'] as const) {
    np[list].forEach((peer, i) => {
      for (const sel of ['podSelector', 'namespaceSelector'] as const) {
        const field = `spec.networkPolicy.${list}[${i}].${sel}.matchLabels`;
        const bad = Object.keys(peer[sel]?.matchLabels ?? {}).filter((k) => !LABEL_KEY.test(k) || k.length > 317 || (k.split('/').pop() ?? '').length > 63);
        if (bad.length > 0)
          problems.push({
            reason: 'InvalidLabelSelector',
            field,
            message: `${bad.map((k) => `"${k}"`).join(', ')} is not a label key; use an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_" and ".", such as app.kubernetes.io/name`,
          });
      }
    });
  }
  return problems;
}
