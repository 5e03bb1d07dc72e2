// Writes desired objects with server-side apply under the one field manager,
// skipping objects whose live copy already matches, and counts every write.
import type { KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../api/group';
import { ANNOTATION_APPLIED } from '../metadata/labels';
import { revisionOf } from '../resources/revision';
import { statusCode, type KubeClients } from './client';
import { pathOf } from './kinds';
import { isSubset } from './subset';
import { metrics } from '../observability/metrics';

export type Writer = 'apply' | 'create' | 'patch' | 'delete' | 'status' | 'event';

/** Adds the hash of the apply body, so a field dropped from the desired object is also noticed. */
export function withAppliedHash<T extends KubernetesObject>(obj: T): T {
  const hash = revisionOf(obj);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata?.annotations, [ANNOTATION_APPLIED]: hash } } };
}

function pathFor(obj: KubernetesObject): string {
  return pathOf(obj.kind, obj.metadata?.namespace, obj.metadata?.name ?? '');
}

/** Whether applying obj would change live: a missing object, a changed field, or a field dropped since the last apply. */
export function needsApply(obj: KubernetesObject, live: KubernetesObject | undefined): boolean {
  return !live || !isSubset(withAppliedHash(obj), live);
}

export class Applier {
  constructor(private readonly kube: KubeClients) {}

  /** Server-side applies obj (with its applied hash). */
  async apply(obj: KubernetesObject): Promise<void> {
    const body = withAppliedHash(obj);
    metrics.writes.inc({ verb: 'apply', kind: obj.kind ?? '' });
    // An apply body is YAML; JSON is YAML.
    await this.kube.rest.send('PATCH', pathFor(body), {
      query: { fieldManager: FIELD_MANAGER, force: true },
      body,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /** Creates obj unless one of that name exists (whose content is then kept: a generated Secret is made once). */
  async create(obj: KubernetesObject): Promise<void> {
    metrics.writes.inc({ verb: 'create', kind: obj.kind ?? '' });
    try {
      await this.kube.rest.send('POST', pathOf(obj.kind, obj.metadata?.namespace), { body: obj });
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
  }

  /** Merge-patches part of an object (used for pod labels: a pod spec cannot be re-applied). */
  async mergePatch(obj: KubernetesObject): Promise<void> {
    metrics.writes.inc({ verb: 'patch', kind: obj.kind ?? '' });
    await this.kube.rest.send('PATCH', pathFor(obj), { query: { fieldManager: FIELD_MANAGER }, body: obj, contentType: 'application/merge-patch+json' });
  }

  /**
   * uid: delete only that instance, not one created under the same name since
   * it was observed. force: no grace period, for a pod whose kubelet is gone
   * and will never confirm a graceful stop. One already gone is deleted.
   */
  async delete(obj: KubernetesObject, force = false): Promise<void> {
    metrics.writes.inc({ verb: 'delete', kind: obj.kind ?? '' });
    const uid = obj.metadata?.uid;
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', ...(uid ? { preconditions: { uid } } : {}), ...(force ? { gracePeriodSeconds: 0 } : {}) };
    try {
      await this.kube.rest.send('DELETE', pathFor(obj), uid || force ? { body } : undefined);
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
}
