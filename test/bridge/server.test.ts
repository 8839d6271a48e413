// The bridge's HTTP behaviour: routes, errors in Anthropic's shape for every kind of bad input or
// upstream failure, and that the server keeps serving after each one.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BridgeLogger, type RequestLogEntry, silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import {
  closedPort,
  type FakeUpstream,
  faultAnswer,
  recordedAnswer,
  startFakeLlama,
  startFakeUpstream,
} from '../support/fake-upstream/index.js';

let upstream: FakeUpstream;
let bridge: RunningBridge;
const logged: RequestLogEntry[] = [];
const capture: BridgeLogger = { ...silentLogger, request: (e) => logged.push(e) };

const valid = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: json as { type?: string; error?: { type: string; message: string } },
  };
}

const expectStillServing = async () => {
  const ok = await post(`${bridge.url}/v1/messages`, valid);
  expect(ok.status).toBe(200);
  expect(ok.json.type).toBe('message');
};

beforeAll(async () => {
  upstream = await startFakeLlama();
  bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0, pingIntervalMs: 100, bodyLimitBytes: 32 * 1024 * 1024 },
      upstreams: [{ url: upstream.url }],
    }),
    logger: capture,
  });
});
afterAll(async () => {
  await bridge?.close();
  await upstream?.close();
});
afterEach(() => {
  upstream.answer = recordedAnswer();
});

