import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/bridge/anthropic/errors.js';
import {
  answerTooLarge,
  applyRequestTimeouts,
  assertJsonDepth,
  ByteBudget,
  DEFAULT_ANSWER_LIMITS,
  drainLimitFor,
  drainRequest,
  httpServerOptions,
  JsonTooDeepError,
  readBoundedText,
} from '../../src/bridge/limits.js';

describe('httpServerOptions', () => {
  it('checks timeouts at a quarter of the shortest one, between 100 ms and 30 s', () => {
    expect(httpServerOptions({ requestTimeoutMs: 60_000, requestHeadersTimeoutMs: 20_000 })).toEqual({
      connectionsCheckingInterval: 5_000,
    });
    expect(httpServerOptions({ requestTimeoutMs: 200, requestHeadersTimeoutMs: 20_000 })).toEqual({
      connectionsCheckingInterval: 100,
    });
    expect(httpServerOptions({ requestTimeoutMs: 600_000, requestHeadersTimeoutMs: 600_000 })).toEqual({
      connectionsCheckingInterval: 30_000,
    });
  });

  it('a request timeout of 0 (off) leaves the headers timeout as the shortest', () => {
    expect(httpServerOptions({ requestTimeoutMs: 0, requestHeadersTimeoutMs: 8_000 })).toEqual({
      connectionsCheckingInterval: 2_000,
    });
  });
});

describe('applyRequestTimeouts', () => {
  const fakeServer = () => ({}) as http.Server;

  it('never sets a headers timeout longer than the request timeout (Node refuses it)', () => {
    const s = fakeServer();
    applyRequestTimeouts(s, { requestTimeoutMs: 5_000, requestHeadersTimeoutMs: 30_000 });
    expect(s.requestTimeout).toBe(5_000);
    expect(s.headersTimeout).toBe(5_000);
    expect(s.keepAliveTimeout).toBe(65_000);
  });

  it('keeps the headers timeout when the request timeout is off or longer', () => {
    const off = fakeServer();
    applyRequestTimeouts(off, { requestTimeoutMs: 0, requestHeadersTimeoutMs: 30_000 });
    expect(off.requestTimeout).toBe(0);
    expect(off.headersTimeout).toBe(30_000);
    const longer = fakeServer();
    applyRequestTimeouts(longer, { requestTimeoutMs: 300_000, requestHeadersTimeoutMs: 30_000 });
    expect(longer.headersTimeout).toBe(30_000);
  });
});

describe('drainLimitFor', () => {
  it('reads four body limits, and never less than 64 MiB', () => {
    expect(drainLimitFor(1024)).toBe(64 * 1024 * 1024);
    expect(drainLimitFor(100 * 1024 * 1024)).toBe(400 * 1024 * 1024);
  });
});

/** An IncomingMessage stand-in: an emitter with headers, a socket and resume(). */
function fakeRequest(headers: Record<string, string> = {}, state: { complete?: boolean } = {}) {
  const socket = { destroyed: false, writable: true, destroy: () => (socket.destroyed = true) };
  const req = Object.assign(new EventEmitter(), {
    headers,
    socket,
    complete: state.complete ?? false,
    destroyed: false,
    resumed: false,
    resume() {
      req.resumed = true;
    },
  });
  return req;
}
const asReq = (r: ReturnType<typeof fakeRequest>) => r as unknown as http.IncomingMessage;

describe('drainRequest', () => {
  it('a body already read: resolves at once, usable while the socket is', async () => {
    const req = fakeRequest({}, { complete: true });
    expect(await drainRequest(asReq(req), 10)).toBe(true);
    req.socket.writable = false;
    expect(await drainRequest(asReq(req), 10)).toBe(false);
  });

  it('a declared length past the limit cuts the connection without reading', async () => {
    const req = fakeRequest({ 'content-length': '11' });
    expect(await drainRequest(asReq(req), 10)).toBe(false);
    expect(req.socket.destroyed).toBe(true);
    expect(req.resumed).toBe(false);
  });

  it('reads and discards the rest of the body, replacing the earlier data listeners', async () => {
    const req = fakeRequest({ 'content-length': '8' });
    let earlier = 0;
    req.on('data', () => earlier++);
    const drained = drainRequest(asReq(req), 10);
    expect(req.resumed).toBe(true);
    req.emit('data', Buffer.alloc(4));
    req.emit('data', Buffer.alloc(4));
    req.emit('end');
    expect(await drained).toBe(true);
    expect(earlier).toBe(0);
    expect(req.socket.destroyed).toBe(false);
  });

  it('past maxBytes of an undeclared body it cuts the connection and resolves on close', async () => {
    const req = fakeRequest();
    const drained = drainRequest(asReq(req), 10);
    req.emit('data', Buffer.alloc(6));
    expect(req.socket.destroyed).toBe(false);
    req.emit('data', Buffer.alloc(6));
    expect(req.socket.destroyed).toBe(true);
    req.emit('close');
    expect(await drained).toBe(false);
  });

  it('a request error ends the drain too', async () => {
    const req = fakeRequest();
    const drained = drainRequest(asReq(req), 10);
    req.emit('error', new Error('aborted'));
    expect(await drained).toBe(true);
  });
});

