// An upstream's run-time facts: its kind (configured, else discovered), the profile that follows
// from it, and how it counts tokens. Against the fake llama-server on a loopback port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASONING_PLACEHOLDER, upstreamProfile } from '../../src/bridge/profile.js';
import { UpstreamRuntime } from '../../src/bridge/runtime.js';
import { Upstream } from '../../src/bridge/upstream.js';
import { serverSchema, upstreamSchema } from '../../src/config/schema.js';
import { type FakeUpstream, startFakeLlama } from '../support/fake-upstream/index.js';

const server = serverSchema.parse({});
const runtime = (config: Record<string, unknown>) =>
  new UpstreamRuntime(new Upstream(upstreamSchema.parse({ url: 'http://127.0.0.1:9', ...config }), server));

const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hello there' }] };

describe('UpstreamRuntime without discovery', () => {
  it('a configured kind is the kind, and sets the profile', () => {
    const api = runtime({ kind: 'deepseek-api' });
    expect(api.kind()).toBe('deepseek-api');
    expect(api.profile()).toEqual({
      thinkingStyle: 'deepseek-api',
      reasoningReplay: 'placeholder',
      forcedToolChoice: 'disable-thinking',
      salvageToolCalls: false,
    });
    expect(runtime({ kind: 'ollama' }).profile().thinkingStyle).toBe('none');
    expect(runtime({ kind: 'vllm', thinkingStyle: 'none' }).profile().thinkingStyle).toBe('none');
    expect(REASONING_PLACEHOLDER).toMatch(/not available/);
  });

  it('auto: no kind until discovery has run; the profile is the generic one meanwhile', () => {
    const auto = runtime({});
    expect(auto.kind()).toBeUndefined();
    expect(auto.profile()).toEqual(upstreamProfile(upstreamSchema.parse({ url: 'http://x' }), undefined));
  });

  it('tokenCounting "estimate" never asks the upstream (port 9 is closed) and says it estimated', async () => {
    const count = await runtime({ kind: 'llama.cpp', tokenCounting: 'estimate' }).count(request);
    expect(count.method).toBe('estimate');
    expect(count.tokens).toBeGreaterThan(0);
  });
});

describe('UpstreamRuntime with a llama-server', () => {
  let llama: FakeUpstream;
  beforeAll(async () => {
    llama = await startFakeLlama({ nCtx: 8192 });
  });
  afterAll(async () => {
    await llama?.close();
  });

  it('discovers the kind and context; the profile follows the kind', async () => {
    const rt = runtime({ url: llama.url });
    const facts = await rt.facts();
    expect(facts.kind).toBe('llama.cpp');
    expect(facts.contextSize).toBe(8192);
    expect(rt.kind()).toBe('llama.cpp');
    expect(rt.profile().thinkingStyle).toBe('chat-template');
  });

  it('counts with the upstream when it can, and takes its prompt_tokens back', async () => {
    const rt = runtime({ url: llama.url });
    await rt.facts();
    const count = await rt.count(request);
    expect(count.method).toBe('upstream');
    expect(rt.settleCount(count.anchor, count.tokens)).toBeUndefined();
  });
});
