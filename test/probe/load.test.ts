import { describe, expect, it } from 'vitest';
import { addedLatency } from '../../src/probe/load.js';
import { latencyStats } from '../../src/probe/metrics.js';

describe('addedLatency', () => {
  it('is the bridge minus the upstream at each percentile, undefined where one side has none', () => {
    const target = (t: 'bridge' | 'upstream', ms: number[], ttft: number[]) => ({
      target: t,
      url: 'u',
      stats: latencyStats(
        ms.map((totalMs, i) => ({
          ok: true,
          totalMs,
          ...(ttft[i] !== undefined ? { ttftMs: ttft[i] } : {}),
        })),
        100,
      ),
      errors: [],
    });
    expect(
      addedLatency(target('bridge', [12, 14, 16], [5, 5, 5]), target('upstream', [10, 11, 12], [])),
    ).toEqual({
      p50: 3,
      p90: 3.8,
      p99: 3.98,
      ttftP50: undefined,
    });
  });
});
