// The bridge's context advice (issue #14, window-advice.ts) and the refusal threshold, end to end
// through startBridge with a scripted llama-server whose prompt count is exact
// (/v1/chat/completions/input_tokens). The real llama-server cases (-np 4) are in
// test/real/context-slots-real.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { type FakeUpstream, startScriptedUpstream } from '../support/fake-upstream/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  upstream: FakeUpstream;
  bridge: RunningBridge;
  warnings: string[];
}

/** A llama-server of `nCtx` tokens whose exact prompt count is the number in the last message. */
async function setup(nCtx: number): Promise<Setup> {
  const upstream = await startScriptedUpstream({
    nCtx,
    script: () => ({ text: 'ok' }),
    inputTokens: (body) => Number(String(body.messages.at(-1)?.content).match(/TOKENS=(\d+)/)?.[1] ?? 10),
  });
  cleanups.push(() => upstream.close());
  const warnings: string[] = [];
  const bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0 },
      upstreams: [{ url: upstream.url, kind: 'llama.cpp' }],
    }),
    logger: { request() {}, info() {}, warn: (m) => warnings.push(m) },
  });
  cleanups.push(() => bridge.close());
  return { upstream, bridge, warnings };
}

async function health(bridge: RunningBridge) {
  const res = await fetch(`${bridge.url}/health`);
  return (await res.json()) as {
    upstreams: Array<{
      contextSize: number;
      contextAdvice: { level: string; fix?: string };
      warnings: string[];
    }>;
  };
}

async function ask(bridge: RunningBridge, tokens: number, maxTokens = 32000) {
  const res = await fetch(`${bridge.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'deepseek',
      max_tokens: maxTokens,
      messages: [{ role: 'user', content: `TOKENS=${tokens}` }],
    }),
  });
  return { status: res.status, json: (await res.json()) as { error?: { message: string } } };
}

describe('context advice in /health and the refusal threshold', () => {
  it('a 32K context: /health says it is too small for Claude Code, with the cause and the dsb launch fix', async () => {
    const { bridge, upstream } = await setup(32_768);
    const u = (await health(bridge)).upstreams[0]!;
    expect(u.contextAdvice.level).toBe('small');
    expect(u.contextAdvice.fix).toBe(
      `dsb launch llama.cpp --ctx-size 65536 --port ${new URL(upstream.url).port}`,
    );
    expect(u.warnings[0]).toMatch(
      /32768 tokens per request is less than Claude Code needs.*Cause: llama-server runs with -c 32768/,
    );
    expect(await bridge.contextAdvice()).toEqual([u.contextAdvice]);
  });

  it('64K: nothing to warn about', async () => {
    const { bridge } = await setup(65_536);
    const u = (await health(bridge)).upstreams[0]!;
    expect(u.contextAdvice).toEqual({ level: 'ok', contextSize: 65_536 });
    expect(u.warnings).toEqual([]);
  });

  it('sends a prompt that leaves exactly 1,024 tokens, refuses one more, and says when compaction cannot help', async () => {
    const { bridge, upstream, warnings } = await setup(16_384);
    const sent = await ask(bridge, 16_384 - 1024);
    expect(sent.status, JSON.stringify(sent.json)).toBe(200);
    expect(upstream.chatRequests().at(-1)!.body.max_tokens).toBe(1024);
    const refused = await ask(bridge, 16_384 - 1023);
    expect(refused.json.error?.message).toBe('prompt is too long: 15361 tokens > 15360 maximum');
    // 16K still holds Claude Code's fixed prompt with room to answer: no dead-end note.
    expect(warnings.filter((w) => /compaction cannot help/.test(w))).toEqual([]);
    // A smaller max_tokens is all the room needed.
    expect((await ask(bridge, 16_384 - 100, 100)).status).toBe(200);
  });

  it('a context that cannot hold the fixed prompt: /health and the refusal log say compaction cannot help', async () => {
    const { bridge, warnings } = await setup(15_000);
    const u = (await health(bridge)).upstreams[0]!;
    expect(u.contextAdvice.level).toBe('dead-end');
    expect(u.warnings[0]).toMatch(/every Claude Code request will be refused and compaction cannot help/);
    const refused = await ask(bridge, 14_500);
    expect(refused.status).toBe(400);
    expect(refused.json.error?.message).toBe('prompt is too long: 14500 tokens > 13976 maximum');
    expect(warnings.some((w) => /cannot hold Claude Code's ~14100-token fixed prompt/.test(w))).toBe(true);
  });
});
