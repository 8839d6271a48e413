// One OpenAI-compatible upstream: a keep-alive undici Pool, its model id, and request helpers.
// All network I/O of the bridge towards model servers goes through here.

import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import type { ServerConfig, UpstreamConfig } from '../config/schema.js';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/** `http://host:8080/v1/` → origin `http://host:8080`, path prefix ``. */
export function splitUpstreamUrl(url: string): { origin: string; prefix: string } {
  const parsed = new URL(url);
  let prefix = parsed.pathname.replace(/\/+$/, '');
  if (prefix.endsWith('/v1')) prefix = prefix.slice(0, -3);
  return { origin: parsed.origin, prefix };
}

export class Upstream {
  readonly name: string;
  readonly url: string;
  readonly config: UpstreamConfig;
  private readonly pool: Pool;
  private readonly prefix: string;
  private discoveredModel: Promise<string | undefined> | undefined;
  /** Requests in flight: for least-outstanding-requests routing and /health. */
  outstanding = 0;

  constructor(
    config: UpstreamConfig,
    private readonly server: Pick<ServerConfig, 'idleTimeoutMs' | 'headersTimeoutMs'>,
  ) {
    this.config = config;
    const { origin, prefix } = splitUpstreamUrl(config.url);
    this.url = origin + prefix;
    this.prefix = prefix;
    this.name = config.name ?? new URL(origin).host;
    this.pool = new Pool(origin, {
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connectTimeout: 10_000,
    });
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    return headers;
  }

  /** Sends a request to the upstream; the body is streamed back, `signal` aborts it at once. */
  async request(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    options: { signal?: AbortSignal; headersTimeoutMs?: number; accept?: string } = {},
  ): Promise<UpstreamResponse> {
    const extra: Record<string, string> = options.accept ? { accept: options.accept } : {};
    if (body !== undefined) extra['content-length'] = String(Buffer.byteLength(body));
    const send = () =>
      this.pool.request({
        method,
        path: this.prefix + path,
        headers: this.headers(extra),
        // undici takes iterables (documented; its types lag behind).
        body: body === undefined ? undefined : (bodyOnce(body) as unknown as Readable),
        signal: options.signal,
        headersTimeout: options.headersTimeoutMs ?? this.server.headersTimeoutMs,
        // The time allowed between two body chunks, not for the whole answer: generation can be long.
        bodyTimeout: this.server.idleTimeoutMs,
      });
    let res: Awaited<ReturnType<typeof send>>;
    try {
      res = await send();
    } catch (err) {
      // A pooled keep-alive connection the server closed while idle is reset when the request
      // reaches it (a busy event loop had not yet read the server's FIN): the server never saw the
      // request, so it is sent once more; undici has dropped the reset connection. Only once: a
      // server that resets every request still fails it.
      if (!isResetBeforeAnswer(err) || options.signal?.aborted) throw err;
      res = await send();
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** GET a JSON document (discovery endpoints); undefined when unreachable or not 2xx. */
  async getJson(path: string, requestedTimeoutMs = 3_000): Promise<unknown> {
    // AbortSignal.timeout takes whole milliseconds only.
    const timeoutMs = Math.max(1, Math.ceil(requestedTimeoutMs));
    try {
      const res = await this.request('GET', path, undefined, {
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeoutMs: timeoutMs,
      });
      const text = await res.body.text();
      if (res.status < 200 || res.status >= 300) return undefined;
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  /** The model id to send: configured, else the first one the upstream lists, else undefined. */
  async model(): Promise<string | undefined> {
    if (this.config.model) return this.config.model;
    this.discoveredModel ??= this.getJson('/v1/models').then((json) => {
      const data = (json as { data?: Array<{ id?: unknown }> } | undefined)?.data;
      const id = Array.isArray(data) ? data.find((m) => typeof m?.id === 'string')?.id : undefined;
      if (id === undefined) this.discoveredModel = undefined; // try again next time
      return id as string | undefined;
    });
    return this.discoveredModel;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** The connection was reset or closed before any byte of the answer (no status line). */
function isResetBeforeAnswer(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
}

/**
 * The body as a one-shot iterable that lets go of the text once undici has taken it: undici keeps a
 * string body (as a Buffer) until the whole answer has been read, seconds for a stream, and a
 * generator would keep its argument as long.
 */
function bodyOnce(body: string): Iterable<string> {
  let left: string | undefined = body;
  const iterator: Iterator<string> = {
    next: () => {
      if (left === undefined) return { done: true, value: undefined };
      const value = left;
      left = undefined;
      return { done: false, value };
    },
  };
  return { [Symbol.iterator]: () => iterator };
}
