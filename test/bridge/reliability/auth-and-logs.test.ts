// Security of a bridge bound to a non-loopback address (design.md §4.8): it refuses to start
// without a token; a missing or wrong token gets 401 `authentication_error` with
// `x-should-retry: false` on every API route; tokens are compared in constant time (a hash of each
// side through crypto.timingSafeEqual, so neither content nor length shows in the timing); and no
// key or token ever appears in the logs, whatever the upstream echoes back.
//
// The bridge binds `::ffff:127.0.0.1`: an address the bridge does not treat as loopback (so the
// non-loopback rules apply) that is still only reachable from this machine.
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BridgeLogger, createLogger } from '../../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../../src/bridge/server.js';
import { configSchema, isLoopbackHost } from '../../../src/config/schema.js';
import { type FakeUpstream, startFakeUpstream } from '../../support/fake-upstream/index.js';

const HOST = '::ffff:127.0.0.1';
const TOKEN = 'bridge-token-7d3e9b21c5';
const API_KEY = 'sk-upstream-key-0c1d2e3f4a5b';
// (Whitespace around a header value is not part of it in HTTP, so a padded token is the token.)
const WRONG_TOKENS = [
  '',
  'x',
  'bridge-token',
  `${TOKEN}x`,
  `${TOKEN.slice(0, -1)}0`,
  TOKEN.toUpperCase(),
  `${TOKEN} ${TOKEN}`,
  'sk-ant-api03-client-sent-this-by-mistake',
];

/** An upstream that checks the bridge's key, and echoes whatever Authorization it got in its errors. */
let upstream: FakeUpstream;
let upstreamUrl = '';
let upstreamAnswer: 'ok' | 'echo-401' | 'echo-500' | 'echo-mid-stream' = 'ok';
/** The Authorization header of every request the upstream got. */
const seenAuthorization = () => upstream.requests.map((r) => String(r.headers.authorization ?? ''));

let bridge: RunningBridge;
let base = '';
const lines: string[] = [];
const timingCalls: Array<[number, number]> = [];
const originalTimingSafeEqual = crypto.timingSafeEqual;

beforeAll(async () => {
  crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    timingCalls.push([a.byteLength, b.byteLength]);
    return originalTimingSafeEqual(a, b);
  }) as typeof crypto.timingSafeEqual;
  syncBuiltinESMExports();

  upstream = await startFakeUpstream({
    routes: {
      'GET /v1/models': () => ({
        body: '{"object":"list","data":[{"id":"deepseek-chat","object":"model","owned_by":"deepseek"}]}',
        type: 'application/json',
      }),
    },
    answer: (res, _body, exchange) => {
      const auth = String(exchange.request.headers.authorization ?? '');
      if (upstreamAnswer === 'echo-mid-stream') {
        // vLLM-style: the stream starts, then an error chunk (here echoing the credentials) ends it.
        const auth2 = auth.replace(/^Bearer /, '');
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"par"}}]}\n\n');
        res.end(
          `data: ${JSON.stringify({ error: { message: `key ${auth2} was revoked mid-stream`, code: 401 } })}\n\n`,
        );
        return;
      }
      if (upstreamAnswer !== 'ok') {
        // Careless servers (and proxies) put the credentials they got into their error messages.
        res.writeHead(upstreamAnswer === 'echo-401' ? 401 : 500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              message: `Incorrect API key provided: ${auth.replace(/^Bearer /, '')}`,
              type: 'invalid_request_error',
            },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          model: 'deepseek-chat',
          choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 1 },
        }),
      );
    },
  });
  upstreamUrl = upstream.url;

  const write = (line: string) => lines.push(line);
  const text = createLogger('text', write);
  const json = createLogger('json', write);
  // Both log formats at once: every line is checked in each.
  const logger: BridgeLogger = {
    request: (e) => {
      text.request(e);
      json.request(e);
    },
    info: (m, f) => {
      text.info(m, f);
      json.info(m, f);
    },
    warn: (m, f) => {
      text.warn(m, f);
      json.warn(m, f);
    },
  };
  bridge = await startBridge({
    config: configSchema.parse({
      server: { host: HOST, port: 0, authToken: TOKEN },
      upstreams: [
        {
          url: upstreamUrl,
          kind: 'deepseek-api',
          apiKey: API_KEY,
          model: 'deepseek-chat',
          tokenCounting: 'estimate',
          contextSize: 65536,
        },
      ],
    }),
    logger,
  });
  base = `http://127.0.0.1:${bridge.port}`;
});

afterAll(async () => {
  crypto.timingSafeEqual = originalTimingSafeEqual;
  syncBuiltinESMExports();
  await bridge?.close();
  await upstream?.close();
});

const messagesBody = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 16,
  messages: [{ role: 'user', content: 'hi' }],
});
const routes: Array<{ method: 'GET' | 'POST'; path: string; body?: string }> = [
  { method: 'POST', path: '/v1/messages', body: messagesBody },
  {
    method: 'POST',
    path: '/v1/messages?beta=true',
    body: JSON.stringify({ ...JSON.parse(messagesBody), stream: true }),
  },
  {
    method: 'POST',
    path: '/v1/messages/count_tokens',
    body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
  },
  {
    method: 'POST',
    path: '/v1/chat/completions',
    body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
  },
  { method: 'GET', path: '/v1/models' },
];

