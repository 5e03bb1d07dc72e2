// <name>-connection: what applications mount to find the cluster.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { BrokerCluster } from '../api/types';
import { brokerNodes, clusterName } from '../api/cluster';
import { names } from '../metadata/names';
import { clusterLabels } from '../metadata/labels';
import { failoverUrl, masterUrl } from './connection-url';
import { ownedMeta } from './object-meta';
import { credentialsSecretOf } from './credentials-secret';
import type { ClusterTls } from '../model/tls';

/**
 * nodes: as brokerNodes(); a leaving node stays in the URL until its pod is
 * gone (it may be the master). tls: the certificate's Secret, whose ca.crt
 * clients need for their trust store (a certificate is public).
 */
export function buildConnectionConfig(c: BrokerCluster, nodes = brokerNodes(c), tls?: ClusterTls): V1ConfigMap {
  const n = clusterName(c);
  const tlsData: Record<string, string> = {};
  if (c.spec.tls) {
    tlsData.tlsSecret = c.spec.tls.secretName;
    if (tls?.ca !== undefined) tlsData['ca.crt'] = tls.ca;
    if (c.spec.tls.plainOpenWirePort !== undefined) tlsData.plainFailoverUrl = failoverUrl(c, undefined, nodes, true);
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMeta(c, names.connection(n), clusterLabels(n)),
    data: {
      failoverUrl: failoverUrl(c, undefined, nodes),
      masterUrl: masterUrl(c),
      brokerName: c.spec.brokerName,
      // Where the logins are; never the logins themselves.
      credentialsSecret: credentialsSecretOf(c).name,
      authentication: String(c.spec.security.authentication),
      ...tlsData,
    },
  };
}
