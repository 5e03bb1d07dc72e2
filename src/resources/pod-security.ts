// The security settings every pod the operator runs shares: they meet the
// `restricted` Pod Security Standard, so a namespace that enforces it runs a
// whole cluster.
import type { V1Container, V1PodSecurityContext } from '@kubernetes/client-node';

/** The uid and gid the broker and ZooKeeper images are built for (images/*). */
export const IMAGE_UID = 10001;

/** Container level: no privilege, no capability, nothing written outside its volumes. */
export function restrictedContainerSecurity(): NonNullable<V1Container['securityContext']> {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
}

/** Pod level: the image's own non-root user, owning the data volume, under the runtime's seccomp profile. */
export function restrictedPodSecurity(): V1PodSecurityContext {
  return {
    runAsUser: IMAGE_UID,
    runAsGroup: IMAGE_UID,
    fsGroup: IMAGE_UID,
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** A writable /tmp (the JVM's perf data, temp files) on an otherwise read-only root. */
export const TMP_VOLUME = { name: 'tmp', emptyDir: {} };
export const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' };
