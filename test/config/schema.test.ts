import { describe, expect, it } from 'vitest';
import {
  configSchema,
  httpUrlProblem,
  isLoopbackHost,
  limitsSchema,
  modelRouteSchema,
  profileSchema,
  serverSchema,
  upstreamSchema,
} from '../../src/config/schema.js';

/** The dotted paths of a failed parse's issues. */
const issues = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }) =>
  r.success ? [] : (r.error?.issues ?? []).map((i) => i.path.join('.'));

describe('httpUrlProblem', () => {
  it('accepts http and https URLs, whatever the case of the scheme', () => {
    for (const u of ['http://127.0.0.1:8080', 'HTTPS://api.deepseek.com', 'http://[::1]:8080/v1'])
      expect(httpUrlProblem(u)).toBeUndefined();
  });

  it('an http URL that does not parse', () => {
    expect(httpUrlProblem('http://')).toBe('not a valid URL (example: http://127.0.0.1:8080)');
    expect(httpUrlProblem('http://a b')).toBe('not a valid URL (example: http://127.0.0.1:8080)');
  });

  it('a bare host (and port, path) gets the URL it probably meant', () => {
    expect(httpUrlProblem('localhost:8080')).toBe(
      'must be an http:// or https:// URL: did you mean http://localhost:8080?',
    );
    expect(httpUrlProblem('box.lan/v1')).toContain('did you mean http://box.lan/v1?');
    expect(httpUrlProblem('[::1]:8080')).toContain('did you mean http://[::1]:8080?');
  });

  it('another scheme, or text that is no host, gets the plain rule', () => {
    const plain = 'must be an http:// or https:// URL (example: http://127.0.0.1:8080)';
    expect(httpUrlProblem('ftp://example.com')).toBe(plain);
    expect(httpUrlProblem('not a host')).toBe(plain);
    expect(httpUrlProblem('')).toBe(plain);
  });
});

describe('isLoopbackHost', () => {
  it('the loopback names and 127/8; nothing else', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', 'localhost.evil', '127.0.0.1.nip.io', 'LOCALHOSTX'])
      expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('configSchema', () => {
  it('an empty config: loopback 3000, one auto upstream at 127.0.0.1:8080, no routes', () => {
    const config = configSchema.parse({});
    expect(config.server).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      logFormat: 'text',
      allowedOrigins: [],
    });
    expect(config.server.limits).toEqual(limitsSchema.parse({}));
    expect(config.server.cache).toEqual({ enabled: false, maxEntries: 256, maxBytes: 64 * 1024 * 1024 });
    expect(config.upstreams).toEqual([{ url: 'http://127.0.0.1:8080', kind: 'auto' }]);
    expect(config.models).toEqual({});
  });

  it('a partial server block keeps the other defaults, limits included', () => {
    const config = configSchema.parse({ server: { port: 0, limits: { maxResponseBytes: 10 } } });
    expect(config.server.port).toBe(0);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.server.limits.maxResponseBytes).toBe(10);
    expect(config.server.limits.maxRequestJsonDepth).toBe(512);
  });

  it('unknown keys are refused at every level', () => {
    expect(issues(configSchema.safeParse({ serevr: {} }))).toEqual(['']);
    expect(issues(configSchema.safeParse({ server: { prot: 1 } }))).toEqual(['server']);
    expect(issues(configSchema.safeParse({ upstreams: [{ url: 'http://a', modle: 'x' }] }))).toEqual([
      'upstreams.0',
    ]);
    expect(issues(configSchema.safeParse({ server: { limits: { maxBytes: 1 } } }))).toEqual([
      'server.limits',
    ]);
  });

  it('bounds: port 0–65535, a token of 8+ characters, at least one upstream, known kinds', () => {
    expect(issues(serverSchema.safeParse({ port: 65536 }))).toEqual(['port']);
    expect(issues(serverSchema.safeParse({ port: -1 }))).toEqual(['port']);
    expect(issues(serverSchema.safeParse({ authToken: 'short' }))).toEqual(['authToken']);
    expect(serverSchema.safeParse({ requestTimeoutMs: 0 }).success).toBe(true); // 0: off
    expect(issues(serverSchema.safeParse({ requestHeadersTimeoutMs: 0 }))).toEqual([
      'requestHeadersTimeoutMs',
    ]);
    expect(issues(serverSchema.safeParse({ allowedOrigins: ['not a url'] }))).toEqual(['allowedOrigins.0']);
    expect(issues(configSchema.safeParse({ upstreams: [] }))).toEqual(['upstreams']);
    expect(issues(upstreamSchema.safeParse({ url: 'http://a', kind: 'tgi' }))).toEqual(['kind']);
    expect(issues(upstreamSchema.safeParse({ url: 'localhost:8080' }))).toEqual(['url']);
  });

  it('a profile needs a known backend; its port starts at 1', () => {
    expect(profileSchema.parse({ backend: 'vllm' })).toEqual({ backend: 'vllm', host: '127.0.0.1' });
    expect(issues(profileSchema.safeParse({ backend: 'tgi' }))).toEqual(['backend']);
    expect(issues(profileSchema.safeParse({ backend: 'vllm', port: 0 }))).toEqual(['port']);
  });
});

describe('modelRouteSchema', () => {
  it('a model id, or {model?, upstreams?} with at least one upstream named', () => {
    expect(modelRouteSchema.parse('deepseek-chat')).toBe('deepseek-chat');
    expect(modelRouteSchema.parse({ upstreams: ['a'] })).toEqual({ upstreams: ['a'] });
    expect(modelRouteSchema.safeParse('').success).toBe(false);
    expect(modelRouteSchema.safeParse({ upstreams: [] }).success).toBe(false);
    expect(modelRouteSchema.safeParse({ upstream: ['a'] }).success).toBe(false);
  });
});
