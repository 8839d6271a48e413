// Through the running bridge (startBridge + the scripted llama-server, the real Anthropic SDK):
// prompt-cache accounting in the final usage, /metrics and the log line (issue 14 item 5), and a
// cached turn counted from the previous turn's prompt_tokens instead of by the upstream (item 8).
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../../src/bridge/log.js';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { type ChatRequestBody, startScriptedUpstream } from '../support/fake-upstream/index.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** The fake server's "exact" size of a prompt: deterministic, and what it reports in usage too. */
const sizeOf = (body: ChatRequestBody) => 200 + Math.ceil(JSON.stringify(body.messages).length / 4);

/** `overReportFrom`: from this chat request on (0-based), the server reports 5,000 more prompt tokens. */
async function setUp(nCtx: number, opts: { overReportFrom?: number } = {}) {
  const upstream = await startScriptedUpstream({
    nCtx,
    inputTokens: sizeOf,
    // Each turn: the whole prompt is cached except its last 40 tokens, as llama.cpp reports it.
    script: (request, index) => {
      const over = opts.overReportFrom !== undefined && index >= opts.overReportFrom ? 5000 : 0;
      const prompt = sizeOf(request.body) + over;
      return {
        text: 'ok',
        usage: { prompt_tokens: prompt, completion_tokens: 1, cached_tokens: prompt - 40 },
      };
    },
  });
  closers.push(() => upstream.close());
  const logs: RequestLogEntry[] = [];
  const warnings: string[] = [];
  const bridge: RunningBridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 }, upstreams: [{ url: upstream.url }] }),
    logger: { ...silentLogger, request: (e) => logs.push({ ...e }), warn: (m) => warnings.push(m) },
  });
  closers.push(() => bridge.close());
  const client = new Anthropic({ baseURL: bridge.url, apiKey: 'dsb', maxRetries: 0 });
  const counted = () =>
    upstream.requests.filter((r) => r.path === '/v1/chat/completions/input_tokens').length;
  return { upstream, bridge, client, logs, warnings, counted };
}

type Msg = Anthropic.MessageParam;
const userTurn = (n: number, size = 200): Msg => ({
  role: 'user',
  content: `turn ${n}: ${'word '.repeat(size)}`,
});

async function ask(client: Anthropic, messages: Msg[]) {
  const { data: stream, response } = await client.messages
    .stream({ model: 'deepseek-v4-flash', max_tokens: 1000, system: 'You are terse.', messages })
    .withResponse();
  const start = await new Promise<Anthropic.Message>((resolve) =>
    stream.once('streamEvent', (e) => {
      // A copy: the SDK folds message_delta's usage into this same object later.
      if (e.type === 'message_start') resolve({ ...e.message, usage: { ...e.message.usage } });
    }),
  );
  const final = await stream.finalMessage();
  return { startUsage: start.usage, usage: final.usage, headers: response.headers, final };
}

describe('prompt-cache accounting through the bridge', () => {
  it('splits the final usage into input and cache_read, counts it in /metrics and the log line', async () => {
    const { bridge, client, logs } = await setUp(65536);
    const { usage, startUsage } = await ask(client, [userTurn(1)]);
    const prompt = usage.input_tokens + (usage.cache_read_input_tokens ?? 0);
    expect(usage.input_tokens).toBe(40);
    expect(usage.cache_read_input_tokens).toBe(prompt - 40);
    // message_start carries the whole prompt (Claude Code sizes compaction from it).
    expect(startUsage.input_tokens).toBe(prompt);
    expect(startUsage.cache_read_input_tokens ?? 0).toBe(0);

    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(metrics).toContain(`dsb_prompt_tokens_total ${prompt}`);
    expect(metrics).toContain(`dsb_prompt_cached_tokens_total ${prompt - 40}`);
    const ratio = Number(/^dsb_prompt_cache_hit_ratio (\S+)$/m.exec(metrics)?.[1]);
    expect(ratio).toBeCloseTo((prompt - 40) / prompt, 6);
    const line = logs.find((l) => l.path === '/v1/messages');
    expect(line).toMatchObject({ inputTokens: prompt, cachedTokens: prompt - 40 });
  });
});

describe('counting a cached turn from the previous turn (no second tokenization)', () => {
  it('asks the upstream to count turn 1 only; turn 2’s count is a bound at least the exact size', async () => {
    const { client, counted, upstream } = await setUp(65536);
    const t1 = [userTurn(1)];
    const first = await ask(client, t1);
    expect(counted()).toBe(1);
    const t2: Msg[] = [
      ...t1,
      { role: 'assistant', content: first.final.content as Anthropic.ContentBlockParam[] },
      userTurn(2),
    ];
    const second = await ask(client, t2);
    expect(counted()).toBe(1); // not asked again
    const exact = sizeOf(upstream.chatRequests()[1]!.body);
    expect(second.startUsage.input_tokens).toBeGreaterThanOrEqual(exact);
    expect(second.headers.get('x-dsb-token-count')).toBe('upstream');
    // The final usage is the server's own figure, not the bound.
    expect(second.usage.input_tokens + (second.usage.cache_read_input_tokens ?? 0)).toBe(exact);
  });

  it('counts exactly when the bound cannot prove the prompt fits', async () => {
    // 8K context: a 7,500-byte new message bounds past what fits (8192 − 64 − 1000 for output),
    // though its exact size (~2,100 tokens) fits.
    const { client, counted } = await setUp(8192);
    const t1 = [userTurn(1, 10)];
    const first = await ask(client, t1);
    const t2: Msg[] = [
      ...t1,
      { role: 'assistant', content: first.final.content as Anthropic.ContentBlockParam[] },
      userTurn(2, 1500),
    ];
    await ask(client, t2);
    expect(counted()).toBe(2);
  });

  it('a server that reports more than the bound switches anchoring off, with a warning', async () => {
    const { client, counted, warnings } = await setUp(65536, { overReportFrom: 1 });
    let messages = [userTurn(1)];
    for (let turn = 2; turn <= 3; turn++) {
      const { final } = await ask(client, messages);
      messages = [
        ...messages,
        { role: 'assistant', content: final.content as Anthropic.ContentBlockParam[] },
        userTurn(turn),
      ];
    }
    // Turn 1 exact; turn 2 a bound, which the server's report exceeds; turn 3 exact again.
    expect(counted()).toBe(1);
    expect(warnings.some((w) => /counting exactly from now on/.test(w))).toBe(true);
    await ask(client, messages);
    expect(counted()).toBe(2);
  });
});
