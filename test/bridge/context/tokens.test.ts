// TokenCounter against fake llama-server / vLLM endpoints through the real Upstream, and the local
// DeepSeek tokenizer (loaded once for this file, ~0.2 s).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { estimatePromptTokens } from '../../../src/bridge/context/estimate.js';
import {
  countPromptLocally,
  countTextLocally,
  LOCAL_TOKENS_PER_MESSAGE,
  LOCAL_TOKENS_PER_PROMPT,
  loadLocalTokenizer,
  localTokenizerStats,
} from '../../../src/bridge/context/local-tokenizer.js';
import {
  completionBodyFrom,
  countingBody,
  serializeCountingBody,
  TokenCounter,
} from '../../../src/bridge/context/tokens.js';
import type { ChatCompletionRequest } from '../../../src/bridge/openai/types.js';
import type { Upstream } from '../../../src/bridge/upstream.js';
import type { UpstreamKind } from '../../../src/upstreams/kind.js';
import {
  type FakeUpstream,
  fixture,
  fixtureJson,
  startFakeLlamaDiscovery,
  startFakeVllm,
  upstreamFor,
} from '../../support/fake-upstream/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
async function track(server: Promise<FakeUpstream>): Promise<FakeUpstream> {
  const s = await server;
  cleanups.push(() => s.close());
  return s;
}
function upstream(url: string): Upstream {
  const u = upstreamFor(url);
  cleanups.push(() => u.close());
  return u;
}
const kindIs = (kind: UpstreamKind | undefined) => () => kind;

beforeAll(async () => {
  expect(await loadLocalTokenizer()).toBeDefined();
});

/** The request recorded as 17_chat_input_tokens / 04c_apply_template (input_tokens: 56). */
/**
 * Tests that are not about the counting time box give it a hang-catching length: the default 2 s
 * can run out on a busy machine, and the count would silently come from the local tokenizer.
 */
const UNHURRIED = { timeoutMs: 20_000 };

const recorded = fixtureJson('17_chat_input_tokens.req.json') as unknown as ChatCompletionRequest;

