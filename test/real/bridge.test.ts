// The bridge against the REAL llama-server (test/support/real-llama.ts): the things a fake only
// imitates — tokenization and the chat template (counts, the overflow point), the tool-call grammar
// and parser, and the prompt cache. A recording pass-through between bridge and server shows what
// the server itself saw and answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { postJson, type RealLlama, SKIP_REASON, startRealLlama } from '../support/real-llama.js';
import {
  answerObjects,
  type Json,
  type RecordingProxy,
  serverFigures,
  startRecordingProxy,
} from '../support/recording-proxy.js';

const CONTEXT = 8192;

let llama: RealLlama;
let proxy: RecordingProxy;
let bridge: RunningBridge;

beforeAll(async () => {
  if (SKIP_REASON) return;
  llama = await startRealLlama(['-c', String(CONTEXT), '-np', '1']);
  proxy = await startRecordingProxy(llama.url);
  bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0 },
      upstreams: [{ url: proxy.url, kind: 'llama.cpp' }],
    }),
    logger: silentLogger,
  });
});
afterAll(async () => {
  await bridge?.close();
  await proxy?.close();
  await llama?.stop();
});

const messages = (body: Record<string, unknown>) =>
  postJson(`${bridge.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 64, ...body });

/** The exchanges recorded since `from` on `path`. */
const sentSince = (from: number, path: string) => proxy.exchanges.slice(from).filter((e) => e.path === path);

/** A user message of roughly `words` words of ordinary text. */
const longText = (words: number) =>
  Array.from({ length: words }, (_, i) => `word${i % 97} is number ${i};`).join(' ');

describe.skipIf(SKIP_REASON)('real llama-server: the bridge', () => {
  it('real llama-server: a prompt over the context is refused by the bridge before the server sees it, with the server’s own count', async () => {
    const from = proxy.exchanges.length;
    const body = { messages: [{ role: 'user', content: longText(3000) }] };
    const refused = await messages(body);
    expect(refused.status).toBe(400);
    expect(refused.json.type).toBe('error');
    expect(refused.json.error.type).toBe('invalid_request_error');
    const m = /prompt is too long: (\d+) tokens > (\d+) maximum/.exec(refused.json.error.message);
    expect(m, refused.json.error.message).not.toBeNull();
    const bridgeCount = Number(m![1]);
    // The server never got the completion request.
    expect(sentSince(from, '/v1/chat/completions')).toEqual([]);
    // The server's own count of that very prompt: the chat request the bridge counted, sent to it
    // directly, is refused by the server with its n_prompt_tokens.
    const counted =
      sentSince(from, '/v1/chat/completions/input_tokens')[0] ?? sentSince(from, '/apply-template')[0];
    expect(counted, JSON.stringify(proxy.exchanges.slice(from).map((e) => e.path))).toBeDefined();
    const direct = await postJson(`${llama.url}/v1/chat/completions`, { ...counted!.body, max_tokens: 16 });
    expect(direct.status).toBe(400);
    expect(direct.json.error.type).toBe('exceed_context_size_error');
    expect(direct.json.error.n_ctx).toBe(CONTEXT);
    expect(bridgeCount).toBe(direct.json.error.n_prompt_tokens);
    expect(bridgeCount).toBeGreaterThan(CONTEXT);
  });

  it('real llama-server: max_tokens 128000 is clamped and answered; count_tokens equals the server’s own count', async () => {
    const body = { messages: [{ role: 'user', content: 'Say hello in one word.' }], temperature: 0 };
    const from = proxy.exchanges.length;
    const answer = await messages({ ...body, max_tokens: 128_000 });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.type).toBe('message');
    expect(['end_turn', 'max_tokens']).toContain(answer.json.stop_reason);
    const completion = sentSince(from, '/v1/chat/completions')[0]!;
    const sentMax = (completion.body!.max_tokens ?? completion.body!.max_completion_tokens) as number;
    expect(sentMax).toBeLessThan(CONTEXT);
    const server = serverFigures(completion.answer);
    expect(sentMax + server.promptTokens).toBeLessThanOrEqual(CONTEXT);
    // The bridge's count equals what the server counted for the same request.
    const count = await postJson(`${bridge.url}/v1/messages/count_tokens`, {
      model: 'claude-sonnet-4-5',
      ...body,
    });
    expect(count.status).toBe(200);
    expect(count.json.input_tokens).toBe(server.promptTokens);
    expect(answer.json.usage.input_tokens).toBe(server.promptTokens);
  });

  const weatherTool = {
    name: 'get_weather',
    description: 'Get the weather for a city',
    input_schema: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city', 'unit'],
    },
  };
  const timeTool = {
    name: 'get_time',
    description: 'Get the time in a time zone',
    input_schema: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
  };

  for (const [label, toolChoice, expectedName] of [
    ['tool_choice any', { type: 'any' }, undefined],
    ['a named tool', { type: 'tool', name: 'get_time' }, 'get_time'],
  ] as const) {
    for (const stream of [false, true]) {
      it(`real llama-server: a forced tool call (${label}, ${stream ? 'stream' : 'no stream'}) comes back as a valid tool_use block from the server's parser`, async () => {
        const from = proxy.exchanges.length;
        const res = await fetch(`${bridge.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'claude-sonnet-4-5',
            max_tokens: 256,
            stream,
            tools: [weatherTool, timeTool],
            tool_choice: toolChoice,
            messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
          }),
        });
        expect(res.status).toBe(200);
        const text = await res.text();
        const blocks = stream ? blocksFromStream(text) : (JSON.parse(text).content as Json[]);
        const uses = blocks.filter((b) => b.type === 'tool_use');
        expect(uses, text.slice(0, 2000)).toHaveLength(1);
        const use = uses[0]!;
        expect(use.id).toMatch(/^toolu_/);
        if (expectedName) expect(use.name).toBe(expectedName);
        else expect(['get_weather', 'get_time']).toContain(use.name);
        const schema = use.name === 'get_weather' ? weatherTool.input_schema : timeTool.input_schema;
        expect(typeof use.input).toBe('object');
        for (const key of schema.required) expect(typeof use.input[key]).toBe('string');
        if (use.name === 'get_weather') expect(['celsius', 'fahrenheit']).toContain(use.input.unit);
        // It came from the server's own parser: the server answered with tool_calls whose raw
        // argument text parses to exactly this input.
        const completion = sentSince(from, '/v1/chat/completions')[0]!;
        const calls = answerObjects(completion.answer).flatMap((o) =>
          (o.choices ?? []).flatMap((c: Json) => (c.message ?? c.delta)?.tool_calls ?? []),
        );
        const rawArgs = calls.map((c: Json) => c.function?.arguments ?? '').join('');
        expect(rawArgs.length).toBeGreaterThan(0);
        expect(use.input).toEqual(JSON.parse(rawArgs));
        const stop = stream ? stopReasonFromStream(text) : JSON.parse(text).stop_reason;
        expect(stop).toBe('tool_use');
      });
    }
  }

  it('real llama-server: across a 5-turn conversation every turn after the first is served from the server’s prompt cache except the new messages', async () => {
    const conversation: Array<{ role: string; content: string }> = [];
    const figures: Array<ReturnType<typeof serverFigures>> = [];
    for (let turn = 1; turn <= 5; turn++) {
      conversation.push({
        role: 'user',
        content: `Turn ${turn}. ${longText(60 + turn * 7)} What comes next?`,
      });
      const from = proxy.exchanges.length;
      const answer = await messages({
        system: 'You are a terse assistant.',
        messages: conversation,
        max_tokens: 24,
        temperature: 0,
      });
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      const text = (answer.json.content as Array<{ type: string; text?: string }>)
        .filter((b) => b.type === 'text')
        .map((b) => b.text)
        .join('');
      conversation.push({ role: 'assistant', content: text || '.' });
      const completion = sentSince(from, '/v1/chat/completions')[0]!;
      figures.push(serverFigures(completion.answer));
    }
    for (let turn = 1; turn < 5; turn++) {
      const previous = figures[turn - 1]!;
      const now = figures[turn]!;
      // The whole previous prompt came from the cache: the bridge rendered the shared history
      // byte for byte as before, so only the new messages were evaluated.
      expect(now.cachedTokens, JSON.stringify(figures)).toBeGreaterThanOrEqual(previous.promptTokens);
      if (now.cacheN !== undefined) expect(now.cacheN).toBe(now.cachedTokens);
      if (now.promptN !== undefined) expect(now.promptN).toBe(now.promptTokens - now.cachedTokens);
    }
  });
});

function blocksFromStream(text: string): Json[] {
  const blocks: Json[] = [];
  const partial = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const event = JSON.parse(line.slice(6));
    if (event.type === 'content_block_start') {
      blocks[event.index] = { ...event.content_block };
      partial.set(event.index, '');
    } else if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') {
      partial.set(event.index, (partial.get(event.index) ?? '') + event.delta.partial_json);
    } else if (event.type === 'content_block_stop' && blocks[event.index]?.type === 'tool_use') {
      const json = partial.get(event.index) ?? '';
      blocks[event.index]!.input = json ? JSON.parse(json) : {};
    }
  }
  return blocks;
}

function stopReasonFromStream(text: string): string | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const event = JSON.parse(line.slice(6));
    if (event.type === 'message_delta') return event.delta.stop_reason;
  }
  return undefined;
}
