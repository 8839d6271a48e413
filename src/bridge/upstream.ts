// One OpenAI-compatible upstream: a keep-alive undici Pool, its model id, request helpers, the
// count of requests in flight there (it hands out leases), and what its network failures mean.
// All network I/O of the bridge towards model servers goes through here.

import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import type { ServerConfig, UpstreamConfig } from '../config/schema.js';
import { isDsbError } from '../errors.js';
import { BridgeError } from './anthropic/errors.js';
import { nameUpstream, type UpstreamErrorContext } from './translate/errors.js';

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
  private inFlight = 0;

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

  /** Requests in flight: for least-outstanding-requests routing, /health and /metrics. */
  get outstanding(): number {
    return this.inFlight;
  }

  /**
   * Counts one request as outstanding here until the returned release is called. Release is
   * idempotent, so every exit path of a request may call it without double counting.
   */
  acquire(): () => void {
    this.inFlight++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.inFlight--;
    };
  }

  /**
   * A request counted as outstanding from before it is sent until `release` (idempotent): a failure
   * to connect releases it at once; otherwise the caller releases it when it is done with the body.
   */
  async call(
    body: string,
    options: { signal?: AbortSignal; accept?: string },
  ): Promise<UpstreamResponse & { release: () => void }> {
    const release = this.acquire();
    try {
      const response = await this.request('POST', '/v1/chat/completions', body, options);
      return { ...response, release };
    } catch (err) {
      release();
      throw err;
    }
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

// What the upstream's network failures mean, as the errors the bridge answers with (undici's and
// the socket's error codes are known here and nowhere else).

/** A connection-level failure (refused, reset, timeout) before any response. */
export function convertConnectionError(error: unknown, context: UpstreamErrorContext): BridgeError {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  const reason = code ?? (error as Error).message ?? String(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return new BridgeError(
      504,
      'api_error',
      `upstream ${context.url} did not answer in time (${reason}); is the model still loading? run dsb doctor`,
    );
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' ||
    code === 'EAI_AGAIN'
  ) {
    return new BridgeError(
      502,
      'api_error',
      `cannot reach the upstream at ${context.url} (${reason}): is llama-server (or vLLM/Ollama) running there? Start it (dsb launch) or run dsb doctor`,
    );
  }
  const detail =
    (error as Error).message && (error as Error).message !== reason
      ? `${reason}: ${(error as Error).message}`
      : reason;
  return new BridgeError(
    502,
    'api_error',
    `the connection to the upstream at ${context.url} failed (${detail}); run dsb doctor if it keeps happening`,
  );
}

/** Socket-level codes of a connection that broke while the answer was coming. */
const BROKEN_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ENETRESET']);

/**
 * Whether an error thrown while reading an upstream's answer came from the upstream (the network,
 * undici's timeouts, the SSE line guard) rather than from a bug in the bridge.
 */
export function isUpstreamBodyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (isDsbError(error, 'SSE_LINE_TOO_LONG')) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('UND_ERR') || BROKEN_CONNECTION_CODES.has(code));
}

/**
 * A failure after the upstream's headers arrived, while its body was read: the idle timeout (504),
 * a line over the SSE guard, or a connection that broke (502). Names the upstream.
 */
export function convertBodyError(
  error: unknown,
  context: Pick<UpstreamErrorContext, 'url'> & { idleTimeoutMs: number },
): BridgeError {
  const err = error as Error & { code?: string };
  if (err.code === 'UND_ERR_BODY_TIMEOUT') {
    return new BridgeError(
      504,
      'api_error',
      `upstream ${context.url} sent no data for ${context.idleTimeoutMs} ms in the middle of its answer (server.idleTimeoutMs); is it overloaded or stuck? run dsb doctor`,
    );
  }
  if (isDsbError(err, 'SSE_LINE_TOO_LONG')) {
    return new BridgeError(502, 'api_error', nameUpstream(err.message, context.url));
  }
  const detail =
    err.code && err.message && err.message !== err.code
      ? `${err.code}: ${err.message}`
      : (err.code ?? err.message ?? String(error));
  return new BridgeError(
    502,
    'api_error',
    `the connection to upstream ${context.url} broke before the answer was complete (${detail}); run dsb doctor if it keeps happening`,
  );
}
