// The probe end to end against fake bridges on loopback: a correct one passes every scenario; each
// deliberately broken one fails, naming the invariant and the event index.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ProbeOptions,
  runProbe,
  selectedScenarioIds,
  skippedResult,
  skippingWhenUnreachable,
  timed,
  unknownScenarioIds,
} from '../../src/probe/run.js';
import { defaultScenarios } from '../../src/probe/scenarios.js';
import type { ScenarioResult } from '../../src/probe/types.js';
import { type BridgeDefect, type FakeBridge, startFakeBridge } from '../support/broken-bridges.js';
import { type FakeUpstream, startFakeLlama } from '../support/fake-upstream/index.js';

const base = (url: string): ProbeOptions => ({
  url,
  model: 'claude-sonnet-4-5',
  maxTokens: 32_000,
  timeoutMs: 10_000,
});
const byId = (scenarios: ScenarioResult[], id: string) => {
  const found = scenarios.find((s) => s.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
};

let bridges: FakeBridge[] = [];
const start = async (...args: Parameters<typeof startFakeBridge>) => {
  const b = await startFakeBridge(...args);
  bridges.push(b);
  return b;
};
let upstreams: FakeUpstream[] = [];
/** The one fake upstream (a recorded llama-server), for --compare-direct. */
const startUpstream = async () => {
  const u = await startFakeLlama();
  upstreams.push(u);
  return u;
};
afterEach(async () => {
  await Promise.all([...bridges, ...upstreams].map((b) => b.close()));
  bridges = [];
  upstreams = [];
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dsb-probe-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runProbe against a correct fake bridge', () => {
  it('passes every built-in scenario', async () => {
    const bridge = await start();
    const report = await runProbe({ ...base(bridge.url), token: 'sekret-token' });
    expect(report.scenarios.map((s) => [s.id, s.status, s.problems, s.violations])).toEqual(
      defaultScenarios().map((s) => [s.id, 'pass', [], []]),
    );
    expect(report.ok).toBe(true);
    expect(report.tally).toEqual({ pass: defaultScenarios().length, warn: 0, fail: 0, skip: 0 });
    // The tool round trips really sent the tool results back (2 requests each).
    expect(byId(report.scenarios, 'tool-call').steps.map((s) => s.stopReason)).toEqual([
      'tool_use',
      'end_turn',
    ]);
    expect(byId(report.scenarios, 'parallel-tools').summary).toMatch(/2 tool_result\(s\)/);
    // Metrics come from real timings and usage.
    const m = byId(report.scenarios, 'text-stream').metrics;
    expect(m?.ttftMs).toBeGreaterThan(0);
    expect(m?.inputTokens).toBeGreaterThan(0);
    expect(m?.outputTokens).toBe(12);
  });

  it('sends what Claude Code sends', async () => {
    const bridge = await start();
    await runProbe({ ...base(bridge.url), token: 'sekret-token', scenarioIds: ['text-stream', 'tool-call'] });
    const first = bridge.requests[0];
    expect(first?.url).toBe('/v1/messages?beta=true');
    expect(first?.headers['anthropic-version']).toBe('2023-06-01');
    expect(first?.headers['anthropic-beta']).toContain('claude-code-20250219');
    expect(first?.headers.authorization).toBe('Bearer sekret-token');
    expect(first?.body).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 32_000, stream: true });
    expect(first?.body.system).toHaveLength(3);
    const toolCall = bridge.requests[1]?.body;
    expect(toolCall?.tool_choice).toEqual({ type: 'tool', name: 'Read' });
    const tools = (toolCall?.tools ?? []) as Array<{ input_schema: Record<string, unknown> }>;
    expect(tools[0]?.input_schema.$schema).toBeDefined();
    // The round trip echoes the assistant turn and answers each tool_use id with a tool_result.
    const roundTrip = bridge.requests[2]?.body.messages as Array<{
      role: string;
      content: Array<Record<string, unknown>>;
    }>;
    expect(roundTrip.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(roundTrip[2]?.content[0]).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_fake0' });
  });

  it('keeps time only on the injected clock: metrics and durations are read from it, no sleeping', async () => {
    // The inter-token figures of a stream whose frames come apart in time are measured without a
    // socket in bridge-client.test.ts; here: the whole run reads no other clock.
    const bridge = await start();
    let t = 0;
    const now = () => (t += 1000);
    const report = await runProbe({ ...base(bridge.url), scenarioIds: ['text-stream'], now });
    const r = report.scenarios[0];
    const m = r?.metrics;
    expect(r?.status).toBe('pass');
    expect(r?.durationMs).toBeGreaterThanOrEqual(2000);
    expect(r?.durationMs ? r.durationMs % 1000 : -1).toBe(0);
    expect(m?.ttftMs).toBeGreaterThanOrEqual(1000);
    expect(m?.ttftMs ? m.ttftMs % 1000 : -1).toBe(0);
    expect(m?.totalMs ? m.totalMs % 1000 : -1).toBe(0);
    expect(m?.totalMs).toBeGreaterThanOrEqual(m?.ttftMs ?? Number.POSITIVE_INFINITY);
  });
});

