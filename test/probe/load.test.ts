import { describe, expect, it } from 'vitest';
import { addedLatency } from '../../src/probe/load.js';
import { countErrors, runPool } from '../../src/probe/load-pool.js';
import { latencyStats } from '../../src/probe/metrics.js';

describe('runPool', () => {
  it('runs every index once with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const gates: Array<() => void> = [];
    const pool = runPool(7, 3, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      seen.push(i);
      await new Promise<void>((resolve) => gates.push(resolve));
      inFlight--;
    });
    // Release the calls one by one as they queue up: the pool never has more than 3 waiting.
    while (seen.length < 7 || gates.length > 0) {
      await Promise.resolve();
      gates.shift()?.();
    }
    await pool;
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(most).toBe(3);
  });

  it('runs at least one worker, and no more workers than requests', async () => {
    const seen: number[] = [];
    await runPool(2, 0, async (i) => {
      seen.push(i);
    });
    expect(seen).toEqual([0, 1]);
  });
});

describe('countErrors', () => {
  it('tallies distinct messages, most frequent first', () => {
    expect(countErrors(['a', 'b', 'b', 'c', 'b', 'a'])).toEqual([
      { message: 'b', count: 3 },
      { message: 'a', count: 2 },
      { message: 'c', count: 1 },
    ]);
    expect(countErrors([])).toEqual([]);
  });
});

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
