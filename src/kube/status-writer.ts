// Writes a BrokerCluster's status through the status subresource, and only
// when it changed.
import { isDeepStrictEqual } from 'node:util';
import { FIELD_MANAGER, KIND } from '../api/group';
import type { BrokerCluster, BrokerClusterStatus } from '../api/types';
import type { KubeClients } from './client';
import { pathOf } from './kinds';
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
    await this.kube.rest.send('PATCH', pathOf(KIND, c.metadata.namespace ?? '', c.metadata.name ?? '', 'status'), {
      query: { fieldManager: FIELD_MANAGER },
      body: { status: patch },
      contentType: 'application/merge-patch+json',
    });
    return true;
  }
}
