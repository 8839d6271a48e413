import { describe, expect, it } from 'vitest';
import { countErrors, runPool } from '../../src/probe/load-pool.js';

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

describe('runPool: edges', () => {
  it('no requests: no call', async () => {
    let calls = 0;
    await runPool(0, 4, async () => {
      calls++;
    });
    expect(calls).toBe(0);
  });

  it('a call that throws rejects the pool', async () => {
    await expect(
      runPool(3, 1, async (i) => {
        if (i === 1) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
