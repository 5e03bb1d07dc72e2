// A cluster's TLS material as the operator knows it. The private key is never
// read: only the brokers need it, through their Secret volume.

export interface ClusterTls {
  /** The kubernetes.io/tls Secret it comes from. */
  secret: string;
  /** The CA clients and the operator trust (ca.crt); undefined: the system's roots. */
  ca?: string;
  /** The Secret's uid and resourceVersion: a renewed certificate rolls the brokers. */
  version: string;
}

/** The keys of a kubernetes.io/tls Secret (cert-manager adds ca.crt). */
export const TLS_KEYS = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;
