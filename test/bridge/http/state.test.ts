import { describe, expect, it } from 'vitest';
import {
  COALESCE_FROM_STREAMS,
  COALESCE_WINDOW_MS,
  createBridgeState,
  requestBounds,
  runtimeOf,
} from '../../../src/bridge/http/state.js';
import { silentLogger } from '../../../src/bridge/log.js';
import { configSchema } from '../../../src/config/schema.js';

// No request is sent: building the state opens no connection (the upstream URLs are never dialled).
const config = (extra: Record<string, unknown> = {}) =>
  configSchema.parse({
    server: { port: 0, ...extra },
    upstreams: [
      { name: 'a', url: 'http://127.0.0.1:9/v1', model: 'm' },
      { name: 'b', url: 'http://127.0.0.1:10/v1', model: 'm' },
    ],
    models: { default: { model: 'routed', upstreams: ['b'] } },
  });

const build = (input: Partial<Parameters<typeof createBridgeState>[0]> = {}) => {
  const c = input.config ?? config();
  return createBridgeState({
    config: c,
    upstreamConfigs: c.upstreams,
    demo: false,
    logger: silentLogger,
    redact: (t) => t,
    ...input,
  });
};

describe('createBridgeState', () => {
  it('one upstream and one runtime per configured upstream; the model map routes', () => {
    const state = build();
    expect(state.upstreams.map((u) => u.name)).toEqual(['a', 'b']);
    for (const u of state.upstreams) expect(runtimeOf(state, u).upstream).toBe(u);
    const route = state.router.resolve('claude-sonnet-4-5');
    expect(route.model).toBe('routed');
    expect(route.upstreams.map((u) => u.name)).toEqual(['b']);
  });

  it('the demo ignores the model map (every model passes through)', () => {
    expect(build({ demo: true }).router.resolve('anything').source).toBe('passthrough');
  });

  it('limits: server.limits with the caller overrides on top', () => {
    const state = build({ limits: { maxResponseBytes: 123 } });
    expect(state.limits.maxResponseBytes).toBe(123);
    expect(state.limits.maxRequestJsonDepth).toBe(state.server.limits.maxRequestJsonDepth);
    expect(requestBounds(state)).toEqual({
      bodyBytes: state.server.bodyLimitBytes,
      jsonDepth: state.server.limits.maxRequestJsonDepth,
    });
  });

  it('the response cache exists only when enabled; coalescing defaults unless given', () => {
    expect(build().responseCache).toBeUndefined();
    expect(build({ config: config({ cache: { enabled: true } }) }).responseCache).toBeDefined();
    expect(build().coalesce).toEqual({ windowMs: COALESCE_WINDOW_MS, fromStreams: COALESCE_FROM_STREAMS });
    expect(build({ coalesce: { windowMs: 0, fromStreams: 1 } }).coalesce).toEqual({
      windowMs: 0,
      fromStreams: 1,
    });
  });

  it('thinking signatures are stable within one bridge and differ between bridges (a fresh key each)', () => {
    const one = build();
    const other = build();
    const sig = one.signThinking('I think');
    expect(sig).toMatch(/^dsb1\.[A-Za-z0-9_-]{43}$/);
    expect(one.signThinking('I think')).toBe(sig);
    expect(one.signThinking('I think!')).not.toBe(sig);
    expect(other.signThinking('I think')).not.toBe(sig);
  });

  it('ids carry their prefix and do not repeat', () => {
    const state = build();
    const ids = new Set(Array.from({ length: 100 }, () => state.newId('toolu_')));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^toolu_[A-Za-z0-9_-]{16}$/);
  });
});

describe('runtimeOf', () => {
  it('throws for an upstream that is not this bridge’s', () => {
    const state = build();
    const foreign = build().upstreams[0]!;
    expect(() => runtimeOf(state, foreign)).toThrow(/no runtime for upstream/);
  });
});