describe('llama.cpp: exact counts', () => {
  it('asks /v1/chat/completions/input_tokens with the chat body', async () => {
    const fake = await track(
      startFakeLlamaDiscovery({
        'POST /v1/chat/completions/input_tokens': () => ({
          body: fixture('17_chat_input_tokens.body'),
          type: 'application/json; charset=utf-8',
        }),
      }),
    );
    const counter = new TokenCounter(upstream(fake.url), kindIs('llama.cpp'), UNHURRIED);
    const count = await counter.count({ ...recorded, stream: true, stream_options: { include_usage: true } });
    expect(count).toEqual({
      tokens: 56,
      method: 'upstream',
      detail: 'llama.cpp /v1/chat/completions/input_tokens',
      anchor: { key: expect.any(String) },
    });
    const sent = fake.bodiesOf('POST /v1/chat/completions/input_tokens')[0];
    expect(sent).toEqual({ model: 'tiny', messages: recorded.messages }); // streaming options left out
    await counter.count(recorded);
    expect(fake.hitCount('POST /v1/chat/completions/input_tokens')).toBe(2);
    expect(fake.hitCount('POST /apply-template')).toBe(0);
  });

  it('an older build (404 on input_tokens): /apply-template then /tokenize, and remembers', async () => {
    const prompt = JSON.parse(fixture('04c_apply_template.body')).prompt as string;
    const fake = await track(
      startFakeLlamaDiscovery({
        'POST /apply-template': () => ({
          body: fixture('04c_apply_template.body'),
          type: 'application/json; charset=utf-8',
        }),
        // 42 token ids, in /tokenize's shape without pieces.
        'POST /tokenize': (body) =>
          body?.content === prompt
            ? { body: { tokens: Array.from({ length: 42 }, (_, i) => 1000 + i) } }
            : { status: 400, body: {} },
      }),
    );
    const counter = new TokenCounter(upstream(fake.url), kindIs('llama.cpp'), UNHURRIED);
    expect(await counter.count(recorded)).toEqual({
      tokens: 42,
      method: 'upstream',
      detail: 'llama.cpp /apply-template + /tokenize',
      anchor: { key: expect.any(String) },
    });
    expect(fake.bodiesOf('POST /apply-template')[0]).toMatchObject({ messages: recorded.messages });
    expect(fake.bodiesOf('POST /tokenize')[0]).toEqual({
      content: prompt,
      add_special: true,
      parse_special: true,
    });
    await counter.count(recorded);
    await counter.count(recorded);
    expect(fake.hitCount('POST /v1/chat/completions/input_tokens')).toBe(1); // not tried again
    expect(fake.hitCount('POST /apply-template')).toBe(3);
    expect(counter.usableMethods()).toEqual(['llama.cpp /apply-template + /tokenize']);
  });

  it('neither endpoint: the local tokenizer, and the upstream is not asked again', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    const counter = new TokenCounter(upstream(fake.url), kindIs('llama.cpp'), UNHURRIED);
    const count = await counter.count(recorded);
    expect(count.method).toBe('local');
    expect(count.tokens).toBe(await countPromptLocally(recorded));
    const hits = fake.totalHits();
    await counter.count(recorded);
    expect(fake.totalHits()).toBe(hits);
  });

  it('a hanging input_tokens endpoint: falls back after the time box, then skips it for a while', async () => {
    let now = 0;
    const fake = await track(
      startFakeLlamaDiscovery({
        'POST /v1/chat/completions/input_tokens': () => ({ hang: true }),
        'POST /apply-template': () => ({ body: fixture('04c_apply_template.body') }),
        'POST /tokenize': () => ({ body: { tokens: [1, 2, 3, 4, 5] } }),
      }),
    );
    const counter = new TokenCounter(upstream(fake.url), kindIs('llama.cpp'), {
      timeoutMs: 200,
      retryAfterMs: 30_000,
      now: () => now,
    });
    const started = performance.now();
    expect(await counter.count(recorded)).toMatchObject({
      tokens: 5,
      detail: 'llama.cpp /apply-template + /tokenize',
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    // Not tried again before the retry delay: the second count does not wait on the hanging route.
    await counter.count(recorded);
    expect(fake.hitCount('POST /v1/chat/completions/input_tokens')).toBe(1);
    now = 31_000;
    await counter.count(recorded);
    expect(fake.hitCount('POST /v1/chat/completions/input_tokens')).toBe(2); // tried again later
  });

  it('a 500 is not taken for "unsupported"', async () => {
    const fake = await track(
      startFakeLlamaDiscovery({
        'POST /v1/chat/completions/input_tokens': () => ({ status: 500, body: fixture('24_bad_json.body') }),
      }),
    );
    const counter = new TokenCounter(upstream(fake.url), kindIs('llama.cpp'), {
      ...UNHURRIED,
      retryAfterMs: 0,
    });
    expect((await counter.count(recorded)).method).toBe('local');
    expect(counter.usableMethods()).toContain('llama.cpp /v1/chat/completions/input_tokens');
  });
});

describe('vLLM: /tokenize with messages', () => {
  it('sends model, messages, tools and the generation prompt; reads count', async () => {
    const fake = await track(
      startFakeVllm({
        'POST /tokenize': (body) => ({
          body: {
            count: 1234,
            max_model_len: 131072,
            tokens: Array.from({ length: 1234 }, (_, i) => i),
            token_strs: null,
          },
          status: Array.isArray(body?.messages) ? 200 : 400,
        }),
      }),
    );
    const request: ChatCompletionRequest = {
      model: 'deepseek-ai/DeepSeek-V3.2',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'Read', parameters: { type: 'object' } } }],
      chat_template_kwargs: { thinking: true },
      stream: true,
    };
    const count = await new TokenCounter(upstream(fake.url), kindIs('vllm'), UNHURRIED).count(request);
    expect(count).toEqual({
      tokens: 1234,
      method: 'upstream',
      detail: 'vLLM /tokenize',
      anchor: { key: expect.any(String) },
    });
    expect(fake.bodiesOf('POST /tokenize')[0]).toEqual({
      model: 'deepseek-ai/DeepSeek-V3.2',
      messages: request.messages,
      tools: request.tools,
      chat_template_kwargs: { thinking: true },
      add_generation_prompt: true,
    });
  });
});

describe('kinds that cannot count, and options', () => {
  it('unknown kind or Ollama: local tokenizer, no upstream calls', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    for (const kind of [undefined, 'ollama', 'sglang', 'deepseek-api'] as const) {
      const count = await new TokenCounter(upstream(fake.url), kindIs(kind), UNHURRIED).count(recorded);
      expect(count.method).toBe('local');
    }
    expect(fake.totalHits()).toBe(0);
  });

  it('local off: the estimate, labelled', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    const count = await new TokenCounter(upstream(fake.url), kindIs('ollama'), { local: false }).count(
      recorded,
    );
    expect(count).toMatchObject({ method: 'estimate', tokens: estimatePromptTokens(recorded) });
  });

  it('upstream off: local even for llama.cpp', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    const count = await new TokenCounter(upstream(fake.url), kindIs('llama.cpp'), { upstream: false }).count(
      recorded,
    );
    expect(count.method).toBe('local');
    expect(fake.totalHits()).toBe(0);
  });
});

