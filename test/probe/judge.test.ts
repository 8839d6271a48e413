import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/probe/bridge-client.js';
import { describeAnswer, evaluateExchange, longestSilence, scenarioResult } from '../../src/probe/judge.js';

const exchange = (over: Partial<Exchange>): Exchange => ({
  headers: {},
  events: [],
  times: [],
  text: '',
  startMs: 0,
  endMs: 10,
  ...over,
});

describe('longestSilence', () => {
  it('finds the longest silence of a stream (pings are due every 10-15 s)', () => {
    expect(longestSilence([0, 5, 20_005, 20_010])).toEqual({ ms: 20_000, after: 1 });
    expect(longestSilence([3])).toBeUndefined();
  });
});

describe('evaluateExchange', () => {
  it('a request that got no answer fails with the transport error', () => {
    const out = evaluateExchange('t', exchange({ transportError: 'closed' }), true, undefined);
    expect(out.problems).toEqual(['closed']);
    expect(out.step).toEqual({ title: 't', stream: true, violations: [] });
  });

  it('an error answer fails with its message, and says when its body is not the Anthropic shape', () => {
    const good = evaluateExchange(
      't',
      exchange({
        status: 429,
        json: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
      }),
      true,
      undefined,
    );
    expect(good.problems).toEqual(['HTTP 429: slow down']);
    expect(good.step).toMatchObject({ httpStatus: 429, metrics: { totalMs: 10 } });
    const bad = evaluateExchange('t', exchange({ status: 500, text: 'oops' }), false, undefined);
    expect(bad.problems).toEqual([
      'HTTP 500: oops',
      'the error body is not in the Anthropic shape {"type":"error","error":{"type","message"}}',
    ]);
  });

  it('a stream that was not labelled text/event-stream, went silent too long and broke its invariants', () => {
    const start = {
      type: 'message_start',
      message: {
        id: 'm',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'x',
        usage: { input_tokens: 1 },
      },
    };
    const out = evaluateExchange(
      't',
      exchange({
        status: 200,
        headers: { 'content-type': 'application/json' },
        events: [
          { event: 'message_start', data: start },
          { event: 'ping', data: { type: 'ping' } },
        ],
        times: [0, 16_000],
      }),
      true,
      undefined,
    );
    expect(out.problems[0]).toBe(
      'content-type is "application/json", not text/event-stream: the bridge ignored stream: true',
    );
    expect(out.warnings[0]).toMatch(/^the stream went silent for 16\.0 s between events #0 and #1/);
    expect(out.step.events).toBe(2);
    expect(out.step.violations.map((v) => v.invariant)).toContain('message-stop-last');
  });

  it('judges a whole JSON answer against the expectation', () => {
    const json = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 2 },
    };
    const out = evaluateExchange('t', exchange({ status: 200, json }), false, { stopReason: 'tool_use' });
    expect(out.step.stopReason).toBe('end_turn');
    expect(out.step.violations).toEqual([]);
    expect(out.problems).toEqual(['stop_reason "end_turn", expected "tool_use"']);
    expect(out.answer?.outputTokens).toBe(2);
  });
});

describe('scenarioResult', () => {
  const base = { id: 's', title: 'S' };
  it('passes with the ok summary, warns with the first warning, fails with the first problem', () => {
    expect(scenarioResult(base, { problems: [], warnings: [], steps: [], okSummary: 'fine' })).toMatchObject({
      status: 'pass',
      summary: 'fine',
    });
    expect(
      scenarioResult(base, { problems: [], warnings: ['w1', 'w2'], steps: [], okSummary: 'fine' }),
    ).toMatchObject({ status: 'warn', summary: 'fine; w1' });
    expect(
      scenarioResult(base, { problems: ['p1'], warnings: ['w1'], steps: [], okSummary: 'fine' }),
    ).toMatchObject({
      status: 'fail',
      summary: 'p1',
    });
  });

  it('fails on violations alone, naming the first and how many more', () => {
    const v = (index: number) => ({ invariant: 'one-open-block', index, message: 'm' });
    const result = scenarioResult(base, {
      problems: [],
      warnings: [],
      steps: [{ title: 'a', stream: true, violations: [v(3), v(5)], metrics: { totalMs: 7 } }],
      okSummary: 'fine',
      data: { k: 1 },
    });
    expect(result).toMatchObject({
      status: 'fail',
      summary: 'one-open-block at event #3: m (+1 more)',
      metrics: { totalMs: 7 },
      data: { k: 1 },
      durationMs: 0,
    });
    expect(result.violations).toHaveLength(2);
  });
});

describe('describeAnswer', () => {
  it('names the stop reason, the events and the output tokens it knows', () => {
    expect(
      describeAnswer({
        title: 't',
        stream: true,
        violations: [],
        stopReason: 'end_turn',
        events: 9,
        metrics: { totalMs: 1, outputTokens: 12 },
      }),
    ).toBe('end_turn, 9 events, 12 output tokens');
    expect(describeAnswer({ title: 't', stream: false, violations: [] })).toBe('no stop_reason');
  });
});