async function call(route: (typeof routes)[number], headers: Record<string, string>) {
  const res = await request(`${base}${route.path}`, {
    method: route.method,
    headers: { 'content-type': 'application/json', ...headers },
    body: route.body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

describe('binding a non-loopback address', () => {
  it('the test address counts as non-loopback, and the bridge refuses it without a token', async () => {
    expect(isLoopbackHost(HOST)).toBe(false);
    await expect(
      startBridge({ config: configSchema.parse({ server: { host: HOST, port: 0 } }) }),
    ).rejects.toThrow(/auth token/);
    await expect(
      startBridge({ config: configSchema.parse({ server: { host: '0.0.0.0', port: 0 } }) }),
    ).rejects.toThrow(/DSB_AUTH_TOKEN/);
  });
});

describe('auth token', () => {
  it('missing → 401 authentication_error with x-should-retry: false, on every API route', async () => {
    for (const route of routes) {
      const res = await call(route, {});
      expect(res.status, `${route.method} ${route.path}`).toBe(401);
      expect(res.headers['x-should-retry']).toBe('false');
      expect(JSON.parse(res.text)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    }
  });

  it('wrong (empty, shorter, longer, one character off, other case, doubled, another key) → 401, as x-api-key and as Bearer', async () => {
    for (const route of routes) {
      for (const wrong of WRONG_TOKENS) {
        for (const headers of [{ 'x-api-key': wrong }, { authorization: `Bearer ${wrong}` }] as Record<
          string,
          string
        >[]) {
          const res = await call(route, headers);
          expect(res.status, `${route.path} with ${JSON.stringify(headers)}`).toBe(401);
          expect(res.headers['x-should-retry']).toBe('false');
        }
      }
    }
  });

  it('right → served, as x-api-key or Authorization: Bearer (any case of "bearer")', async () => {
    const variants: Record<string, string>[] = [
      { 'x-api-key': TOKEN },
      { authorization: `Bearer ${TOKEN}` },
      { authorization: `bearer ${TOKEN}` },
    ];
    for (const headers of variants) {
      const res = await call(routes[0]!, headers);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({
        type: 'message',
        content: [{ type: 'text', text: 'fine' }],
      });
    }
    // The upstream got the bridge's own key, never the client's token.
    expect(seenAuthorization().at(-1)).toBe(`Bearer ${API_KEY}`);
    expect(seenAuthorization().join('\n')).not.toContain(TOKEN);
  });

  it('is compared in constant time: equal-length digests through crypto.timingSafeEqual, whatever the token length', async () => {
    timingCalls.length = 0;
    for (const wrong of ['a', 'bridge-token-7d3e9b21c4', 'x'.repeat(500)])
      await call(routes[4]!, { 'x-api-key': wrong });
    await call(routes[4]!, { 'x-api-key': TOKEN });
    // One comparison per request, always of two equal-length buffers (a token's length cannot
    // short-circuit it), hashed so that even the expected token's length does not show.
    expect(timingCalls.length).toBe(4);
    for (const [a, b] of timingCalls) {
      expect(a).toBe(b);
      expect(a).toBe(32);
    }
  });
});

describe('logs', () => {
  it('never contain the auth token, the upstream key, or a token a client sent', async () => {
    // Everything that writes log lines: served requests, refused ones, upstream errors that echo the key.
    for (const route of routes) await call(route, { 'x-api-key': TOKEN });
    for (const wrong of WRONG_TOKENS) await call(routes[0]!, { authorization: `Bearer ${wrong}` });
    upstreamAnswer = 'echo-401';
    const refused = await call(routes[0]!, { 'x-api-key': TOKEN });
    upstreamAnswer = 'echo-500';
    const failed = await call(routes[1]!, { 'x-api-key': TOKEN });
    // OpenAI clients get the upstream's error body passed through: redacted too.
    const passedThrough = await call(routes[3]!, { 'x-api-key': TOKEN });
    upstreamAnswer = 'echo-mid-stream';
    const midStream = await call(routes[1]!, { 'x-api-key': TOKEN });
    upstreamAnswer = 'ok';
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(passedThrough.status).toBe(500);
    expect(passedThrough.text).toContain('Incorrect API key provided');
    expect(midStream.status).toBe(200);
    expect(midStream.text).toContain('event: error');
    expect(midStream.text).toContain('was revoked mid-stream');
    // The upstream really did echo the key: the bridge must be the one that keeps it out.
    expect(seenAuthorization().at(-1)).toBe(`Bearer ${API_KEY}`);

    expect(lines.length).toBeGreaterThan(routes.length * 2);
    const all = lines.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(API_KEY);
    for (const wrong of WRONG_TOKENS.filter((w) => w.length >= 8)) expect(all).not.toContain(wrong.trim());
    // Nor does Claude Code get the upstream key back in an error message.
    expect(refused.text).not.toContain(API_KEY);
    expect(failed.text).not.toContain(API_KEY);
    expect(passedThrough.text).not.toContain(API_KEY);
    expect(midStream.text).not.toContain(API_KEY);
  });
});
