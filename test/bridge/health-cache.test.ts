import { describe, expect, it } from 'vitest';
import { type HealthReading, UpstreamHealthCache } from '../../src/bridge/health-cache.js';

/** A probe whose answers the test hands out one by one. */
function scriptedProbe() {
  const pending: Array<{ upstream: string; resolve: (v: unknown) => void; reject: (e: unknown) => void }> =
    [];
  const probe = (upstream: string) =>
    new Promise<unknown>((resolve, reject) => {
      pending.push({ upstream, resolve, reject });
    });
  return { probe, pending };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('UpstreamHealthCache', () => {
  it('the first read waits for the probe; a fresh reading is answered without probing again', async () => {
    let now = 1_000;
    const { probe, pending } = scriptedProbe();
    const cache = new UpstreamHealthCache(probe, { maxAgeMs: 100, now: () => now });
    const first = cache.read('a');
    expect(pending).toHaveLength(1);
    now = 1_010;
    pending[0]!.resolve({ data: [] });
    expect(await first).toEqual({ models: { data: [] }, at: 1_010 });
    now = 1_109;
    expect(await cache.read('a')).toEqual({ models: { data: [] }, at: 1_010 });
    expect(pending).toHaveLength(1);
  });

  it('concurrent first readers share one probe', async () => {
    const { probe, pending } = scriptedProbe();
    const cache = new UpstreamHealthCache(probe, { maxAgeMs: 100, now: () => 0 });
    const reads = [cache.read('a'), cache.read('a'), cache.read('a')];
    expect(pending).toHaveLength(1);
    pending[0]!.resolve('m');
    const readings = await Promise.all(reads);
    expect(readings.every((r) => r === readings[0])).toBe(true);
  });

  it('a stale reading is answered at once while one refresh runs in the background', async () => {
    let now = 0;
    const { probe, pending } = scriptedProbe();
    const cache = new UpstreamHealthCache(probe, { maxAgeMs: 100, now: () => now });
    const first = cache.read('a');
    pending[0]!.resolve('old');
    await first;
    now = 100; // exactly maxAgeMs old: stale
    expect((await cache.read('a')).models).toBe('old');
    expect((await cache.read('a')).models).toBe('old');
    expect(pending).toHaveLength(2); // one refresh for both stale reads
    pending[1]!.resolve('new');
    await settle();
    expect(await cache.read('a')).toEqual({ models: 'new', at: 100 });
  });

  it('a probe that throws is a reading with no models; every fresh reading is reported', async () => {
    const { probe, pending } = scriptedProbe();
    const seen: Array<[string, HealthReading]> = [];
    const cache = new UpstreamHealthCache(probe, {
      maxAgeMs: 100,
      now: () => 5,
      onReading: (u, r) => seen.push([u, r]),
    });
    const a = cache.read('a');
    const b = cache.read('b');
    pending[0]!.reject(new Error('ECONNREFUSED'));
    pending[1]!.resolve('ok');
    expect(await a).toEqual({ models: undefined, at: 5 });
    expect(await b).toEqual({ models: 'ok', at: 5 });
    expect(seen).toEqual([
      ['a', { models: undefined, at: 5 }],
      ['b', { models: 'ok', at: 5 }],
    ]);
  });
});
