// callUpstream() without a socket: each Upstream's request() is scripted (the lease counting in
// Upstream.call is the real one), so failover, the smaller-max_tokens retry, overflow and the
// outstanding counts are checked step by step.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessagesRequest } from '../../../src/bridge/anthropic/schema.js';
import { callUpstream } from '../../../src/bridge/http/call.js';
import type { RequestLogEntry } from '../../../src/bridge/log.js';
import type { Upstream, UpstreamResponse } from '../../../src/bridge/upstream.js';
import { isDsbError } from '../../../src/errors.js';
import { type TestState, testState } from '../../support/bridge-state.js';

let t: TestState | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const request = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1000,
  stream: true,
  messages: [{ role: 'user', content: 'hi' }],
} as MessagesRequest;
const log = (): RequestLogEntry => ({ method: 'POST', path: '/v1/messages', status: 0, durationMs: 0 });

type Step = { status: number; body?: string } | { refuse: string };

/** Scripts an upstream's answers in order; returns the bodies it was sent. */
function script(u: Upstream, steps: Step[]): string[] {
  const sent: string[] = [];
  vi.spyOn(u, 'request').mockImplementation(async (_m, _p, body): Promise<UpstreamResponse> => {
    sent.push(body ?? '');
    const step = steps.shift();
    if (!step) throw new Error('unscripted request');
    if ('refuse' in step) throw Object.assign(new Error(`connect ${step.refuse}`), { code: step.refuse });
    const text = step.body ?? '';
    const answer = {
      async *[Symbol.asyncIterator]() {
        yield Buffer.from(text);
      },
    };
    return { status: step.status, headers: {}, body: answer as unknown as UpstreamResponse['body'] };
  });
  return sent;
}

function replicas() {
  t = testState(
    [
      { name: 'a', url: 'http://127.0.0.1:1', facts: { contextSize: 8192, promptTokens: 100 } },
      { name: 'b', url: 'http://127.0.0.1:2', facts: { contextSize: 8192, promptTokens: 100 } },
    ],
    { models: { 'claude-sonnet-4-5': { upstreams: ['a', 'b'] } } },
  );
  const [a, b] = t.state.upstreams as [Upstream, Upstream];
  return { state: t.state, a, b, route: t.state.router.resolve('claude-sonnet-4-5') };
}

const signal = () => new AbortController().signal;

describe('callUpstream', () => {
  it('returns the call holding a lease on the upstream until it is released', async () => {
    const { state, a, route } = replicas();
    script(a, [{ status: 200 }]);
    const call = await callUpstream(state, request, route, { signal: signal(), log: log() });
    expect(call?.upstream).toBe(a);
    expect(a.outstanding).toBe(1);
    call?.release();
    call?.release();
    expect(a.outstanding).toBe(0);
  });

  it('fails over to the next replica when one refuses the connection, and marks it failed', async () => {
    const { state, a, b, route } = replicas();
    script(a, [{ refuse: 'ECONNREFUSED' }]);
    script(b, [{ status: 200 }]);
    const entry = log();
    const call = await callUpstream(state, request, route, { signal: signal(), log: entry });
    expect(call?.upstream).toBe(b);
    expect(entry.upstream).toBe(b.url);
    expect([a.outstanding, b.outstanding]).toEqual([0, 1]);
    expect(state.router.isHealthy(a)).toBe(false);
  });

  it('fails over on a retryable status; when every replica fails, the last error is the answer', async () => {
    const { state, a, b, route } = replicas();
    script(a, [{ status: 503, body: '{"error":{"message":"busy"}}' }]);
    script(b, [{ status: 502, body: 'bad gateway' }]);
    const err = await callUpstream(state, request, route, { signal: signal(), log: log() }).catch((e) => e);
    expect(err.status).toBe(502);
    expect(err.message).toContain('http://127.0.0.1:2');
    expect([a.outstanding, b.outstanding]).toEqual([0, 0]);
  });

  it('a 400 the next replica cannot fix is the answer at once', async () => {
    const { state, a, b, route } = replicas();
    script(a, [{ status: 400, body: '{"error":{"message":"bad field"}}' }]);
    const sentToB = script(b, []);
    const err = await callUpstream(state, request, route, { signal: signal(), log: log() }).catch((e) => e);
    expect([err.status, sentToB.length]).toEqual([400, 0]);
  });

  it('asks the same upstream again, once, with the max_tokens it says is left', async () => {
    const { state, a, route } = replicas();
    const vllm =
      "'max_tokens' or 'max_completion_tokens' is too large: 1000. This model's maximum context length is 1024 tokens and your request has 500 input tokens (1000 > 1024 - 500)";
    const sent = script(a, [{ status: 400, body: JSON.stringify({ message: vllm }) }, { status: 200 }]);
    const call = await callUpstream(state, request, route, { signal: signal(), log: log() });
    expect(call?.upstream).toBe(a);
    expect(JSON.parse(sent[1]!).max_tokens).toBe(1024 - 500 - 16);
    expect(call?.warnings[0]).toBe(`upstream refused max_tokens 1000; retried with ${1024 - 500 - 16}`);
  });

  it('an overflow error becomes PROMPT_TOO_LONG and makes the bridge look at the context again', async () => {
    const { state, a, route } = replicas();
    const overflow = JSON.stringify({
      error: { type: 'exceed_context_size_error', message: 'too long', n_prompt_tokens: 9000, n_ctx: 8192 },
    });
    script(a, [{ status: 400, body: overflow }]);
    const err = await callUpstream(state, request, route, { signal: signal(), log: log() }).catch((e) => e);
    expect(isDsbError(err, 'PROMPT_TOO_LONG')).toBe(true);
    expect(err.message).toBe('prompt is too long: 9000 tokens > 8192 maximum');
    expect(t!.runtime(a).invalidations).toBe(1);
  });

  it('sends nothing when beforeSend answered (a cache hit), and nothing more once aborted', async () => {
    const { state, a, route } = replicas();
    const sent = script(a, []);
    expect(
      await callUpstream(state, request, route, { signal: signal(), log: log(), beforeSend: () => true }),
    ).toBe(undefined);
    expect(sent).toEqual([]);
    const controller = new AbortController();
    vi.spyOn(a, 'request').mockImplementation(async () => {
      controller.abort();
      throw Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' });
    });
    expect(await callUpstream(state, request, route, { signal: controller.signal, log: log() })).toBe(
      undefined,
    );
    expect(a.outstanding).toBe(0);
  });
});
