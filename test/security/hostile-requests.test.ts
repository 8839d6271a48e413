// Issue 13 items 8, 11, 13 and 14 (image): hostile requests get a clear answer in the protocol's
// shape and a bounded cost. Real bridge (startBridge), the recorded-llama fake upstream.
import { existsSync } from 'node:fs';
import net from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { type FakeUpstream, startFakeLlama } from '../support/fake-upstream/index.js';

let upstream: FakeUpstream;
let bridge: RunningBridge;
const BODY_LIMIT = 1024 * 1024;

beforeAll(async () => {
  upstream = await startFakeLlama();
  bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0, bodyLimitBytes: BODY_LIMIT },
      upstreams: [{ url: upstream.url, model: 'fake' }],
    }),
    logger: silentLogger,
  });
});
afterAll(async () => {
  await bridge?.close();
  await upstream?.close();
});

const completions = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions').length;

async function post(path: string, body: string | Uint8Array | ReadableStream) {
  const res = await fetch(`${bridge.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) };
}

/** Node's fetch in a child process: the runtime's own, and the system's (Node 20, which Claude Code may run on). */
const FETCH_CLIENT = `
  const big = new Uint8Array(50 * 1024 * 1024).fill(0x20);
  try {
    const r = await fetch(process.argv[1], { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    console.log(JSON.stringify({ status: r.status, body: await r.json() }));
  } catch (e) { console.log(JSON.stringify({ error: e.cause?.code ?? e.message })); }
`;
const nodes = [process.execPath, ...(existsSync('/usr/bin/node') ? ['/usr/bin/node'] : [])];

describe('an upload over the body limit (item 8)', () => {
  it.each(nodes)(
    '50 MB with Content-Length: fetch (%s) reads the 413, no EPIPE, three times over',
    async (node) => {
      for (let i = 0; i < 3; i++) {
        const r = await execa(
          node,
          ['--input-type=module', '-e', FETCH_CLIENT, `${bridge.url}/v1/messages`],
          {
            reject: false,
            timeout: 120_000,
          },
        );
        const out = JSON.parse(r.stdout);
        expect(out.error).toBeUndefined();
        expect(out.status).toBe(413);
        expect(out.body).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
      }
    },
  );

  it('chunked, without Content-Length: the same', async () => {
    const piece = new Uint8Array(256 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent >= 50 * 1024 * 1024) controller.close();
        else {
          sent += piece.length;
          controller.enqueue(piece);
        }
      },
    });
    const r = await post('/v1/messages', stream);
    expect(r.status).toBe(413);
  });
});

describe('a client that sends headers and part of a body (item 11)', () => {
  it('is answered 408 and cut after requestTimeoutMs', async () => {
    const short = await startBridge({
      config: configSchema.parse({
        server: { port: 0, requestTimeoutMs: 1_000, requestHeadersTimeoutMs: 1_000 },
        upstreams: [{ url: upstream.url, model: 'fake' }],
      }),
      logger: silentLogger,
    });
    const socket = net.connect(short.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (received += d));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write(
      `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${short.port}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":`,
    );
    await closed; // before the fix: never (vitest's hang-catching timeout fails the test)
    await short.close();
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a streamed answer that lasts longer than requestTimeoutMs is not cut', async () => {
    const { startFakeUpstream, chunk } = await import('../support/fake-upstream/index.js');
    const slow = await startFakeUpstream({
      answer: async (res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // Five pieces 400 ms apart: the answer takes twice the request timeout.
        for (const piece of ['a', 'b', 'c', 'd', 'e']) {
          res.write(`data: ${chunk({ content: piece })}\n\n`);
          await new Promise((r) => setTimeout(r, 400));
        }
        res.end(`data: ${chunk({}, 'stop')}\n\ndata: [DONE]\n\n`);
      },
    });
    const short = await startBridge({
      config: configSchema.parse({
        server: { port: 0, requestTimeoutMs: 1_000, requestHeadersTimeoutMs: 1_000 },
        upstreams: [
          { url: slow.url, kind: 'openai', model: 'f', contextSize: 8192, tokenCounting: 'estimate' },
        ],
      }),
      logger: silentLogger,
    });
    try {
      const res = await fetch(`${short.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'm',
          max_tokens: 64,
          stream: true,
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
      const text = await res.text();
      expect(text).toContain('event: message_stop');
      expect(text).not.toContain('event: error');
    } finally {
      await short.close();
      await slow.close();
    }
  });

  it('the timeouts are configurable', () => {
    const c = configSchema.parse({});
    expect(c.server.requestTimeoutMs).toBeGreaterThan(0);
    expect(c.server.requestHeadersTimeoutMs).toBeGreaterThan(0);
  });
});

/** `{"a":{"a":…}}` nested `depth` deep, built without recursion. */
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('deeply nested JSON (item 13)', () => {
  const deep = deepObject(100_000);
  it('in tool_use.input: 400 invalid_request_error, not a 500 stack overflow', async () => {
    const body = `{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Write","input":${deep}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}`;
    const r = await post('/v1/messages', body);
    expect(r.status).toBe(400);
    expect(r.json.error.type).toBe('invalid_request_error');
    expect(r.json.error.message).toContain('nested deeper');
  });

  it('in a tool input_schema: 400', async () => {
    const body = `{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t","input_schema":${deep}}]}`;
    expect((await post('/v1/messages', body)).status).toBe(400);
    expect((await post('/v1/messages/count_tokens', body)).status).toBe(400);
  });

  it('on /v1/chat/completions: a 400 in OpenAI shape, not a misleading 502', async () => {
    const before = completions();
    const body = `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"t","parameters":${deep}}}]}`;
    const r = await post('/v1/chat/completions', body);
    expect(r.status).toBe(400);
    expect(r.json.error.type).toBe('invalid_request_error');
    expect(completions()).toBe(before);
  });

  it('ordinary nesting (a few dozen levels) still passes', async () => {
    const body = `{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t","input_schema":{"type":"object","properties":{"a":${deepObject(40)}}}}]}`;
    expect((await post('/v1/messages', body)).status).toBe(200);
  });
});

describe('an image whose data is not a string (item 14)', () => {
  it.each([[12345], [null], [{ nested: true }]])('data %j: 400, nothing forwarded', async (data) => {
    const before = completions();
    const body = JSON.stringify({
      model: 'm',
      max_tokens: 8,
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }],
        },
      ],
    });
    const r = await post('/v1/messages', body);
    expect(r.status).toBe(400);
    expect(r.json.error.type).toBe('invalid_request_error');
    expect(completions()).toBe(before);
  });
});
