// Certificates for the TLS tests, made with the openssl CLI as a person (or
// cert-manager's CA issuer) would: a CA, and broker certificates it signs for
// the names clients dial. Also the Java trust store a client needs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem {
  crt: string;
  key: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** A self-signed CA (EC P-256, valid a day). */
export function makeCa(commonName: string): Pem {
  const dir = mkdtempSync(join(tmpdir(), 'amqk-ca-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  return { crt: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
}

/**
 * A server certificate signed by ca for the given names (DNS names, or IP
 * addresses), with a fresh RSA key in the PKCS#1 layout cert-manager writes
 * by default. Returns it with its serial number.
 */
export function issue(ca: Pem, commonName: string, names: string[]): Pem & { serial: string } {
  const dir = mkdtempSync(join(tmpdir(), 'amqk-cert-'));
  writeFileSync(join(dir, 'ca.crt'), ca.crt);
  writeFileSync(join(dir, 'ca.key'), ca.key, { mode: 0o600 });
  const san = names.map((n) => (/^[0-9.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
  openssl(['genrsa', '-traditional', '-out', 'tls.key', '2048'], dir);
  openssl(['req', '-new', '-key', 'tls.key', '-subj', `/CN=${commonName}`, '-out', 'tls.csr'], dir);
  openssl(
    ['x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'ext.cnf', '-out', 'tls.crt'],
    dir,
  );
  const serial = openssl(['x509', '-in', 'tls.crt', '-noout', '-serial'], dir)
    .toString()
    .trim()
    .replace(/^serial=/, '');
  return { crt: readFileSync(join(dir, 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8'), serial };
}

/** A PKCS#12 trust store holding caPem, as a Java client gets it from <name>-connection's ca.crt with keytool. */
export function trustStore(caPem: string, password: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'amqk-trust-'));
  writeFileSync(join(dir, 'ca.crt'), caPem);
  const store = join(dir, 'truststore.p12');
  execFileSync(
    'keytool',
    ['-importcert', '-noprompt', '-alias', 'cluster-ca', '-file', join(dir, 'ca.crt'), '-keystore', store, '-storetype', 'PKCS12', '-storepass', password],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return store;
}

/** The test client's environment for a trust store (its JVM reads JAVA_TOOL_OPTIONS). */
export function trustEnv(store: string, password: string): Record<string, string> {
  return { JAVA_TOOL_OPTIONS: `-Djavax.net.ssl.trustStore=${store} -Djavax.net.ssl.trustStorePassword=${password} -Djavax.net.ssl.trustStoreType=PKCS12` };
}
