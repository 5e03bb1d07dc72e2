// What the brokers need for TLS: the Secret volume with the certificate and
// key (the entrypoint turns them into a PKCS#12 key store at each start, in
// the pod's emptyDir, under a password made there), and the reading of that
// Secret by the operator, which takes only its version and ca.crt.
import type { V1Secret, V1Volume } from '@kubernetes/client-node';
import { type ClusterTls, TLS_KEYS } from '../model/tls';
import { secretValue } from './credentials-secret';

/** Where the pod mounts the TLS Secret (images/broker/entrypoint.sh: AMQ_TLS_DIR). */
export const TLS_DIR = '/etc/amq-keeper/tls';
/** The key store the entrypoint writes, and the variable holding its password (never in the ConfigMap). */
export const KEYSTORE_FILE = '${activemq.conf}/tls/keystore.p12';
export const KEYSTORE_PASSWORD_PLACEHOLDER = '${AMQ_TLS_KEYSTORE_PASSWORD}';

/** tls.crt and tls.key always; ca.crt only when the Secret has it (a missing item keeps a pod from starting). */
export function tlsVolume(tls: ClusterTls): V1Volume {
  const items = [
    { key: TLS_KEYS.cert, path: TLS_KEYS.cert },
    { key: TLS_KEYS.key, path: TLS_KEYS.key },
    ...(tls.ca === undefined ? [] : [{ key: TLS_KEYS.ca, path: TLS_KEYS.ca }]),
  ];
  return { name: 'tls', secret: { secretName: tls.secret, defaultMode: 0o440, items } };
}

export type TlsRead = { tls: ClusterTls } | { missingKeys: string[] };

/** A TLS Secret as the operator uses it; tls.crt and tls.key must be there (their content is the brokers' to judge). */
export function readTls(secret: V1Secret): TlsRead {
  const missingKeys = [TLS_KEYS.cert, TLS_KEYS.key].filter((k) => !secret.data?.[k]);
  if (missingKeys.length > 0) return { missingKeys };
  const ca = secretValue(secret, TLS_KEYS.ca);
  return {
    tls: {
      secret: secret.metadata?.name ?? '',
      ...(ca.trim() === '' ? {} : { ca }),
      version: `${secret.metadata?.uid ?? ''}/${secret.metadata?.resourceVersion ?? ''}`,
    },
  };
}
