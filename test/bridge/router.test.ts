import { describe, expect, it } from 'vitest';
import { Router } from '../../src/bridge/router.js';
import { Upstream } from '../../src/bridge/upstream.js';
import { upstreamSchema } from '../../src/config/schema.js';

const timeouts = { idleTimeoutMs: 1000, headersTimeoutMs: 1000 };
const up = (name: string) =>
  new Upstream(upstreamSchema.parse({ name, url: `http://127.0.0.1:1/${name}` }), timeouts);

describe('Router.resolve', () => {
  const a = up('a');
  const b = up('b');
  const router = new Router(
    {
      opus: { model: 'deepseek-v4-pro', upstreams: ['a'] },
      haiku: 'deepseek-v4-flash',
      'my-exact-name': 'exact-model',
      subagent: 'sub-model',
      default: 'deepseek-v4-flash',
    },
    [a, b],
  );

  it('maps exact names first, then tiers contained in the name, then the default', () => {
    expect(router.resolve('my-exact-name')).toMatchObject({ model: 'exact-model', source: 'exact' });
    const opus = router.resolve('claude-opus-4-5-20251101');
    expect(opus).toMatchObject({ model: 'deepseek-v4-pro', source: 'tier' });
    expect(opus.upstreams.map((u) => u.name)).toEqual(['a']);
    expect(router.resolve('claude-3-5-haiku-latest')).toMatchObject({
      model: 'deepseek-v4-flash',
      source: 'tier',
    });
    expect(router.resolve('subagent')).toMatchObject({ model: 'sub-model' });
    expect(router.resolve('something-else')).toMatchObject({ model: 'deepseek-v4-flash', source: 'default' });
  });

  it('lets X-Model-Override pick a model (through the map when it is a key)', () => {
    expect(router.resolve('claude-opus-4-5', 'haiku')).toMatchObject({
      model: 'deepseek-v4-flash',
      source: 'override',
    });
    expect(router.resolve('claude-opus-4-5', 'qwen3-coder')).toMatchObject({
      model: 'qwen3-coder',
      source: 'override',
    });
  });

  it('passes names through to the upstream default when there is no map, and 404s only when nothing maps', () => {
    expect(new Router({}, [a]).resolve('claude-sonnet-4-5')).toMatchObject({
      model: undefined,
      source: 'passthrough',
    });
    expect(() => new Router({ opus: 'x' }, [a]).resolve('claude-sonnet-4-5')).toThrow(
      /not in dsb's model map/,
    );
    try {
      new Router({ opus: 'x' }, [a]).resolve('claude-sonnet-4-5');
    } catch (err) {
      expect(err).toMatchObject({ status: 404, type: 'not_found_error' });
    }
  });

  it('refuses a map naming an upstream that does not exist', () => {
    expect(() => new Router({ opus: { upstreams: ['nope'] } }, [a])).toThrow(/"nope"/);
  });
});

describe('Router.pick', () => {
  it('chooses the least outstanding healthy upstream, skips tried and failed ones', () => {
    let now = 0;
    const a = up('a');
    const b = up('b');
    const c = up('c');
    const router = new Router({}, [a, b, c], () => now);
    const route = router.resolve('x');
    // Requests in flight are counted by the upstream's leases (outstanding is read-only).
    for (const [u, n] of [
      [a, 3],
      [b, 1],
      [c, 2],
    ] as const)
      for (let i = 0; i < n; i++) u.acquire();
    expect([a.outstanding, b.outstanding, c.outstanding]).toEqual([3, 1, 2]);
    expect(router.pick(route, new Set())?.name).toBe('b');
    expect(router.pick(route, new Set([b]))?.name).toBe('c');
    router.markFailure(c);
    expect(router.pick(route, new Set([b]))?.name).toBe('a');
    // Only failed ones left: still tried, as a last resort.
    expect(router.pick(route, new Set([a, b]))?.name).toBe('c');
    expect(router.pick(route, new Set([a, b, c]))).toBeUndefined();
    now += 10_000;
    expect(router.isHealthy(c)).toBe(true);
  });
});
