// Issue 13 items 1 and 5: a web page cannot drive the bridge (DNS rebinding Host, cross-origin
// Origin, a "simple" text/plain POST), a configured origin can (CORS), /health and /metrics keep
// answering local peers, and /health never costs one upstream call per request.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { type FakeUpstream, startFakeLlama } from '../support/fake-upstream/index.js';

const ALLOWED = 'https://app.example:8443';
const TOKEN = 'bridge-token-0123456789';
// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field, as JSON
type AnyJson = any;
let upstream: FakeUpstream;
let bridge: RunningBridge;
let withToken: RunningBridge;

const message = JSON.stringify({ model: 'm', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

/** A raw request (node:http lets the test set Host and Origin as a browser would). */
function send(
  target: RunningBridge,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: AnyJson }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path ?? '/health',
        headers: options.headers,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const completions = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions').length;
const modelsCalls = () => upstream.requests.filter((r) => r.path === '/v1/models').length;

beforeAll(async () => {
  upstream = await startFakeLlama();
  bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0, allowedOrigins: [ALLOWED] },
      upstreams: [{ url: upstream.url, model: 'fake' }],
    }),
    logger: silentLogger,
  });
  withToken = await startBridge({
    config: configSchema.parse({
      server: { port: 0, authToken: TOKEN },
      upstreams: [{ url: upstream.url, model: 'fake' }],
    }),
    logger: silentLogger,
  });
});
afterAll(async () => {
  await bridge?.close();
  await withToken?.close();
  await upstream?.close();
});

describe('Host (DNS rebinding)', () => {
  it.each(['attacker.example', 'attacker.example:PORT', '127.0.0.1:1', 'localhost.attacker.example:PORT'])(
    'a foreign Host %s gets 403 in the Anthropic shape, and nothing reaches the upstream',
    async (host) => {
      const before = completions();
      for (const [method, path, body] of [
        ['POST', '/v1/messages', message],
        ['GET', '/health', undefined],
        ['GET', '/v1/models', undefined],
      ] as const) {
        const res = await send(bridge, {
          method,
          path,
          body,
          headers: { host: host.replace('PORT', String(bridge.port)), 'content-type': 'application/json' },
        });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
        expect(JSON.stringify(res.json)).not.toContain(upstream.url);
      }
      expect(completions()).toBe(before);
    },
  );

  it.each(['127.0.0.1:PORT', 'localhost:PORT', 'LOCALHOST:PORT', '[::1]:PORT'])(
    'Host %s is served',
    async (host) => {
      const res = await send(bridge, {
        method: 'POST',
        path: '/v1/messages',
        body: message,
        headers: { host: host.replace('PORT', String(bridge.port)), 'content-type': 'application/json' },
      });
      expect(res.status).toBe(200);
      expect(res.json.type).toBe('message');
    },
  );
});

describe('Origin and content type (cross-origin pages)', () => {
  it('a "simple" text/plain POST from another origin is refused and runs nothing', async () => {
    const before = completions();
    const res = await send(bridge, {
      method: 'POST',
      path: '/v1/messages',
      body: message,
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(res.json.error.type).toBe('permission_error');
    expect(res.json.error.message).toContain('server.allowedOrigins');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(completions()).toBe(before);
  });

  it.each([['https://evil.example'], ['null'], ['http://127.0.0.1:1234']])(
    'any Origin not configured is refused (%s), on GET /health too',
    async (origin) => {
      const res = await send(bridge, { path: '/health', headers: { origin } });
      expect(res.status).toBe(403);
    },
  );

  it('a cross-site browser request without Origin (Sec-Fetch-Site) is refused', async () => {
    const res = await send(bridge, { path: '/v1/models', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(res.status).toBe(403);
  });

  it('a POST that is not application/json is refused with 415, even without an Origin', async () => {
    const before = completions();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await send(bridge, {
        method: 'POST',
        path: '/v1/messages',
        body: message,
        headers: { 'content-type': type },
      });
      expect(res.status, type).toBe(415);
      expect(res.json.error.type).toBe('invalid_request_error');
    }
    const none = await send(bridge, { method: 'POST', path: '/v1/chat/completions', body: message });
    expect(none.status).toBe(415);
    const ok = await send(bridge, {
      method: 'POST',
      path: '/v1/messages/count_tokens',
      body: message,
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    });
    expect(ok.status).toBe(200);
    expect(completions()).toBe(before);
  });

  it('a configured origin gets its preflight and CORS headers', async () => {
    const pre = await send(bridge, {
      method: 'OPTIONS',
      path: '/v1/messages',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-api-key,anthropic-version',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toContain('x-api-key');
    const res = await send(bridge, {
      method: 'POST',
      path: '/v1/messages',
      body: message,
      headers: { origin: ALLOWED, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers.vary).toContain('Origin');
  });
});

describe('/health and /metrics with a token configured', () => {
  it('answer a loopback peer without the token; the API still needs it', async () => {
    expect((await send(withToken, { path: '/health' })).status).toBe(200);
    expect((await send(withToken, { path: '/metrics' })).status).toBe(200);
    expect((await send(withToken, { path: '/v1/models' })).status).toBe(401);
  });

  it('/health answers from cached upstream facts: 100 requests, at most one upstream call', async () => {
    await send(withToken, { path: '/health' }); // the first reading
    const before = modelsCalls();
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => send(withToken, { path: '/health' })),
    );
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.json.upstreams[0].reachable).toBe(true);
    }
    // One background refresh may fall inside the burst when the reading turned stale meanwhile.
    expect(modelsCalls() - before).toBeLessThanOrEqual(1);
  });
});
