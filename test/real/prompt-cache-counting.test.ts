// Prompt-cache accounting and the counting cache against the REAL llama-server (its tokenizer,
// template, prompt cache and usage), with a conversation of Claude Code's size (probe session data).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import type { SseEvent } from '../../src/probe/invariants.js';
import { runSession, type SessionExchange } from '../../src/probe/session.js';
import { SseParser } from '../../src/probe/sse.js';
import { type RealLlama, SKIP_REASON, startRealLlama } from '../support/real-llama.js';

/** A first turn of ~14K tokens is prefilled in seconds; on a busy machine, many more. */
const HANG_CATCHING_TIMEOUT_MS = 300_000;

describe.skipIf(SKIP_REASON !== undefined)('real llama-server: prompt cache and counting', () => {
  let llama: RealLlama | undefined;
  let bridge: RunningBridge;
  const exchanges: SessionExchange[] = [];

  beforeAll(async () => {
    llama = await startRealLlama(['-c', '65536']);
    bridge = await startBridge({
      config: configSchema.parse({ server: { port: 0 }, upstreams: [{ url: llama.url }] }),
      logger: silentLogger,
    });
    await runSession(
      {
        model: 'deepseek-v4-flash',
        maxTokens: 16,
        async messages(body) {
          const ex: SessionExchange = { headers: {}, events: [], times: [], text: '', startMs: 0, endMs: 0 };
          const res = await fetch(`${bridge.url}/v1/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          ex.status = res.status;
          res.headers.forEach((v, k) => {
            ex.headers[k] = v;
          });
          ex.text = await res.text();
          const parser = new SseParser();
          ex.events = [...parser.push(ex.text), ...parser.end()];
          ex.times = ex.events.map(() => 0);
          exchanges.push(ex);
          return ex;
        },
      },
      3,
    );
  }, HANG_CATCHING_TIMEOUT_MS);

  afterAll(async () => {
    await bridge?.close();
    await llama?.stop();
  });

  const usageOf = (events: SseEvent[], type: 'message_start' | 'message_delta') => {
    const e = events.find((x) => (x.data as { type?: string }).type === type)?.data as
      | { message?: { usage: Record<string, number> }; usage?: Record<string, number> }
      | undefined;
    return (type === 'message_start' ? e?.message?.usage : e?.usage) ?? {};
  };

  it('real llama-server: a cached turn reports cache_read_input_tokens, input_tokens the rest', () => {
    expect(exchanges.map((e) => e.status)).toEqual([200, 200, 200]);
    const first = usageOf(exchanges[0]!.events, 'message_delta');
    expect(first.cache_read_input_tokens ?? 0).toBe(0);
    for (const ex of exchanges.slice(1)) {
      const final = usageOf(ex.events, 'message_delta');
      expect(final.input_tokens).toBeGreaterThanOrEqual(1);
      // The server re-reads only what is new: the earlier turns come from its cache.
      expect(final.cache_read_input_tokens).toBeGreaterThan(13_000);
      expect(final.input_tokens).toBeLessThan(2_000);
    }
  });

  it('real llama-server: turn 1 is counted exactly; cached turns by a bound never below the server’s count', () => {
    const prompt = (ex: SessionExchange) => {
      const final = usageOf(ex.events, 'message_delta');
      return (final.input_tokens ?? 0) + (final.cache_read_input_tokens ?? 0);
    };
    const [first, ...later] = exchanges;
    // Exact: the server's own count of the same prompt, before the completion.
    expect(usageOf(first!.events, 'message_start').input_tokens).toBe(prompt(first!));
    for (const ex of later) {
      const sent = usageOf(ex.events, 'message_start').input_tokens!;
      // A bound: above the exact size (by its allowances), so not a second exact count.
      expect(sent).toBeGreaterThan(prompt(ex));
      expect(sent).toBeLessThan(prompt(ex) * 1.5);
    }
  });

  it('real llama-server: /metrics counts the cached prompt tokens', async () => {
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('dsb_prompt_cached_tokens_total')).toBeGreaterThan(26_000);
    expect(value('dsb_prompt_cache_hit_ratio')).toBeGreaterThan(0.5);
  });
});
