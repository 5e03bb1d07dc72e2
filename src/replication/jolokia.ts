// A small client for the Jolokia endpoint the ActiveMQ web console serves at
// /api/jolokia: bulk POSTs of read/exec requests, each answered with its own
// status. Only the elected master runs the console (a slave's Spring context
// waits for the store), so this always talks to the master.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ConsoleCredentials {
  username: string;
  password: string;
}

export type JolokiaRequest =
  | { type: 'read'; mbean: string; attribute?: string | string[] }
  | { type: 'exec'; mbean: string; operation: string; arguments: unknown[] };

interface JolokiaResponse {
  status: number;
  value?: unknown;
  error?: string;
}

export class JolokiaError extends Error {
  constructor(
    message: string,
    /** unreachable: no HTTP answer; refused: 401/403; failed: a request inside the answer failed. */
    readonly kind: 'unreachable' | 'refused' | 'failed',
  ) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 3_000;

interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * One POST over http or https. node:https rather than fetch: the console's
 * certificate is checked against the cluster's own CA (ca), and the host name
 * in url against the certificate, before the login is sent.
 */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, ca: string | undefined): Promise<HttpAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs, ...(ca ? { ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export class JolokiaClient {
  constructor(
    private readonly credentials: ConsoleCredentials,
    /** PEM of the CA an https console's certificate must chain to; undefined: the system's roots. */
    private readonly ca?: string,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  /** Runs the requests in one POST and returns their values in order; any failed request fails the call. */
  async call(url: string, requests: readonly JolokiaRequest[]): Promise<unknown[]> {
    // Basic auth: the caller checked that url is the master pod's own address (and https verifies it is).
    const auth = Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64');
    const target = new URL(url);
    let res: HttpAnswer;
    try {
      res = await post(
        target,
        {
          authorization: `Basic ${auth}`,
          'content-type': 'application/json',
          // The 5.16 jolokia-access.xml has <strict-checking/>: a request without an Origin is refused.
          origin: target.origin,
        },
        JSON.stringify(requests),
        this.timeoutMs,
        this.ca,
      );
    } catch (err) {
      throw new JolokiaError(`${url}: ${err instanceof Error ? err.message : String(err)}`, 'unreachable');
    }
    if (res.status === 401 || res.status === 403) {
      throw new JolokiaError(`${url}: HTTP ${res.status}, the web console refused the operator's credentials`, 'refused');
    }
    const text = res.text;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new JolokiaError(`${url}: HTTP ${res.status}, not a Jolokia answer: ${text.slice(0, 120)}`, 'failed');
    }
    const answers = (Array.isArray(body) ? body : [body]) as JolokiaResponse[];
    return requests.map((req, i) => {
      const a = answers[i];
      if (a?.status !== 200) {
        const what = req.type === 'exec' ? `${req.operation} on ${req.mbean}` : `read of ${req.mbean}`;
        const kind = a?.status === 403 ? 'refused' : 'failed';
        throw new JolokiaError(`${url}: ${what}: ${a?.error ?? 'no answer'}`, kind);
      }
      return a.value;
    });
  }
}
