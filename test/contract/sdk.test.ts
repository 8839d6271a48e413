// Contract tests: the real @anthropic-ai/sdk client against the bridge on port 0, with a fake
// upstream that sends exactly what llama-server sends (recorded exchanges).
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { checkStreamInvariants } from '../../src/probe/invariants.js';
import { type FakeUpstream, startFakeLlama } from '../support/fake-upstream/index.js';

let upstream: FakeUpstream;
let bridge: RunningBridge;
let demoBridge: RunningBridge;
let client: Anthropic;

const weatherTool = {
  name: 'get_weather',
  description: 'Get the weather',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

beforeAll(async () => {
  upstream = await startFakeLlama();
  bridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 }, upstreams: [{ url: upstream.url }] }),
    logger: silentLogger,
  });
  demoBridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 } }),
    demo: true,
    logger: silentLogger,
  });
  client = new Anthropic({ baseURL: bridge.url, apiKey: 'dsb', maxRetries: 0 });
});

afterAll(async () => {
  await bridge?.close();
  await demoBridge?.close();
  await upstream?.close();
});

describe('@anthropic-ai/sdk against the bridge (llama-server upstream)', () => {
  it('messages.create returns a text message with usage', async () => {
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Say something short.' }],
    });
    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.model).toBe('claude-sonnet-4-5');
    expect(message.content).toEqual([{ type: 'text', text: '.' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 56, output_tokens: 2 });
    // The bridge sent the model the upstream lists, and asked for usage.
    const sent = upstream.requests.at(-1)!;
    expect(sent.body?.model).toBe('models/tiny-random-F32.gguf');
  });

  it('messages.stream() gives the event sequence and finalMessage()', async () => {
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(final.content).toEqual([{ type: 'text', text: '.' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage).toMatchObject({ input_tokens: 1, cache_read_input_tokens: 55, output_tokens: 2 });
    expect(upstream.requests.at(-1)!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('streams a forced tool call as tool_use with parsed input, and sends the result back as a tool message', async () => {
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      tools: [weatherTool],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const tool = final.content.find((b) => b.type === 'tool_use');
    expect(tool).toBeDefined();
    if (tool?.type !== 'tool_use') throw new Error('no tool_use');
    expect(tool.id).toMatch(/^toolu_/);
    expect(tool.name).toBe('get_weather');
    expect(typeof tool.input).toBe('object');
    expect(upstream.requests.at(-1)!.body).toMatchObject({ tool_choice: 'required' });

    await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: final.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: tool.id, content: '18°C, sunny' }] },
      ],
    });
    const sent = upstream.requests.at(-1)!.body as { messages: Array<Record<string, unknown>> };
    expect(sent.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: tool.id, content: '18°C, sunny' });
    expect(sent.messages.at(-2)).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: tool.id, type: 'function' }],
    });
  });

  it('refuses a prompt over the context with the wording Claude Code compacts on, without calling the upstream', async () => {
    const big = 'word '.repeat(8000);
    const before = upstream.requests.filter((r) => r.path === '/v1/chat/completions').length;
    const err = await client.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: big }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const body = (err as InstanceType<typeof Anthropic.BadRequestError>).error as {
      error: { type: string; message: string };
    };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^prompt is too long: \d+ tokens > \d+ maximum$/);
    expect(upstream.requests.filter((r) => r.path === '/v1/chat/completions').length).toBe(before);
  });

  it("rewrites an older llama-server's own overflow error (recorded body) the same way", async () => {
    const legacy = await startFakeLlama({ legacy: true });
    const legacyBridge = await startBridge({
      config: configSchema.parse({
        server: { port: 0 },
        upstreams: [{ url: legacy.url, tokenCounting: 'estimate' }],
      }),
      logger: silentLogger,
    });
    try {
      const c = new Anthropic({ baseURL: legacyBridge.url, apiKey: 'dsb', maxRetries: 0 });
      const err = await c.messages
        .create({
          model: 'claude-sonnet-4-5',
          max_tokens: 64,
          messages: [{ role: 'user', content: 'word '.repeat(8000) }],
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'prompt is too long: 18062 tokens > 8192 maximum' },
      });
    } finally {
      await legacyBridge.close();
      await legacy.close();
    }
  });

  it('accepts ?beta=true, unknown fields and unknown anthropic-beta values', async () => {
    const res = await fetch(`${bridge.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-beta': 'some-future-beta-2030-01-01,another-beta',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: 'claude-opus-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
        context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
        thinking: { type: 'adaptive' },
        output_config: { effort: 'high' },
        brand_new_field: { x: 1 },
      }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { type: string }).type).toBe('message');
  });
});

describe('@anthropic-ai/sdk against the demo upstream', () => {
  it('streams thinking (signed) then text, and every event keeps the invariants', async () => {
    const demo = new Anthropic({ baseURL: demoBridge.url, apiKey: 'dsb', maxRetries: 0 });
    const stream = demo.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 1000,
      thinking: { type: 'enabled', budget_tokens: 500 },
      messages: [{ role: 'user', content: 'Tell me something' }],
    });
    const events: Array<{ event: string; data: unknown }> = [];
    stream.on('streamEvent', (event) => events.push({ event: event.type, data: structuredClone(event) }));
    const final = await stream.finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const thinking = final.content[0];
    if (thinking?.type !== 'thinking') throw new Error('no thinking');
    expect(thinking.signature).toMatch(/^dsb1\./);
    expect(checkStreamInvariants(events)).toEqual([]);
  });

  it('calls a tool when asked, through messages.create', async () => {
    const demo = new Anthropic({ baseURL: demoBridge.url, apiKey: 'dsb', maxRetries: 0 });
    const message = await demo.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 1000,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'use get_weather for Paris [[call:get_weather]]' }],
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_/),
        name: 'get_weather',
        input: { city: 'demo' },
      },
    ]);
  });
});
