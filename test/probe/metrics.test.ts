import { describe, expect, it } from 'vitest';
import type { SseEvent } from '../../src/probe/invariants.js';
import {
  latencyStats,
  percentile,
  streamMetrics,
  usageOf,
  wholeResponseMetrics,
} from '../../src/probe/metrics.js';

const ev = (data: Record<string, unknown> & { type: string }): SseEvent => ({ event: data.type, data });
const textDelta = (t: string) =>
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } });

describe('percentile', () => {
  it('interpolates between closest ranks', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 1, 5], 0)).toBe(1);
    expect(percentile([10, 1, 5], 100)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1);
  });
});

describe('streamMetrics', () => {
  const events = [
    ev({ type: 'message_start', message: { usage: { input_tokens: 1000, output_tokens: 1 } } }),
    ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    textDelta('a'),
    ev({ type: 'ping' }),
    textDelta('b'),
    textDelta('c'),
    ev({ type: 'content_block_stop', index: 0 }),
    ev({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 21 } }),
    ev({ type: 'message_stop' }),
  ];
  // Request sent at 100 ms; deltas at 600, 620, 700 ms.
  const times = [150, 150, 600, 610, 620, 700, 700, 705, 710];

  it('measures TTFT, inter-token gaps and throughput from usage', () => {
    const m = streamMetrics(events, times, 100, 720);
    expect(m.ttftMs).toBe(500);
    expect(m.itlP50Ms).toBe(50); // gaps 20 and 80
    expect(m.itlP99Ms).toBeCloseTo(79.4);
    expect(m.outputTokensPerSec).toBe(21 / 0.1);
    expect(m.promptTokensPerSec).toBe(1000 / 0.5);
    expect(m.totalMs).toBe(620);
    expect(m.inputTokens).toBe(1000);
    expect(m.outputTokens).toBe(21);
  });

  it('has no TTFT when no content arrived, and no rate from a single delta', () => {
    expect(streamMetrics(events.slice(0, 2), times, 100, 200)).toEqual({
      totalMs: 100,
      inputTokens: 1000,
      outputTokens: 1,
    });
    const one = streamMetrics([events[0] as SseEvent, textDelta('x')], [110, 130], 100, 140);
    expect(one.ttftMs).toBe(30);
    expect(one.outputTokensPerSec).toBeUndefined();
  });

  it('takes the final input_tokens from message_delta when the bridge puts them there', () => {
    const withFinal = [
      ...events.slice(0, 7),
      ev({ type: 'message_delta', usage: { input_tokens: 1200, output_tokens: 3 } }),
    ];
    expect(usageOf(withFinal)).toEqual({ inputTokens: 1200, outputTokens: 3 });
  });
});

describe('wholeResponseMetrics and latencyStats', () => {
  it('rates a non-streamed answer over its total time', () => {
    expect(wholeResponseMetrics({ inputTokens: 10, outputTokens: 50 }, 0, 500)).toEqual({
      totalMs: 500,
      inputTokens: 10,
      outputTokens: 50,
      outputTokensPerSec: 100,
    });
  });

  it('computes the load table over successes, failure rate over all', () => {
    const samples = [
      ...Array.from({ length: 9 }, (_, i) => ({ ok: true, totalMs: (i + 1) * 10, ttftMs: i + 1 })),
      { ok: false, totalMs: 5000 },
    ];
    const s = latencyStats(samples, 2000);
    expect(s.requests).toBe(10);
    expect(s.failures).toBe(1);
    expect(s.failureRate).toBe(0.1);
    expect(s.requestsPerSec).toBe(5);
    expect(s.latencyMs.p50).toBe(50);
    expect(s.latencyMs.max).toBe(90);
    expect(s.latencyMs.mean).toBe(50);
    expect(s.ttftMs.p50).toBe(5);
  });
});
