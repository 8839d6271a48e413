// Reading request bodies and writing plain answers: the bridge's node:http edge for everything but
// streams (sse-sink.ts). A body over the limit is a DsbError `BODY_TOO_LARGE` (answered 413).
import type http from 'node:http';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { z } from 'zod';
import { formatZodIssues } from '../../config/load.js';
import { DsbError } from '../../errors.js';
import { BridgeError } from '../anthropic/errors.js';
import { assertJsonDepth } from '../limits.js';
import type { ShutdownCoordinator } from '../shutdown.js';

/** An error on a request whose body has been read (a reset): the response side handles it. */
function ignoreLateError(): void {}

export function bodyTooLarge(limit: number): DsbError {
  return new DsbError('BODY_TOO_LARGE', `request body is larger than the limit of ${limit} bytes`, {
    details: { limit },
  });
}

/** The request body as text, at most `limit` bytes (else a `BODY_TOO_LARGE` error). */
export function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(bodyTooLarge(limit));
      return;
    }
    // Decoded as it arrives: each network chunk is garbage at once, and nothing of the body is
    // left in this closure, which lives as long as the request object (the whole answer).
    let decoder: StringDecoder | undefined = new StringDecoder('utf8');
    let text = '';
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(bodyTooLarge(limit));
        req.removeAllListeners('data');
        decoder = undefined;
        text = '';
        req.resume();
        return;
      }
      if (decoder) text += decoder.write(chunk);
    };
    const onError = (err: Error) => reject(err);
    req.on('data', onData);
    req.once('end', () => {
      req.off('data', onData);
      // The error listener would hold this promise, and so the body, for the whole answer.
      req.off('error', onError);
      req.on('error', ignoreLateError);
      const body = text + (decoder?.end() ?? '');
      decoder = undefined;
      text = '';
      resolve(body);
    });
    req.on('error', onError);
  });
}

/** Parses and validates an Anthropic API request body; a 400 in Anthropic's shape if it is not one. */
export function parseAnthropicRequest<T>(
  raw: string,
  schema: z.ZodType<T>,
  maxJsonDepth = Number.POSITIVE_INFINITY,
): T {
  // Checked before JSON.parse: a deeply nested body would overflow the stack in the parser or later.
  assertJsonDepth(raw, maxJsonDepth);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new BridgeError(
      400,
      'invalid_request_error',
      `request body is not valid JSON: ${(err as Error).message}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new BridgeError(
      400,
      'invalid_request_error',
      `invalid request: ${formatZodIssues(parsed.error).replace(/\n/g, '; ')}`,
    );
  }
  return parsed.data;
}

/** How much of a request body the bridge reads, and how deep its JSON may nest. */
export interface RequestBounds {
  bodyBytes: number;
  jsonDepth: number;
}

/** The body of an Anthropic API request, read, parsed and validated. */
export async function readAnthropicRequest<T>(
  req: http.IncomingMessage,
  schema: z.ZodType<T>,
  bounds: RequestBounds,
): Promise<T> {
  return parseAnthropicRequest(await readBody(req, bounds.bodyBytes), schema, bounds.jsonDepth);
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * An AbortController aborted when the client goes away before its answer is complete, and (given
 * `shutdown`) when shutdown ends the request: the work done for it stops then. `onClose` is the
 * listener on `res`, for a caller that hands the response on and removes it.
 */
export function abortWhenClientLeaves(
  res: http.ServerResponse,
  shutdown?: Pick<ShutdownCoordinator, 'get'>,
): { controller: AbortController; onClose: () => void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.on('close', onClose);
  shutdown?.get(res)?.onCancel(() => controller.abort());
  return { controller, onClose };
}

/**
 * Resolves when a full response buffer has drained, or when the client went away: a client that
 * leaves while its socket is full never drains, and the writer must not wait forever.
 */
export function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * After [DONE] the rest of the upstream body (its terminating chunk) is normally already in the
 * socket. Let it end by itself, which returns the connection to the pool, instead of destroying the
 * body mid-read: that built an AbortError with a stack trace per streamed request (visible in the
 * bench's CPU profile). A body that has not ended within a second is destroyed.
 */
export function letUpstreamBodyEnd(body: Readable): void {
  if (body.readableEnded || body.destroyed) return;
  const timer = setTimeout(() => body.destroy(), 1_000);
  timer.unref();
  body.once('close', () => clearTimeout(timer));
  body.on('error', () => {});
  body.resume();
}
