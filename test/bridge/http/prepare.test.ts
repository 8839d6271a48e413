// prepare() without a socket: model choice, request policy, reasoning placeholders, the count and
// the max_tokens clamp, for one upstream whose facts are scripted.
import { afterEach, describe, expect, it } from 'vitest';
import type { MessagesRequest } from '../../../src/bridge/anthropic/schema.js';
import { modelFor, prepare } from '../../../src/bridge/http/prepare.js';
import { REASONING_PLACEHOLDER } from '../../../src/bridge/profile.js';
import { isDsbError } from '../../../src/errors.js';
import { type TestState, testState } from '../../support/bridge-state.js';

let t: TestState | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const request = (extra: Partial<MessagesRequest> = {}): MessagesRequest =>
  ({
    model: 'claude-sonnet-4-5',
    max_tokens: 1000,
    messages: [{ role: 'user', content: 'hi' }],
    ...extra,
  }) as MessagesRequest;

const signal = new AbortController().signal;

describe('prepare', () => {
  it("sends the route's model, counts the prompt and keeps a max_tokens that fits", async () => {
    t = testState([{ url: 'http://127.0.0.1:1', facts: { contextSize: 8192, promptTokens: 100 } }]);
    const u = t.state.upstreams[0]!;
    const route = { model: 'mapped-model', upstreams: [u], source: 'exact' as const };
    const p = await prepare(t.state, request(), route, u, signal);
    expect([p.model, p.promptTokens, p.countMethod, p.contextSize]).toEqual([
      'mapped-model',
      100,
      'upstream',
      8192,
    ]);
    expect(p.converted.request.max_tokens).toBe(1000);
    expect(JSON.parse(p.body)).toMatchObject({ model: 'mapped-model', max_tokens: 1000 });
    expect(p.warnings).toEqual([]);
  });

  it("without a model in the route: the upstream's configured model", async () => {
    t = testState([{ url: 'http://127.0.0.1:1', model: 'gguf-model' }]);
    const u = t.state.upstreams[0]!;
    const route = { model: undefined, upstreams: [u], source: 'default' as const };
    expect(await modelFor(t.state, route, u, 'claude-x')).toBe('gguf-model');
    const p = await prepare(t.state, request(), route, u, signal);
    expect(p.model).toBe('gguf-model');
    // A model that fell back to the default route is logged once, not per request.
    await prepare(t.state, request(), route, u, signal);
    expect(t.lines.filter((l) => l.message.includes('not in the model map'))).toHaveLength(1);
  });

  it('clamps max_tokens to what the context leaves, and says so', async () => {
    t = testState([{ url: 'http://127.0.0.1:1', facts: { contextSize: 4096, promptTokens: 3000 } }]);
    const u = t.state.upstreams[0]!;
    const route = t.state.router.resolve('x');
    const p = await prepare(t.state, request({ max_tokens: 32000 }), route, u, signal);
    expect(p.converted.request.max_tokens).toBeLessThan(4096 - 3000);
    expect(p.warnings).toContain(`max_tokens 32000 → ${p.converted.request.max_tokens}`);
  });

  it('a max_tokens the upstream said it accepts (outputLimit) lowers it further', async () => {
    t = testState([{ url: 'http://127.0.0.1:1', facts: { contextSize: 8192, promptTokens: 100 } }]);
    const u = t.state.upstreams[0]!;
    const p = await prepare(t.state, request(), t.state.router.resolve('x'), u, signal, 77);
    expect(p.converted.request.max_tokens).toBe(77);
  });

  it('refuses a prompt that cannot fit with PROMPT_TOO_LONG, the wording Claude Code compacts on', async () => {
    t = testState([{ url: 'http://127.0.0.1:1', facts: { contextSize: 4096, promptTokens: 5000 } }]);
    const u = t.state.upstreams[0]!;
    const err = await prepare(t.state, request(), t.state.router.resolve('x'), u, signal).catch((e) => e);
    expect(isDsbError(err, 'PROMPT_TOO_LONG')).toBe(true);
    expect(err.message).toMatch(/^prompt is too long: 5000 tokens > \d+ maximum$/);
  });

  it('applies the forced tool_choice policy of the upstream (DeepSeek API: thinking off)', async () => {
    t = testState([
      { url: 'http://127.0.0.1:1', kind: 'deepseek-api', facts: { promptTokens: 10, kind: 'deepseek-api' } },
    ]);
    const u = t.state.upstreams[0]!;
    const forced = request({
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tool_choice: { type: 'any' },
      tools: [{ name: 'Read', input_schema: { type: 'object' } }],
    } as Partial<MessagesRequest>);
    const p = await prepare(t.state, forced, t.state.router.resolve('x'), u, signal);
    expect(p.warnings).toContain('forced tool_choice: thinking turned off for this request');
    expect(p.converted.request).toMatchObject({ thinking: { type: 'disabled' } });
  });

  it('sends the placeholder for reasoning it does not remember (DeepSeek API), counts and logs it', async () => {
    t = testState([
      { url: 'http://127.0.0.1:1', kind: 'deepseek-api', facts: { promptTokens: 10, kind: 'deepseek-api' } },
    ]);
    const u = t.state.upstreams[0]!;
    const withToolTurn = request({
      messages: [
        { role: 'user', content: 'read it' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'x' }] },
      ],
    } as Partial<MessagesRequest>);
    const p = await prepare(t.state, withToolTurn, t.state.router.resolve('x'), u, signal);
    expect(p.warnings).toContain('reasoning of 1 tool-call turn(s) not in the cache: placeholder sent');
    expect(p.body).toContain(REASONING_PLACEHOLDER);
    expect(t.lines.some((l) => l.level === 'warn' && l.fields?.turns === 1)).toBe(true);
    // Remembered reasoning is sent instead, with no warning.
    t.state.reasoningCache.remember(['toolu_1'], 'I should read it.');
    const again = await prepare(t.state, withToolTurn, t.state.router.resolve('x'), u, signal);
    expect(again.warnings).toEqual([]);
    expect(again.body).toContain('I should read it.');
  });
});
