import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import {
  bridgeUrl,
  bridgeUrlFromConfig,
  bridgeUrlProblem,
  type ProbeFlagValues,
  probeOptionsFrom,
} from '../../src/probe/command-options.js';

const flags = (over: Partial<ProbeFlagValues> = {}): ProbeFlagValues => ({
  concurrency: 4,
  compareDirect: false,
  clientModel: 'claude-sonnet-4-5',
  maxTokens: 32_000,
  timeout: 600,
  ...over,
});
const config = (server: Record<string, unknown>, upstreams: unknown[] = []) =>
  configSchema.parse({ server, ...(upstreams.length ? { upstreams } : {}) });

describe('where the bridge is', () => {
  it('reaches a wildcard bind address over loopback, and brackets IPv6', () => {
    expect(bridgeUrlFromConfig(config({ host: '0.0.0.0', port: 3001 }))).toBe('http://127.0.0.1:3001');
    expect(bridgeUrlFromConfig(config({ host: '::', port: 3001 }))).toBe('http://[::1]:3001');
    expect(bridgeUrlFromConfig(config({ host: 'fe80::1', port: 3001 }))).toBe('http://[fe80::1]:3001');
    expect(bridgeUrlFromConfig(config({ host: '127.0.0.2', port: 3001 }))).toBe('http://127.0.0.2:3001');
  });

  it('takes --url, else the config, else the default port on loopback', () => {
    expect(bridgeUrl('http://h:1', config({ port: 2 }))).toBe('http://h:1');
    expect(bridgeUrl(undefined, config({ host: '127.0.0.1', port: 2 }))).toBe('http://127.0.0.1:2');
    expect(bridgeUrl(undefined, undefined)).toBe('http://127.0.0.1:3000');
  });

  it('says what is wrong with a URL that is not http(s)', () => {
    expect(bridgeUrlProblem('http://127.0.0.1:3000')).toBeUndefined();
    expect(bridgeUrlProblem('nope')).toBe('is not a URL (example: http://127.0.0.1:3000)');
    expect(bridgeUrlProblem('ftp://h')).toBe('must be http:// or https://');
  });
});

describe('probeOptionsFrom', () => {
  it('maps the flags, with the token from the config unless given, and seconds to milliseconds', () => {
    const opts = probeOptionsFrom(
      flags({
        url: 'http://b:1/',
        scenario: ['health'],
        load: 10,
        concurrency: 2,
        compareDirect: true,
        timeout: 5,
      }),
      config({ authToken: 'config-token-123' }),
      undefined,
    );
    expect(opts).toEqual({
      url: 'http://b:1',
      token: 'config-token-123',
      model: 'claude-sonnet-4-5',
      maxTokens: 32_000,
      timeoutMs: 5000,
      scenarioIds: ['health'],
      load: { requests: 10, concurrency: 2 },
      compareDirect: true,
      upstream: {},
    });
    expect(
      probeOptionsFrom(flags({ token: 'flag-token' }), config({ authToken: 'config-token-123' }), undefined)
        .token,
    ).toBe('flag-token');
  });

  it("takes the upstream's key and model from the config entry matching --upstream, with or without /v1", () => {
    const cfg = config({}, [
      { name: 'a', url: 'http://a:1/v1', apiKey: 'key-a', model: 'model-a' },
      { name: 'b', url: 'http://b:2', apiKey: 'key-b' },
    ]);
    expect(probeOptionsFrom(flags({ upstream: 'http://b:2/v1/' }), cfg, undefined).upstream).toEqual({
      url: 'http://b:2/v1/',
      apiKey: 'key-b',
    });
    expect(probeOptionsFrom(flags(), cfg, undefined).upstream).toEqual({ apiKey: 'key-a', model: 'model-a' });
    expect(probeOptionsFrom(flags({ upstream: 'http://c:3' }), cfg, undefined).upstream).toEqual({
      url: 'http://c:3',
    });
  });

  it('carries the long-context file', () => {
    const lc = { path: 'f.py', content: 'x' };
    expect(probeOptionsFrom(flags(), undefined, lc).longContext).toBe(lc);
  });
});
