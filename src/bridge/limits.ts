// Bounds on the work and memory one request may cost the bridge (issue 13): the timeouts of the
// client's request, a too-large upload answered so that the client sees the 413, the nesting of a
// request's JSON, and the bytes of an upstream answer held in memory.
import type http from 'node:http';
import { type LimitsConfig, limitsSchema, type ServerConfig } from '../config/schema.js';
import { BridgeError } from './anthropic/errors.js';

export type AnswerLimits = LimitsConfig;

/** server.limits when the config sets none. */
export const DEFAULT_ANSWER_LIMITS: AnswerLimits = limitsSchema.parse({});

/**
 * Options for `http.createServer`: Node checks its request timeouts on this interval, so it must
 * be well under the shortest timeout for the timeout to mean anything.
 */
export function httpServerOptions(
  server: Pick<ServerConfig, 'requestTimeoutMs' | 'requestHeadersTimeoutMs'>,
) {
  const shortest = Math.min(
    server.requestHeadersTimeoutMs,
    server.requestTimeoutMs || Number.POSITIVE_INFINITY,
  );
  return { connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(shortest / 4))) };
}

/**
 * A client that sends its headers and then part of a body, or nothing, is cut (408) after
 * `requestTimeoutMs`. Node's requestTimeout covers receiving the request only, never the response:
 * a long prefill or a long stream is not affected.
 */
export function applyRequestTimeouts(
  httpServer: http.Server,
  server: Pick<ServerConfig, 'requestTimeoutMs' | 'requestHeadersTimeoutMs'>,
): void {
  httpServer.requestTimeout = server.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout.
  httpServer.headersTimeout =
    server.requestTimeoutMs > 0
      ? Math.min(server.requestHeadersTimeoutMs, server.requestTimeoutMs)
      : server.requestHeadersTimeoutMs;
  httpServer.keepAliveTimeout = 65_000;
}

/** Most bytes of a refused upload read (and thrown away) so that the client gets to read the 413. */
export function drainLimitFor(bodyLimitBytes: number): number {
  return Math.max(4 * bodyLimitBytes, 64 * 1024 * 1024);
}

/**
 * Reads and discards what is left of a request body that is refused, so that the client, which is
 * still sending it, reads the answer instead of a reset (Node's fetch, like Claude Code uses, saw
 * EPIPE and retried). Past `maxBytes` the connection is cut: then the client sees a reset, but the
 * bridge does not read an endless upload. Resolves when the body has ended or the socket closed:
 * true when the 413 can still be sent on the connection (a request timeout may have answered it).
 */
export function drainRequest(req: http.IncomingMessage, maxBytes: number): Promise<boolean> {
  const usable = () => !req.socket.destroyed && req.socket.writable;
  return new Promise((resolve) => {
    if (req.complete || req.destroyed) {
      resolve(usable());
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.socket.destroy();
      resolve(false);
      return;
    }
    let seen = 0;
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) req.socket.destroy();
    };
    const done = () => resolve(usable());
    req.removeAllListeners('data');
    req.on('data', onData);
    req.once('end', done);
    req.once('close', done);
    req.on('error', done);
    req.resume();
  });
}

export class JsonTooDeepError extends BridgeError {
  constructor(maxDepth: number) {
    super(
      400,
      'invalid_request_error',
      `request JSON is nested deeper than ${maxDepth} levels (server.limits.maxRequestJsonDepth)`,
    );
    this.name = 'JsonTooDeepError';
  }
}

/**
 * Refuses JSON text nested deeper than `maxDepth` with a 400, in one pass over the text and
 * before anything recursive (JSON.stringify, schema checks) sees it: a 100,000-deep `input` made
 * them throw "Maximum call stack size exceeded" (a 500, and a misleading 502 on the OpenAI route).
 */
export function assertJsonDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new JsonTooDeepError(maxDepth);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/** An upstream answer larger than a limit: the bridge's own 502, naming the setting to raise. */
export function answerTooLarge(what: string, limit: number, setting: keyof AnswerLimits): BridgeError {
  return new BridgeError(
    502,
    'api_error',
    `upstream sent more than ${limit} bytes of ${what}: the answer was stopped (raise server.limits.${setting} if this is legitimate)`,
  );
}

/** Counts bytes read from an upstream body against a limit; throws `answerTooLarge` past it. */
export class ByteBudget {
  private used = 0;
  constructor(
    private readonly limit: number,
    private readonly what: string,
    private readonly setting: keyof AnswerLimits,
  ) {}

  take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.limit) throw answerTooLarge(this.what, this.limit, this.setting);
  }
}

/** The whole text of an upstream body, refused past `limit` bytes (the body is destroyed then). */
export async function readBoundedText(
  body: AsyncIterable<Uint8Array> & { destroy?(err?: Error): unknown },
  limit: number,
): Promise<string> {
  const budget = new ByteBudget(limit, 'a non-streaming answer', 'maxResponseBytes');
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of body) {
      budget.take(chunk.byteLength);
      text += decoder.decode(chunk, { stream: true });
    }
  } catch (err) {
    body.destroy?.();
    throw err;
  }
  return text + decoder.decode();
}
