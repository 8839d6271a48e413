// Context management through the running bridge (design.md §4.5): exact counts from the upstream
// in message_start and count_tokens, max_tokens clamped to what the context leaves, `prompt is too
// long` without calling the upstream, overflow wordings rewritten, Ollama truncation reported.
import { afterEach, describe, expect, it } from 'vitest';
import { planOutputTokens } from '../../src/bridge/context/clamp.js';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { startFakeLlama, startFakeOllama, startFakeVllm } from '../support/fake-upstream/index.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function bridgeTo(url: string, extra: Record<string, unknown> = {}): Promise<RunningBridge> {
  const bridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 }, upstreams: [{ url, ...extra }] }),
    logger: silentLogger,
  });
  closers.push(async () => {
    await bridge.close();
  });
  return bridge;
}

const post = (bridge: RunningBridge, path: string, body: Record<string, unknown>) =>
  fetch(`${bridge.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const completion = (promptTokens: number) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: promptTokens, completion_tokens: 1, total_tokens: promptTokens + 1 },
});

describe('llama.cpp upstream (exact counts through /v1/chat/completions/input_tokens)', () => {
  it('reports the exact prompt size in message_start and clamps max_tokens to the context', async () => {
    const upstream = await startFakeLlama({ nCtx: 8192, promptTokens: () => 1000 });
    closers.push(() => upstream.close());
    const bridge = await bridgeTo(upstream.url);
    const res = await post(bridge, '/v1/messages', {
      model: 'claude-opus-4-5',
      max_tokens: 128000,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.headers.get('x-dsb-token-count')).toBe('upstream');
    expect(Number(res.headers.get('x-dsb-overhead-ms'))).toBeGreaterThanOrEqual(0);
    const text = await res.text();
    const start = JSON.parse(
      text
        .split('\n')
        .find((l) => l.startsWith('data: {"type":"message_start"'))!
        .slice(6),
    );
    expect(start.message.usage.input_tokens).toBe(1000);
    const sent = upstream.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body!;
    const expected = planOutputTokens({
      requested: 128000,
      promptTokens: 1000,
      method: 'upstream',
      contextSize: 8192,
    });
    expect(expected.ok && expected.maxTokens).toBe(sent.max_tokens);
    expect(sent.max_tokens as number).toBeLessThanOrEqual(8192 - 1000);
  });

  it('answers count_tokens with the exact count', async () => {
    const upstream = await startFakeLlama({ promptTokens: () => 4321 });
    closers.push(() => upstream.close());
    const bridge = await bridgeTo(upstream.url);
    const res = await post(bridge, '/v1/messages/count_tokens', {
      model: 'x',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(await res.json()).toEqual({ input_tokens: 4321 });
    expect(res.headers.get('x-dsb-token-count')).toBe('upstream');
  });

  it('refuses a prompt that cannot fit with `prompt is too long`, without calling the upstream', async () => {
    const upstream = await startFakeLlama({ nCtx: 8192, promptTokens: () => 9000 });
    closers.push(() => upstream.close());
    const bridge = await bridgeTo(upstream.url);
    const res = await post(bridge, '/v1/messages', {
      model: 'x',
      max_tokens: 32000,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^prompt is too long: 9000 tokens > \d+ maximum$/);
    expect(upstream.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(0);
  });
});

describe('vLLM upstream', () => {
  it('keeps prompt + max_tokens within max_model_len, counted with /tokenize', async () => {
    const vllm = await startFakeVllm({
      'POST /tokenize': () => ({ body: { count: 120000, max_model_len: 131072, tokens: [] } }),
      'POST /v1/chat/completions': () => ({ body: completion(120000) }),
    });
    closers.push(() => vllm.close());
    const bridge = await bridgeTo(vllm.url);
    const res = await post(bridge, '/v1/messages', {
      model: 'claude-opus-4-5',
      max_tokens: 128000,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    const sent = vllm.bodiesOf('POST /v1/chat/completions').at(-1)!;
    expect(sent.model).toBe('deepseek-ai/DeepSeek-V3.2');
    expect((sent.max_tokens as number) + 120000).toBeLessThanOrEqual(131072);
  });

  it('retries once with a smaller max_tokens when vLLM says only max_tokens is too large', async () => {
    let calls = 0;
    const vllm = await startFakeVllm({
      // The bridge's count is low (as with an unknown chat template), so its first max_tokens is too big.
      'POST /tokenize': () => ({ body: { count: 1000, max_model_len: 131072, tokens: [] } }),
      'POST /v1/chat/completions': (body) => {
        calls++;
        if ((body?.max_tokens as number) + 100000 > 131072) {
          return {
            status: 400,
            body: {
              error: {
                message: `'max_tokens' or 'max_completion_tokens' is too large: ${body?.max_tokens}. This model's maximum context length is 131072 tokens and your request has 100000 input tokens (${body?.max_tokens} > 131072 - 100000). None`,
                type: 'BadRequestError',
                param: null,
                code: 400,
              },
            },
          };
        }
        return { body: completion(100000) };
      },
    });
    closers.push(() => vllm.close());
    const bridge = await bridgeTo(vllm.url);
    const res = await post(bridge, '/v1/messages', {
      model: 'x',
      max_tokens: 64000,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(calls).toBe(2);
    expect(vllm.bodiesOf('POST /v1/chat/completions').at(-1)!.max_tokens).toBe(131072 - 100000 - 16);
  });

  it("rewrites vLLM's overflow wording and looks at the context again afterwards", async () => {
    const vllm = await startFakeVllm({
      'POST /tokenize': () => ({ body: { count: 1000, max_model_len: 131072, tokens: [] } }),
      'POST /v1/chat/completions': () => ({
        status: 400,
        body: {
          object: 'error',
          message:
            "This model's maximum context length is 131072 tokens. However, you requested 131329 tokens (123137 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.",
          type: 'BadRequestError',
          param: null,
          code: 400,
        },
      }),
    });
    closers.push(() => vllm.close());
    const bridge = await bridgeTo(vllm.url);
    const res = await post(bridge, '/v1/messages', {
      model: 'x',
      max_tokens: 8192,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'prompt is too long: 131329 tokens > 131072 maximum',
    );
    const before = vllm.hitCount('GET /v1/models');
    await post(bridge, '/v1/messages', {
      model: 'x',
      max_tokens: 8192,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(vllm.hitCount('GET /v1/models')).toBeGreaterThan(before);
  });
});

describe('Ollama upstream', () => {
  it('notices silent truncation and reports it in /health', async () => {
    const ollama = await startFakeOllama({ loaded: undefined });
    // Ollama's OpenAI layer cuts the prompt to its num_ctx and says so only in usage.
    ollama.routes.set('POST /v1/chat/completions', () => ({ body: completion(2048) }));
    closers.push(() => ollama.close());
    const bridge = await bridgeTo(ollama.url, { model: 'deepseek-r1:8b' });
    const long = 'The quick brown fox jumps over the lazy dog. '.repeat(2000);
    const res = await post(bridge, '/v1/messages', {
      model: 'x',
      max_tokens: 1024,
      messages: [{ role: 'user', content: long }],
    });
    expect(res.status).toBe(200);
    const health = (await (await fetch(`${bridge.url}/health`)).json()) as {
      upstreams: Array<{ kind: string; warnings: string[] }>;
    };
    expect(health.upstreams[0]!.kind).toBe('ollama');
    expect(health.upstreams[0]!.warnings.join(' ')).toMatch(/num_ctx|OLLAMA_CONTEXT_LENGTH/);
  });
});