describe('runProbe against deliberately broken bridges: one defect each', () => {
  const failing = async (defect: BridgeDefect, scenario: string) => {
    const bridge = await start({ defect });
    const report = await runProbe({ ...base(bridge.url), scenarioIds: [scenario] });
    expect(report.ok).toBe(false);
    const result = byId(report.scenarios, scenario);
    expect(result.status).toBe('fail');
    return result;
  };

  it('missing event: lines → event-line-matches-type from event #0', async () => {
    const r = await failing('no-event-lines', 'text-stream');
    expect(r.violations[0]).toMatchObject({ invariant: 'event-line-matches-type', index: 0 });
    expect(r.violations.every((v) => v.invariant === 'event-line-matches-type')).toBe(true);
    expect(r.summary).toMatch(/^event-line-matches-type at event #0: /);
  });

  it('a block never stopped → block-start-stop-paired at the message_delta', async () => {
    const r = await failing('unclosed-block', 'text-stream');
    // message_start, ping, content_block_start, 6 text deltas, then message_delta at #9.
    expect(r.violations).toEqual([
      expect.objectContaining({ invariant: 'block-start-stop-paired', index: 9 }),
    ]);
  });

  it('invalid tool JSON → tool-input-valid-json at the tool block stop', async () => {
    const r = await failing('invalid-tool-json', 'tool-call');
    // message_start, ping, tool_use start, 7 input_json_delta fragments, content_block_stop at #10.
    expect(r.violations).toEqual([
      expect.objectContaining({ invariant: 'tool-input-valid-json', index: 10 }),
    ]);
    expect(r.problems).toContain('tool Read input is not a JSON object');
  });

  it('a wrong stop_reason → stop-reason-tool-use at the message_delta', async () => {
    const r = await failing('wrong-stop-reason', 'tool-call');
    // message_start, ping, tool_use start, 7 fragments, content_block_stop, then message_delta at #11.
    expect(r.violations).toEqual([expect.objectContaining({ invariant: 'stop-reason-tool-use', index: 11 })]);
    expect(r.problems).toContain('stop_reason "end_turn", expected "tool_use"');
  });

  it('no message_stop → message-stop-last at the last event', async () => {
    const r = await failing('no-message-stop', 'text-stream');
    expect(r.violations).toEqual([expect.objectContaining({ invariant: 'message-stop-last', index: 10 })]);
  });

  it('an oversized prompt that is not refused → the overflow scenario fails, honestly', async () => {
    const r = await failing('no-overflow-refusal', 'overflow');
    expect(r.problems[0]).toMatch(/did not refuse .*HTTP 200.*prompt is too long: N tokens > M maximum/);
  });

  it('an accepted oversized prompt is not waited for: the probe stops reading its stream', async () => {
    // The stream never ends on its own: the probe reports only if it leaves it.
    const bridge = await start({ defect: 'no-overflow-refusal', pingUntilClientLeaves: true });
    const report = await runProbe({ ...base(bridge.url), scenarioIds: ['overflow'] });
    expect(report.scenarios[0]?.problems[0]).toMatch(/did not refuse .*HTTP 200/);
    await bridge.streamAbandoned;
  });
});

describe('--long-context', () => {
  const file = (name: string, lines: number) => {
    const path = join(dir, name);
    const body = Array.from({ length: lines }, (_, i) => `def view_${i}(request):  # handles page ${i}`).join(
      '\n',
    );
    writeFileSync(path, `${body}\n`);
    return path;
  };

  it('reports a 500-line file that fits, with its token count against the context', async () => {
    const bridge = await start({ contextSize: 100_000 });
    const path = file('big_file.py', 500);
    const report = await runProbe({
      ...base(bridge.url),
      longContext: { path, content: (await import('node:fs')).readFileSync(path, 'utf8') },
    });
    const lc = report.longContext;
    expect(lc).toMatchObject({
      status: 'pass',
      outcome: 'fit',
      lines: 500,
      contextSize: 100_000,
      contextSource: 'bridge GET /health',
    });
    expect(lc?.promptTokens).toBeGreaterThan(5000);
    expect(lc?.promptTokens).toBeLessThan(100_000);
    expect(report.scenarios.map((s) => s.id)).toEqual(['health']);
    expect(report.ok).toBe(true);
    // The question the guide asks, after the file.
    const sent = bridge.requests[0]?.body.messages as Array<{ content: Array<{ text: string }> }>;
    expect(sent[0]?.content[1]?.text).toBe('Explain what this code does in 3 bullet points.');
  });

  it('reports a file larger than the context as refused with "prompt is too long": expected, not a failure', async () => {
    const bridge = await start({ contextSize: 16_384 });
    const path = file('huge.py', 4000);
    const { readFileSync } = await import('node:fs');
    const report = await runProbe({
      ...base(bridge.url),
      longContext: { path, content: readFileSync(path, 'utf8') },
    });
    const lc = report.longContext;
    expect(lc?.outcome).toBe('refused');
    expect(lc?.status).toBe('pass');
    expect(lc?.refusal).toMatch(/^prompt is too long: \d+ tokens > 16384 maximum$/);
    expect(lc?.promptTokens).toBeGreaterThan(16_384);
    expect(report.ok).toBe(true);
  });

  it('says so when the context size is unknown, and when prompt + max_tokens needs clamping', async () => {
    const hidden = await start({ hideContextSize: true });
    const path = file('small.py', 20);
    const content = (await import('node:fs')).readFileSync(path, 'utf8');
    const unknown = (await runProbe({ ...base(hidden.url), longContext: { path, content } })).longContext;
    expect(unknown).toMatchObject({ outcome: 'fit', status: 'warn' });
    expect(unknown?.contextSize).toBeUndefined();
    expect(unknown?.warnings[0]).toMatch(/context size is unknown/);

    const tight = await start({ contextSize: 20_000 });
    const clamped = (await runProbe({ ...base(tight.url), longContext: { path, content } })).longContext;
    expect(clamped?.outcome).toBe('clamped');
    expect(clamped?.summary).toMatch(/prompt \+ max_tokens 32000 > context/);
  });
});

describe('--load and --compare-direct', () => {
  it('prints the latency table, and what the bridge adds over its upstream', async () => {
    const upstream = await startUpstream();
    const bridge = await start({ upstreamUrl: upstream.url });
    const report = await runProbe({
      ...base(bridge.url),
      load: { requests: 20, concurrency: 4 },
      compareDirect: true,
    });
    const load = report.load;
    expect(load?.status).toBe('pass');
    expect(load?.bridge.stats).toMatchObject({ requests: 20, failures: 0, failureRate: 0 });
    expect(load?.bridge.stats.latencyMs.p50).toBeGreaterThan(0);
    expect(load?.bridge.stats.requestsPerSec).toBeGreaterThan(0);
    expect(load?.direct?.url).toBe(`${upstream.url}/v1/chat/completions`);
    expect(load?.direct?.stats).toMatchObject({ requests: 20, failures: 0 });
    expect(upstream.completions).toHaveLength(20);
    expect(typeof load?.addedLatencyMs?.p50).toBe('number');
    expect(bridge.requests).toHaveLength(20);
  });

  it('--upstream names the upstream to compare against', async () => {
    const reported = await startUpstream();
    const bridge = await start({ upstreamUrl: reported.url });
    const other = await startUpstream();
    const report = await runProbe({
      ...base(bridge.url),
      load: { requests: 6, concurrency: 2 },
      compareDirect: true,
      upstream: { url: `${other.url}/v1` },
    });
    expect(report.load?.direct?.url).toBe(`${other.url}/v1/chat/completions`);
    expect(other.completions).toHaveLength(6);
    expect(reported.completions).toHaveLength(0);
  });

  it('counts broken streams as failures and fails the run', async () => {
    const bridge = await start({ defect: 'no-message-stop' });
    const report = await runProbe({ ...base(bridge.url), load: { requests: 8, concurrency: 4 } });
    expect(report.load?.bridge.stats.failures).toBe(8);
    expect(report.load?.bridge.errors[0]).toMatchObject({
      count: 8,
      message: expect.stringMatching(/^message-stop-last/),
    });
    expect(report.load?.status).toBe('fail');
    expect(report.ok).toBe(false);
  });

  it('explains when there is no upstream URL to compare against', async () => {
    const report = await runProbe({
      ...base('http://127.0.0.1:9'),
      load: { requests: 2, concurrency: 1 },
      compareDirect: true,
      scenarioIds: ['health'],
    });
    expect(report.load?.problems).toContain(
      '--compare-direct: no upstream URL: pass --upstream URL (GET /health does not report one)',
    );
  });
});

describe('errors a user meets', () => {
  it('a bridge that is not running fails every scenario with a clear message, without hanging', async () => {
    const report = await runProbe({ ...base('http://127.0.0.1:9'), scenarioIds: ['health', 'text-stream'] });
    expect(report.ok).toBe(false);
    expect(byId(report.scenarios, 'health').problems[0]).toMatch(/connection refused.*dsb serve/);
    expect(byId(report.scenarios, 'text-stream').problems[0]).toMatch(
      /cannot connect to http:\/\/127\.0\.0\.1:9: connection refused/,
    );
  });

  it('knows its scenario ids', () => {
    expect(unknownScenarioIds(['health', 'nope'])).toEqual(['nope']);
  });
});

describe('what a run is made of', () => {
  it('runs the scenarios asked for; else only health beside --long-context or --load; else the defaults', () => {
    expect(
      selectedScenarioIds({ scenarioIds: ['tool-call'], load: { requests: 1, concurrency: 1 } }),
    ).toEqual(['tool-call']);
    expect(selectedScenarioIds({ load: { requests: 1, concurrency: 1 } })).toEqual(['health']);
    expect(selectedScenarioIds({ longContext: { path: 'f', content: '' } })).toEqual(['health']);
    expect(selectedScenarioIds({ scenarioIds: [] })).toEqual(defaultScenarios().map((s) => s.id));
  });

  it('times a task on the clock it is given', async () => {
    const ticks = [100, 350.6];
    const result = await timed(
      () => ticks.shift() ?? Number.NaN,
      async () => skippedResult('x', 'X', 'why'),
    );
    expect(result.durationMs).toBe(251);
    expect(ticks).toEqual([]);
  });

  it('a skipped task says why and counts as skip', () => {
    expect(skippedResult('load', 'Load: 3 requests', 'no bridge')).toMatchObject({
      id: 'load',
      title: 'Load: 3 requests',
      status: 'skip',
      summary: 'no bridge',
      problems: [],
      durationMs: 0,
    });
  });
});

describe('skippingWhenUnreachable', () => {
  const task = (id: string, result: Partial<ScenarioResult>) => {
    const calls: string[] = [];
    return {
      calls,
      task: {
        id,
        title: id,
        run: async () => {
          calls.push('run');
          return { ...skippedResult(id, id, ''), status: 'pass' as const, ...result };
        },
        skip: (reason: string) => {
          calls.push(`skip: ${reason}`);
          return skippedResult(id, id, reason);
        },
      },
    };
  };

  it('skips every task after a health check that reached no bridge', async () => {
    const run = skippingWhenUnreachable('http://127.0.0.1:9');
    const health = task('health', { status: 'fail', data: { unreachable: true } });
    const text = task('text-stream', {});
    await run(health.task);
    const skipped = await run(text.task);
    expect(health.calls).toEqual(['run']);
    expect(text.calls).toEqual(['skip: not run: no bridge answers at http://127.0.0.1:9']);
    expect(skipped.status).toBe('skip');
  });

  it('runs everything when the bridge answered, even a failing health check', async () => {
    const run = skippingWhenUnreachable('http://b');
    const health = task('health', { status: 'fail', data: { unreachable: false } });
    const text = task('text-stream', {});
    await run(health.task);
    await run(text.task);
    expect(text.calls).toEqual(['run']);
  });
});
