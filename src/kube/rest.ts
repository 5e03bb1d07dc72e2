// A small JSON client for the operator's own requests. The generated clients
// of @kubernetes/client-node deserialize every response into model classes
// (which the operator never reads) and open a new TLS connection, with a new
// TLS context, for every request; during a creation storm that garbage and
// native memory is most of the operator's peak RSS. This one keeps one
// keep-alive agent, hands back plain JSON, and discards what it is not asked for.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** A request the API server answered with an error status; statusCode()/errorMessage() read code and body. */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${code}${serverMessage(body)}`);
  }
}

function serverMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    return typeof m === 'string' ? `: ${m}` : '';
  } catch {
    return '';
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface SendOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  /** Fail the request after this long instead of TIMEOUT_MS. */
  timeoutMs?: number;
}

interface Connection {
  server: URL;
  agent: http.Agent | undefined;
  headers: http.OutgoingHttpHeaders;
  auth: string | undefined;
  at: number;
}

/** Re-read credentials this often: tokens from files and exec plugins rotate. */
const AUTH_TTL_MS = 60_000;
/** A request that hangs longer than this fails, and its reconcile is retried. */
const TIMEOUT_MS = 60_000;
const UNAUTHORIZED = 401;
/** Names the operator in audit logs and in field managers the server infers. */
const USER_AGENT = 'amq-keeper';

/**
 * Idle connections are closed after this, before the API server closes them
 * (90 s), so that a request is not sent on a connection the server is closing.
 */
const IDLE_MS = 30_000;

/** The library's agent with keep-alive; a proxy agent is used as it is. */
function keepAlive(agent: http.Agent | undefined): http.Agent | undefined {
  const reuse = { keepAlive: true, timeout: IDLE_MS };
  if (agent?.constructor === https.Agent) return new https.Agent({ ...(agent as https.Agent).options, ...reuse });
  if (agent?.constructor === http.Agent) return new http.Agent(reuse);
  return agent;
}

export class KubeRest {
  private conn: Connection | undefined;
  private loading: Promise<Connection> | undefined;

  constructor(private readonly config: KubeConfig) {}

  /** GETs path and returns the parsed JSON body. */
  async get<T>(path: string, query?: Query, timeoutMs?: number): Promise<T> {
    const text = await this.request('GET', path, { query, timeoutMs }, true);
    return JSON.parse(text) as T;
  }

  /** Sends a write and ignores what the server returns. */
  async send(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, o: SendOptions = {}): Promise<void> {
    await this.request(method, path, o, false);
  }

  /** Sends a write and returns the object the server stored (for its resourceVersion). */
  async write<T>(method: 'POST' | 'PATCH' | 'PUT', path: string, o: SendOptions = {}): Promise<T> {
    return JSON.parse(await this.request(method, path, o, true)) as T;
  }

  private async connection(): Promise<Connection> {
    if (this.conn && Date.now() - this.conn.at < AUTH_TTL_MS) return this.conn;
    // One load at a time, however many requests wait for it.
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<Connection> {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const opts: https.RequestOptions = {};
    await this.config.applyToHTTPSOptions(opts);
    // The agent holds the TLS settings, which do not change; only credentials are re-read.
    const agent = this.conn?.agent ?? keepAlive(opts.agent instanceof http.Agent ? opts.agent : undefined);
    // The library fills headers as an object (Authorization, Impersonate-User).
    const headers = opts.headers && !Array.isArray(opts.headers) ? (opts.headers as http.OutgoingHttpHeaders) : {};
    this.conn = { server: new URL(cluster.server), agent, headers, auth: opts.auth ?? undefined, at: Date.now() };
    return this.conn;
  }

  private async request(method: string, path: string, o: SendOptions, read: boolean): Promise<string> {
    const c = await this.connection();
    const url = new URL(c.server.pathname.replace(/\/$/, '') + path, c.server);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers: http.OutgoingHttpHeaders = { ...c.headers, Accept: 'application/json', 'User-Agent': USER_AGENT };
    if (body !== undefined) {
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const what = `${method} ${url.pathname}`;
    const send = url.protocol === 'http:' ? http.request : https.request;
    return new Promise<string>((resolve, reject) => {
      const req = send(url, { method, headers, agent: c.agent, auth: c.auth }, (res) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        if (ok && !read) {
          // Drained, not read, so the connection goes back to the pool.
          res.resume();
          res.once('end', () => resolve(''));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (ok) return resolve(text);
          // Credentials may have expired before AUTH_TTL_MS: read them again next time.
          if (status === UNAUTHORIZED && this.conn) this.conn.at = 0;
          reject(new KubeError(status, text, what));
        });
        res.once('error', reject);
      });
      const timeout = o.timeoutMs ?? TIMEOUT_MS;
      req.setTimeout(timeout, () => req.destroy(new Error(`${what}: no answer in ${timeout} ms`)));
      req.once('error', reject);
      req.end(body);
    });
  }
}
