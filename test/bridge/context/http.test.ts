import { describe, expect, it } from 'vitest';
import { isUnsupportedStatus, postJson, type UpstreamLike } from '../../../src/bridge/context/http.js';

interface Call {
  method: string;
  path: string;
  body: string | undefined;
  signal: AbortSignal | undefined;
  headersTimeoutMs: number | undefined;
}

/** An upstream whose request() answers with `answer` (a status and body text, or a thrown error). */
function fakeUpstream(answer: (call: Call) => Promise<{ status: number; text: string }>) {
  const calls: Call[] = [];
  const upstream = {
    async request(
      method: string,
      path: string,
      body: string | undefined,
      options: { signal?: AbortSignal; headersTimeoutMs?: number } = {},
    ) {
      const call = { method, path, body, signal: options.signal, headersTimeoutMs: options.headersTimeoutMs };
      calls.push(call);
      const { status, text } = await answer(call);
      return { status, body: { text: async () => text } };
    },
  } as unknown as UpstreamLike;
  return { upstream, calls };
}

/** Waits for the call's signal to abort, then fails the way undici does. */
const untilAborted = (call: Call) =>
  new Promise<never>((_, reject) => {
    if (call.signal?.aborted) reject(new Error('This operation was aborted'));
    call.signal?.addEventListener('abort', () => reject(new Error('This operation was aborted')), {
      once: true,
    });
  });

describe('isUnsupportedStatus', () => {
  it('404, 405 and 501 mean the endpoint is absent; other errors do not', () => {
    for (const s of [404, 405, 501]) expect(isUnsupportedStatus(s)).toBe(true);
    for (const s of [0, 200, 400, 500, 502, 503]) expect(isUnsupportedStatus(s)).toBe(false);
  });
});

describe('postJson', () => {
  it('POSTs the body as JSON and returns the parsed answer of a 2xx', async () => {
    const { upstream, calls } = fakeUpstream(async () => ({ status: 200, text: '{"tokens":[1,2]}' }));
    expect(await postJson(upstream, '/tokenize', { content: 'hi' }, { timeoutMs: 1000 })).toEqual({
      ok: true,
      status: 200,
      json: { tokens: [1, 2] },
    });
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/tokenize',
      body: '{"content":"hi"}',
      headersTimeoutMs: 1000,
    });
  });

  it('a string body is sent as it is (already serialized)', async () => {
    const { upstream, calls } = fakeUpstream(async () => ({ status: 200, text: '{}' }));
    await postJson(upstream, '/x', '{"a":1}', { timeoutMs: 10.2 });
    expect(calls[0]?.body).toBe('{"a":1}');
    expect(calls[0]?.headersTimeoutMs).toBe(11); // whole milliseconds, rounded up
  });

  it('a 2xx whose body is empty or not JSON is not ok; an error status keeps its JSON', async () => {
    for (const text of ['', 'not json']) {
      const { upstream } = fakeUpstream(async () => ({ status: 200, text }));
      expect(await postJson(upstream, '/x', {}, { timeoutMs: 1000 })).toEqual({
        ok: false,
        status: 200,
        json: undefined,
      });
    }
    const { upstream } = fakeUpstream(async () => ({ status: 404, text: '{"error":"no"}' }));
    expect(await postJson(upstream, '/x', {}, { timeoutMs: 1000 })).toEqual({
      ok: false,
      status: 404,
      json: { error: 'no' },
    });
  });

  it('a network error is status 0 with its message, never a throw', async () => {
    const { upstream } = fakeUpstream(async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    });
    expect(await postJson(upstream, '/x', {}, { timeoutMs: 1000 })).toEqual({
      ok: false,
      status: 0,
      timedOut: false,
      error: 'connect ECONNREFUSED 127.0.0.1:9',
    });
  });

  it('an upstream that never answers is cut at the timeout and says so', async () => {
    const { upstream } = fakeUpstream(untilAborted);
    const result = await postJson(upstream, '/x', {}, { timeoutMs: 1 });
    expect(result).toMatchObject({ ok: false, status: 0, timedOut: true });
  });

  it("the caller's signal aborts the call (already aborted, or later), which is not a timeout", async () => {
    const before = fakeUpstream(untilAborted);
    const aborted = AbortSignal.abort();
    // An already-aborted signal: the request is made with an aborted signal and fails at once.
    const r1 = await postJson(before.upstream, '/x', {}, { timeoutMs: 60_000, signal: aborted });
    expect(before.calls[0]?.signal?.aborted).toBe(true);
    expect(r1).toMatchObject({ ok: false, status: 0, timedOut: false });
    const later = fakeUpstream(untilAborted);
    const controller = new AbortController();
    const pending = postJson(later.upstream, '/x', {}, { timeoutMs: 60_000, signal: controller.signal });
    await Promise.resolve();
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, status: 0, timedOut: false });
  });
});
