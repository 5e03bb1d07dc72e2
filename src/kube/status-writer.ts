// Writes a BrokerCluster's status through the status subresource, and only
// when it changed.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { GROUP, PLURAL, VERSION } from '../api/group';
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import type { KubeClients } from './client';
import { metrics } from '../observability/metrics';

/** JSON round trip: drops undefined so that equal statuses compare equal. */
function normalize(s: unknown): unknown {
  return s === undefined ? undefined : JSON.parse(JSON.stringify(s));
}

export class StatusWriter {
  constructor(private readonly kube: KubeClients) {}

  /** Returns true when it wrote. */
  async write(c: BrokerCluster, status: BrokerClusterStatus): Promise<boolean> {
    const next = normalize(status) as Record<string, unknown>;
    const prev = (normalize(c.status) ?? {}) as Record<string, unknown>;
    if (isDeepStrictEqual(next, prev)) return false;
    // A merge patch removes a field only when it is sent as null.
    const patch: Record<string, unknown> = { ...next };
    for (const k of Object.keys(prev)) if (!(k in next)) patch[k] = null;
    metrics.writes.inc({ verb: 'status', kind: 'BrokerCluster' });
    await this.kube.custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, plural: PLURAL, namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '', body: { status: patch } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    return true;
  }
}