describe('local DeepSeek tokenizer', () => {
  it('encodes a known sentence to 7 tokens', async () => {
    expect(await countTextLocally('Hello world. How are you?')).toBe(7);
  });

  it('counts a prompt as content plus per-message and per-prompt template allowances', async () => {
    const tokens = await countPromptLocally({
      messages: [{ role: 'user', content: 'Hello world. How are you?' }],
    });
    expect(tokens).toBe(7 + LOCAL_TOKENS_PER_MESSAGE + LOCAL_TOKENS_PER_PROMPT);
  });

  it('a growing conversation only encodes its new messages', async () => {
    const messages: ChatCompletionRequest['messages'] = [
      { role: 'system', content: `You are a coding agent. ${'Rules apply. '.repeat(200)}` },
      { role: 'user', content: 'Read src/index.ts' },
    ];
    const before = localTokenizerStats().messagesEncoded;
    const first = await countPromptLocally({ messages });
    expect(localTokenizerStats().messagesEncoded - before).toBe(2);
    messages.push(
      {
        role: 'assistant',
        content: null,
        reasoning_content: 'I should read the file.',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'Read', arguments: '{"file_path":"src/index.ts"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'export const x = 1;\n' },
    );
    const second = await countPromptLocally({ messages });
    expect(localTokenizerStats().messagesEncoded - before).toBe(4);
    expect(second!).toBeGreaterThan(first!);
    await countPromptLocally({ messages });
    expect(localTokenizerStats().messagesEncoded - before).toBe(4);
  });

  it('long texts are encoded in pieces with the same count as in one go (within 0.1 %)', async () => {
    const code = fixture('02_props.body');
    const long = `${code}\n`.repeat(40); // ~180 KB, split at newlines
    const whole = (await loadLocalTokenizer())!.count(long); // the same tokenizer, in one go
    const pieced = (await countTextLocally(long))!;
    expect(Math.abs(pieced - whole) / whole).toBeLessThan(0.001);
  });

  it('counts Chinese text at its real size (the estimate would undercount at 3 chars/token)', async () => {
    const zh = '这是一个用于测试分词器的中文句子，我们想知道每个汉字大约对应多少个词元。';
    const local = (await countTextLocally(zh))!;
    expect(local).toBe(18);
    expect(estimatePromptTokens({ messages: [{ role: 'user', content: zh }] })).toBeGreaterThanOrEqual(local);
  });
});

describe('one serialization per request: the completion body from the counting body', () => {
  const base: ChatCompletionRequest = {
    model: 'deepseek-v3',
    messages: [
      { role: 'system', content: 'You are "terse".\n' },
      { role: 'user', content: 'ünïcode ✓ and a } brace' },
    ],
    tools: [{ type: 'function', function: { name: 'Read', parameters: { type: 'object', properties: {} } } }],
  };
  const variants: ChatCompletionRequest[] = [
    base,
    { ...base, max_tokens: 32000 },
    { ...base, max_tokens: 1, stream: true, stream_options: { include_usage: true } },
    { ...base, stream: false },
  ];
  it.each(variants.map((v, i) => [i, v] as const))(
    'variant %i parses back to the request itself',
    (_, request) => {
      const countingJson = JSON.stringify(countingBody(request));
      expect(JSON.parse(countingJson)).not.toHaveProperty('max_tokens');
      expect(JSON.parse(countingJson)).not.toHaveProperty('stream');
      expect(JSON.parse(completionBodyFrom(countingJson, request))).toEqual(request);
    },
  );
});

describe('serializeCountingBody', () => {
  it('is byte for byte JSON.stringify(countingBody(request)), with each message serialized once', () => {
    const request = {
      model: 'm',
      messages: [
        { role: 'system', content: 'sys "quoted" \u2028' },
        { role: 'user', content: [{ type: 'text', text: '中文' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      temperature: undefined,
      max_tokens: 10,
      stream: true,
      stream_options: { include_usage: true },
      chat_template_kwargs: { thinking: true },
    } as unknown as ChatCompletionRequest;
    const serialized = serializeCountingBody(request);
    expect(serialized.json).toBe(JSON.stringify(countingBody(request)));
    expect(serialized.messageJsons).toEqual(request.messages.map((m) => JSON.stringify(m)));
  });
});
