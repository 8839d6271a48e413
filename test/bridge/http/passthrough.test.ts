// The OpenAI pass-through's request steps without a socket: body parsing and the max_tokens clamp.
import { afterEach, describe, expect, it } from 'vitest';
import { clampChatBody, parseChatBody } from '../../../src/bridge/http/passthrough.js';
import { type TestState, testState } from '../../support/bridge-state.js';

let t: TestState | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('parseChatBody', () => {
  it('takes a JSON object and refuses anything else with the reason', () => {
    expect(parseChatBody('{"model":"m"}')).toEqual({ body: { model: 'm' } });
    expect(parseChatBody('[1]')).toEqual({ error: 'request body is not valid JSON: expected a JSON object' });
    expect('error' in parseChatBody('{')).toBe(true);
  });
});

describe('clampChatBody', () => {
  const messages = [{ role: 'user', content: 'hi' }];

  it('lowers max_tokens (or max_completion_tokens) to what the context leaves', async () => {
    t = testState([{ url: 'http://127.0.0.1:1', facts: { contextSize: 4096, promptTokens: 3000 } }]);
    const u = t.state.upstreams[0]!;
    const body: Record<string, unknown> = { messages, max_tokens: 32000 };
    await clampChatBody(t.state, u, body);
    expect(body.max_tokens).toBeLessThan(1096);
    const newer: Record<string, unknown> = { messages, max_completion_tokens: 32000, max_tokens: 5 };
    await clampChatBody(t.state, u, newer);
    expect([(newer.max_completion_tokens as number) < 1096, newer.max_tokens]).toEqual([true, 5]);
  });

  it('leaves a body that fits, or that names no limit, as it is', async () => {
    t = testState([{ url: 'http://127.0.0.1:1', facts: { contextSize: 8192, promptTokens: 100 } }]);
    const u = t.state.upstreams[0]!;
    const fits: Record<string, unknown> = { messages, max_tokens: 500 };
    await clampChatBody(t.state, u, fits);
    expect(fits.max_tokens).toBe(500);
    const none: Record<string, unknown> = { messages };
    await clampChatBody(t.state, u, none);
    expect(none).toEqual({ messages });
  });
});
