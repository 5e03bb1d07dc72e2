// What a change of spec.persistence.size needs to know of the broker claims
// that exist: their size, and, only for those smaller than the spec, whether
// the API server will let them grow. Its resize check admits a larger request
// only on a bound claim whose own class (not the default one) allows
// expansion, so that is what is looked at.
import type { V1PersistentVolumeClaim, V1StorageClass } from '@kubernetes/client-node';
import { clusterName, range } from '../api/cluster';
import { isLarger, quantityValue } from '../api/quantity';
import type { ClaimGrowth, SpecFacts } from '../api/spec-checks';
import type { BrokerCluster } from '../api/types';
import { names } from '../metadata/names';
import type { LiveLookup } from './observe';

/** Reads a StorageClass; undefined when it does not exist. */
export type ReadStorageClass = (name: string) => Promise<V1StorageClass | undefined>;

/** The class the API server's resize check compares: the beta annotation first, as on claims made before storageClassName. */
function classOf(claim: V1PersistentVolumeClaim): string | undefined {
  return claim.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] || claim.spec?.storageClassName || undefined;
}

const requestOf = (claim: V1PersistentVolumeClaim): string => claim.spec?.resources?.requests?.storage ?? '';

async function growthOf(claim: V1PersistentVolumeClaim, readClass: ReadStorageClass): Promise<ClaimGrowth> {
  const g: ClaimGrowth = { claim: claim.metadata?.name ?? '', size: requestOf(claim) };
  const storageClass = classOf(claim);
  if (storageClass) g.storageClass = storageClass;
  if (claim.status?.phase !== 'Bound') g.obstacle = 'NotBound';
  else if (!storageClass) g.obstacle = 'NoStorageClass';
  else {
    const sc = await readClass(storageClass);
    if (!sc) g.obstacle = 'StorageClassNotFound';
    else if (sc.allowVolumeExpansion !== true) g.obstacle = 'ExpansionNotAllowed';
  }
  return g;
}

/** Claims are read from the cache; classes only for claims smaller than the spec. */
export async function claimFacts(c: BrokerCluster, live: LiveLookup, readClass: ReadStorageClass): Promise<Pick<SpecFacts, 'claimSize' | 'claimGrowth'>> {
  const n = clusterName(c);
  const claims = range(c.spec.replicas)
    .map((i) => live<V1PersistentVolumeClaim>('PersistentVolumeClaim', names.brokerPvc(n, i)))
    .filter((x): x is V1PersistentVolumeClaim => x !== undefined);
  const facts: Pick<SpecFacts, 'claimSize' | 'claimGrowth'> = {};
  const smallest = claims.map(requestOf).reduce<string | undefined>((min, q) => (min === undefined || isLarger(min, q) ? q : min), undefined);
  if (quantityValue(smallest) !== undefined) facts.claimSize = smallest;
  const small = claims.filter((claim) => isLarger(c.spec.persistence.size, requestOf(claim)));
  if (small.length > 0) facts.claimGrowth = await Promise.all(small.map((claim) => growthOf(claim, readClass)));
  return facts;
}