describe('routes', () => {
  it('answers HEAD /, /api/hello and /health', async () => {
    expect((await fetch(`${bridge.url}/`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${bridge.url}/api/hello`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${bridge.url}/api/hello`)).status).toBe(200);
    const health = (await (await fetch(`${bridge.url}/health`)).json()) as {
      status: string;
      upstreams: Array<Record<string, unknown>>;
    };
    expect(health.status).toBe('ok');
    expect(health.upstreams[0]).toMatchObject({
      url: upstream.url,
      reachable: true,
      model: 'models/tiny-random-F32.gguf',
    });
  });

  it('lists models in Anthropic list shape', async () => {
    const list = (await (await fetch(`${bridge.url}/v1/models`)).json()) as {
      data: Array<{ type: string; id: string }>;
      has_more: boolean;
    };
    expect(list.has_more).toBe(false);
    expect(list.data).toContainEqual(
      expect.objectContaining({ type: 'model', id: 'models/tiny-random-F32.gguf' }),
    );
  });

  it('counts tokens', async () => {
    const res = await post(`${bridge.url}/v1/messages/count_tokens?beta=true`, {
      model: 'x',
      messages: [{ role: 'user', content: 'hello world' }],
    });
    expect(res.status).toBe(200);
    expect((res.json as unknown as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });

  it('passes OpenAI chat completions through, streaming and not', async () => {
    const plain = await post(`${bridge.url}/v1/chat/completions`, {
      model: 'anything',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(plain.status).toBe(200);
    expect(plain.text).toContain('chat.completion');
    expect(upstream.requests.at(-1)!.body?.model).toBe('models/tiny-random-F32.gguf');
    const streamed = await post(`${bridge.url}/v1/chat/completions`, {
      model: 'x',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    expect(streamed.text).toContain('data: [DONE]');
  });

  it('logs one line per request with model asked and sent, status, tokens', async () => {
    logged.length = 0;
    await post(`${bridge.url}/v1/messages`, { ...valid, stream: true });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      status: 200,
      modelAsked: 'claude-sonnet-4-5',
      modelSent: 'models/tiny-random-F32.gguf',
      upstream: upstream.url,
      stream: true,
      outputTokens: 2,
    });
    expect(logged[0]!.ttftMs).toBeGreaterThanOrEqual(0);
  });
});

describe('bad input gets the right Anthropic error, and the server keeps serving', () => {
  it('malformed JSON → 400 invalid_request_error', async () => {
    const res = await post(`${bridge.url}/v1/messages`, '{"model": "x", ');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(res.json.error!.message).toMatch(/not valid JSON/);
    await expectStillServing();
  });

  it('wrong field types → 400 naming each field path', async () => {
    const res = await post(`${bridge.url}/v1/messages`, {
      model: 'x',
      max_tokens: 'lots',
      messages: [{ role: 'user', content: 5 }],
    });
    expect(res.status).toBe(400);
    expect(res.json.error!.type).toBe('invalid_request_error');
    expect(res.json.error!.message).toContain('max_tokens');
    expect(res.json.error!.message).toContain('messages.0.content');
    await expectStillServing();
  });

  it('missing messages and max_tokens → 400 naming them', async () => {
    const res = await post(`${bridge.url}/v1/messages`, { model: 'x' });
    expect(res.status).toBe(400);
    expect(res.json.error!.message).toMatch(/max_tokens/);
    expect(res.json.error!.message).toMatch(/messages/);
  });

  it('a body over the limit (40 MB) → 413 request_too_large', async () => {
    const huge = JSON.stringify({
      ...valid,
      messages: [{ role: 'user', content: 'x'.repeat(40 * 1024 * 1024) }],
    });
    const res = await post(`${bridge.url}/v1/messages`, huge);
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    await expectStillServing();
  });

  it('an unknown route → 404 not_found_error; a wrong method → 405', async () => {
    const res = await fetch(`${bridge.url}/v1/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const wrong = await fetch(`${bridge.url}/v1/messages`);
    expect(wrong.status).toBe(405);
    await expectStillServing();
  });

  it('an upstream 500 → 500 api_error naming the upstream', async () => {
    upstream.answer = faultAnswer('status-500');
    const res = await post(`${bridge.url}/v1/messages`, valid);
    expect(res.status).toBe(500);
    expect(res.json.error).toMatchObject({ type: 'api_error' });
    expect(res.json.error!.message).toContain(upstream.url);
    upstream.answer = recordedAnswer();
    await expectStillServing();
  });

  it('an upstream that sends garbage → an error event after the first byte (stream) or 502 (non-stream)', async () => {
    upstream.answer = faultAnswer('garbage');
    const streamed = await post(`${bridge.url}/v1/messages`, { ...valid, stream: true });
    expect(streamed.status).toBe(200);
    const frames = streamed.text.trim().split('\n\n');
    expect(frames[0]).toMatch(/^event: message_start/);
    expect(frames.at(-1)).toMatch(/^event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    expect(streamed.text).not.toContain('message_stop');
    const plain = await post(`${bridge.url}/v1/messages`, valid);
    expect(plain.status).toBe(502);
    expect(plain.json.error!.type).toBe('api_error');
    upstream.answer = recordedAnswer();
    await expectStillServing();
  });

  it('an upstream that cuts the stream → error event, then the next request works', async () => {
    upstream.answer = faultAnswer('cut-recorded-stream');
    const streamed = await post(`${bridge.url}/v1/messages`, { ...valid, stream: true });
    expect(streamed.text.trim().split('\n\n').at(-1)).toMatch(/^event: error/);
    upstream.answer = recordedAnswer();
    await expectStillServing();
  });
});

describe('upstream that refuses the connection', () => {
  it('→ 502 api_error naming the URL and the fix; serving resumes when the upstream comes back', async () => {
    const port = await closedPort();
    const lonely = await startBridge({
      config: configSchema.parse({
        server: { port: 0 },
        upstreams: [{ url: `http://127.0.0.1:${port}`, model: 'm' }],
      }),
      logger: silentLogger,
    });
    try {
      const res = await post(`${lonely.url}/v1/messages`, { ...valid, stream: true });
      expect(res.status).toBe(502);
      expect(res.json.error!.type).toBe('api_error');
      expect(res.json.error!.message).toContain(`http://127.0.0.1:${port}`);
      expect(res.json.error!.message).toMatch(/dsb doctor/);
      // Whatever it is asked, the upstream that comes back answers with one completion.
      const back = await startFakeUpstream({
        port,
        otherwise: {
          body: {
            choices: [{ index: 0, message: { role: 'assistant', content: 'back' }, finish_reason: 'stop' }],
          },
        },
      });
      try {
        const ok = await post(`${lonely.url}/v1/messages`, valid);
        expect(ok.status).toBe(200);
        expect(ok.json).toMatchObject({ content: [{ type: 'text', text: 'back' }] });
      } finally {
        await back.close();
      }
    } finally {
      await lonely.close();
    }
  });
});

describe('streams that wait on the upstream', () => {
  it('sends ping events while the upstream is silent, and a client disconnect aborts the upstream request', async () => {
    upstream.answer = faultAnswer('held');
    const abortedBefore = upstream.aborted;
    const controller = new AbortController();
    const res = await fetch(`${bridge.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...valid, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    // Hang-catching deadlines only: the ping interval and the abort are events, not speeds.
    const HANG_DEADLINE_MS = 20_000;
    const deadline = Date.now() + HANG_DEADLINE_MS;
    while (!text.includes('event: ping') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toMatch(/^event: message_start/);
    expect(text).toContain('event: ping\ndata: {"type":"ping"}');
    controller.abort();
    const until = Date.now() + HANG_DEADLINE_MS;
    while (upstream.aborted === abortedBefore && Date.now() < until)
      await new Promise((r) => setTimeout(r, 10));
    expect(upstream.aborted).toBe(abortedBefore + 1);
    upstream.answer = recordedAnswer();
    await expectStillServing();
  });
});

describe('auth (design.md §4.8)', () => {
  it('refuses to bind a non-loopback address without a token', async () => {
    await expect(
      startBridge({
        config: configSchema.parse({ server: { host: '0.0.0.0', port: 0 } }),
        logger: silentLogger,
      }),
    ).rejects.toThrow(/auth token/);
  });

  it('with a token: 401 authentication_error (x-should-retry: false) without it, 200 with x-api-key or Bearer', async () => {
    const secured = await startBridge({
      config: configSchema.parse({
        server: { port: 0, authToken: 'sekret-token-123' },
        upstreams: [{ url: upstream.url }],
      }),
      logger: silentLogger,
    });
    try {
      const none = await post(`${secured.url}/v1/messages`, valid);
      expect(none.status).toBe(401);
      expect(none.json.error!.type).toBe('authentication_error');
      expect(none.headers.get('x-should-retry')).toBe('false');
      const wrong = await post(`${secured.url}/v1/messages`, valid, { 'x-api-key': 'nope' });
      expect(wrong.status).toBe(401);
      expect(
        (await post(`${secured.url}/v1/messages`, valid, { 'x-api-key': 'sekret-token-123' })).status,
      ).toBe(200);
      expect(
        (await post(`${secured.url}/v1/messages`, valid, { authorization: 'Bearer sekret-token-123' }))
          .status,
      ).toBe(200);
      expect((await fetch(`${secured.url}/health`)).status).toBe(200);
    } finally {
      await secured.close();
    }
  });
});

describe('metrics and the response cache', () => {
  it('serves Prometheus text at /metrics with request, token and upstream series', async () => {
    await post(`${bridge.url}/v1/messages`, valid);
    const res = await fetch(`${bridge.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/dsb_requests_total\{route="\/v1\/messages",status="200"\} [1-9]/);
    expect(text).toMatch(/dsb_tokens_total\{direction="output"\} [1-9]/);
    expect(text).toContain('dsb_time_to_first_token_seconds_bucket');
    expect(text).toMatch(/dsb_upstream_up\{upstream="127\.0\.0\.1:\d+"\} 1/);
  });

  it('replays a byte-identical temperature-0 request from the cache, streaming and not, without calling the upstream', async () => {
    const cached = await startBridge({
      config: configSchema.parse({
        server: { port: 0, cache: { enabled: true } },
        upstreams: [{ url: upstream.url }],
      }),
      logger: silentLogger,
    });
    try {
      const body = { ...valid, temperature: 0, stream: true };
      const calls = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions').length;
      const first = await post(`${cached.url}/v1/messages`, body);
      const before = calls();
      const second = await post(`${cached.url}/v1/messages`, body);
      expect(calls()).toBe(before);
      expect(second.headers.get('x-dsb-cache')).toBe('hit');
      const strip = (t: string) => t.replace(/"id":"msg_[^"]+"/g, '');
      expect(strip(second.text)).toBe(strip(first.text));
      const plain = await post(`${cached.url}/v1/messages`, { ...body, stream: false });
      expect(plain.headers.get('x-dsb-cache')).toBe('hit');
      expect(plain.json).toMatchObject({ type: 'message', content: [{ type: 'text', text: '.' }] });
      // Not cached: any other temperature.
      await post(`${cached.url}/v1/messages`, { ...body, temperature: 0.7 });
      expect(calls()).toBe(before + 1);
    } finally {
      await cached.close();
    }
  });
});
