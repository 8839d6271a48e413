import { describe, expect, it } from 'vitest';
import { ReasoningCache } from '../../src/bridge/reasoning-cache.js';

describe('ReasoningCache', () => {
  it('recalls the reasoning of a turn by any of its tool-use ids, and counts hits and misses', () => {
    const cache = new ReasoningCache();
    cache.remember(['toolu_a', 'toolu_b'], 'I need two tools.');
    expect(cache.recall(['toolu_b'])).toBe('I need two tools.');
    expect(cache.recall(['toolu_x'])).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('is bounded by entries and by bytes', () => {
    const byEntries = new ReasoningCache({ maxEntries: 2 });
    byEntries.remember(['1'], 'a');
    byEntries.remember(['2'], 'b');
    byEntries.remember(['3'], 'c');
    expect(byEntries.size).toBe(2);
    expect(byEntries.recall(['1'])).toBeUndefined();
    const byBytes = new ReasoningCache({ maxBytes: 1000 });
    for (let i = 0; i < 10; i++) byBytes.remember([`id${i}`], 'x'.repeat(200));
    expect(byBytes.size).toBeLessThanOrEqual(2);
  });
});