describe('assertJsonDepth', () => {
  it('accepts nesting up to the limit and refuses one level more with a 400', () => {
    expect(() => assertJsonDepth('[[[1]]]', 3)).not.toThrow();
    expect(() => assertJsonDepth('{"a":{"b":[{}]}}', 4)).not.toThrow();
    let caught: unknown;
    try {
      assertJsonDepth('{"a":{"b":[{}]}}', 3);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JsonTooDeepError);
    expect(caught).toBeInstanceOf(BridgeError);
    expect((caught as BridgeError).status).toBe(400);
    expect((caught as BridgeError).type).toBe('invalid_request_error');
    expect((caught as Error).message).toContain('deeper than 3 levels');
  });

  it('depth is counted over siblings, not summed', () => {
    expect(() => assertJsonDepth('[[1],[2],[3],{"a":4},[[]]]', 3)).not.toThrow();
  });

  it('brackets inside strings, escaped quotes included, do not count', () => {
    expect(() => assertJsonDepth('{"a":"[[[[{{{{"}', 1)).not.toThrow();
    expect(() => assertJsonDepth('{"a":"\\"[[[[", "b":"\\\\"}', 1)).not.toThrow();
    // After an escaped backslash the string ends: the bracket after it counts.
    expect(() => assertJsonDepth('{"a":"\\\\",  "b":[1]}', 1)).toThrow(JsonTooDeepError);
  });

  it('a 100,000-deep text is refused without recursion', () => {
    expect(() => assertJsonDepth('['.repeat(100_000), DEFAULT_ANSWER_LIMITS.maxRequestJsonDepth)).toThrow(
      JsonTooDeepError,
    );
  });
});

describe('answerTooLarge and ByteBudget', () => {
  it('names what was too large and the setting to raise, as a 502 api_error', () => {
    const err = answerTooLarge('a stream line', 42, 'maxSseLineBytes');
    expect(err.status).toBe(502);
    expect(err.type).toBe('api_error');
    expect(err.message).toContain('more than 42 bytes of a stream line');
    expect(err.message).toContain('server.limits.maxSseLineBytes');
  });

  it('takes bytes up to the limit and throws past it', () => {
    const budget = new ByteBudget(10, 'x', 'maxResponseBytes');
    budget.take(4);
    budget.take(6);
    expect(() => budget.take(1)).toThrow(/more than 10 bytes of x/);
  });
});

async function* chunksOf(...parts: Uint8Array[]) {
  for (const p of parts) yield p;
}

describe('readBoundedText', () => {
  it('joins a multi-byte character split across chunks', async () => {
    const bytes = new TextEncoder().encode('héllo ✓');
    const body = chunksOf(bytes.slice(0, 2), bytes.slice(2, 7), bytes.slice(7));
    expect(await readBoundedText(body, 100)).toBe('héllo ✓');
  });

  it('refuses a body past the limit and destroys it', async () => {
    let destroyed = false;
    const body = Object.assign(chunksOf(new Uint8Array(6), new Uint8Array(6), new Uint8Array(6)), {
      destroy: () => {
        destroyed = true;
      },
    });
    await expect(readBoundedText(body, 10)).rejects.toThrow(/more than 10 bytes of a non-streaming answer/);
    expect(destroyed).toBe(true);
  });

  it('a body that fails while read is destroyed and its error passed on', async () => {
    let destroyed = false;
    async function* failing() {
      yield new Uint8Array(1);
      throw new Error('socket hang up');
    }
    const body = Object.assign(failing(), { destroy: () => (destroyed = true) });
    await expect(readBoundedText(body, 10)).rejects.toThrow('socket hang up');
    expect(destroyed).toBe(true);
  });
});
