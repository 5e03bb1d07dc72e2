// Writes desired objects with server-side apply under the one field manager,
// skipping objects whose live copy already matches, and counts every write.
import type { KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../api/group';
import { ANNOTATION_APPLIED } from '../metadata/labels';
import { revisionOf } from '../resources/revision';
import type { KubeClients } from './client';
import { pathOf } from './kinds';
import { isSubset } from './subset';
import { metrics } from '../observability/metrics';

export type Writer = 'apply' | 'patch' | 'delete' | 'status' | 'event';

/** Adds the hash of the apply body, so a field dropped from the desired object is also noticed. */
export function withAppliedHash<T extends KubernetesObject>(obj: T): T {
  const hash = revisionOf(obj);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata?.annotations, [ANNOTATION_APPLIED]: hash } } };
}

function pathFor(obj: KubernetesObject): string {
  return pathOf(obj.kind, obj.metadata?.namespace, obj.metadata?.name ?? '');
}

export class Applier {
  constructor(private readonly kube: KubeClients) {}

  /** Server-side applies obj unless live already matches; returns true when it wrote. */
  async apply<T extends KubernetesObject>(obj: T, live: KubernetesObject | undefined): Promise<boolean> {
    const body = withAppliedHash(obj);
    if (live && isSubset(body, live)) return false;
    metrics.writes.inc({ verb: 'apply', kind: obj.kind ?? '' });
    // An apply body is YAML; JSON is YAML.
    await this.kube.rest.send('PATCH', pathFor(body), {
      query: { fieldManager: FIELD_MANAGER, force: true },
      body,
      contentType: 'application/apply-patch+yaml',
    });
    return true;
  }

  /** Merge-patches part of an object (used for pod labels: a pod spec cannot be re-applied). */
  async mergePatch(obj: KubernetesObject): Promise<void> {
    metrics.writes.inc({ verb: 'patch', kind: obj.kind ?? '' });
    await this.kube.rest.send('PATCH', pathFor(obj), { query: { fieldManager: FIELD_MANAGER }, body: obj, contentType: 'application/merge-patch+json' });
  }

  async delete(obj: KubernetesObject): Promise<void> {
    metrics.writes.inc({ verb: 'delete', kind: obj.kind ?? '' });
    await this.kube.rest.send('DELETE', pathFor(obj));
  }
}
