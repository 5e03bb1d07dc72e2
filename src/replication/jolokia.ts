// A small client for the Jolokia endpoint the ActiveMQ web console serves at
// /api/jolokia: bulk POSTs of read/exec requests, each answered with its own
// status. Only the elected master runs the console (a slave's Spring context
// waits for the store), so this always talks to the master.

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

export class JolokiaClient {
  constructor(
    private readonly credentials: ConsoleCredentials,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  /** Runs the requests in one POST and returns their values in order; any failed request fails the call. */
  async call(url: string, requests: readonly JolokiaRequest[]): Promise<unknown[]> {
    // Basic auth over plain HTTP: the caller checked that url is the master pod's own address.
    const auth = Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64');
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${auth}`,
          'content-type': 'application/json',
          // The 5.16 jolokia-access.xml has <strict-checking/>: a request without an Origin is refused.
          origin: new URL(url).origin,
        },
        body: JSON.stringify(requests),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
      throw new JolokiaError(`${url}: ${cause}`, 'unreachable');
    }
    if (res.status === 401 || res.status === 403) {
      throw new JolokiaError(`${url}: HTTP ${res.status}, the web console refused the operator's credentials`, 'refused');
    }
    const text = await res.text();
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
