// The probe's `session` scenario (issue 14 item 7): a Claude Code-sized conversation through a real
// bridge (startBridge + the scripted llama-server), TTFT and cached tokens per turn, a warning when
// the server reuses nothing; and the conversation data itself.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { renderProbeReport } from '../../src/probe/render.js';
import { runProbe } from '../../src/probe/run.js';
import { defaultScenarios, SCENARIOS } from '../../src/probe/scenarios.js';
import type { SessionTurn } from '../../src/probe/session.js';
import { type ChatRequestBody, startScriptedUpstream } from '../support/fake-upstream/index.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const sizeOf = (body: ChatRequestBody) => Math.ceil(JSON.stringify(body).length / 4);

async function bridgeWithCache(cachedShare: number) {
  const upstream = await startScriptedUpstream({
    nCtx: 131072,
    inputTokens: sizeOf,
    script: (request) => {
      const prompt = sizeOf(request.body);
      return {
        text: 'It returns a number.',
        usage: {
          prompt_tokens: prompt,
          completion_tokens: 5,
          cached_tokens: Math.floor(prompt * cachedShare),
        },
      };
    },
  });
  closers.push(() => upstream.close());
  const bridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 }, upstreams: [{ url: upstream.url }] }),
    logger: silentLogger,
  });
  closers.push(() => bridge.close());
  return { upstream, bridge };
}

const probe = (url: string) =>
  runProbe({ url, model: 'deepseek-v4-flash', maxTokens: 1000, timeoutMs: 30_000, scenarioIds: ['session'] });

describe('probe session scenario', () => {
  it('runs six growing turns and reports TTFT and cached tokens of each', async () => {
    const { bridge, upstream } = await bridgeWithCache(0.9);
    const report = await probe(bridge.url);
    const session = report.scenarios[0]!;
    expect(session.status).toBe('pass');
    const turns = session.data?.turns as SessionTurn[];
    expect(turns.map((t) => t.turn)).toEqual([1, 2, 3, 4, 5, 6]);
    const bodies = upstream.chatRequests().map((r) => r.body);
    expect(bodies).toHaveLength(6);
    for (const [i, t] of turns.entries()) {
      expect(t.httpStatus).toBe(200);
      expect(t.ttftMs).toBeGreaterThanOrEqual(0);
      expect(t.promptTokens).toBe(sizeOf(bodies[i]!));
      expect(t.cachedTokens).toBe(Math.floor(sizeOf(bodies[i]!) * 0.9));
      expect(t.countMethod).toBe('upstream');
    }
    // Each turn is the previous one plus the answer and a new user message.
    for (let i = 1; i < bodies.length; i++) {
      expect(bodies[i]!.messages.slice(0, bodies[i - 1]!.messages.length)).toEqual(bodies[i - 1]!.messages);
      expect(bodies[i]!.messages.length).toBe(bodies[i - 1]!.messages.length + 2);
    }
    expect(session.summary).toMatch(/6\/6 turns, prompt \d+→\d+ tokens, .*90% of later prompts from cache/);
    const text = renderProbeReport(report, { color: false });
    expect(text).toContain('Session, per turn:');
    expect(text).toMatch(/turn 2, TTFT \d+ ms, prompt \d+, cached \d+/);
  });

  it('warns when no later turn reports cached tokens', async () => {
    const { bridge } = await bridgeWithCache(0);
    const report = await probe(bridge.url);
    expect(report.scenarios[0]!.status).toBe('warn');
    expect(report.scenarios[0]!.warnings[0]).toMatch(/re-reads the whole prompt every turn/);
  });

  it('is opt-in: named, it runs; by default, it does not', () => {
    expect(SCENARIOS.map((s) => s.id)).toContain('session');
    expect(defaultScenarios().map((s) => s.id)).not.toContain('session');
  });
});
