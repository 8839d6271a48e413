// The upstream client sends request bodies with a Content-Length (llama.cpp's HTTP server and
// others expect it; no chunked uploads), byte-exact for any text, and lets go of the body once
// sent (see bodyOnce in upstream.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertConnectionError, Upstream } from '../../src/bridge/upstream.js';
import { configSchema } from '../../src/config/schema.js';
import {
  type FakeUpstream,
  type RecordedRequest,
  startFakeUpstream,
} from '../support/fake-upstream/index.js';

/** What the server saw of one request body. */
const seenOf = (r: RecordedRequest) => ({
  contentLength: r.headers['content-length'],
  transferEncoding: r.headers['transfer-encoding'],
  body: r.rawBody,
});

let server: FakeUpstream;
let upstream: Upstream;
/** The requests since the start of the current test. */
let mark = 0;
const seen = () => server.requests.slice(mark).map(seenOf);

beforeAll(async () => {
  // Whatever the route, the answer is {"ok":true}.
  server = await startFakeUpstream({ otherwise: { body: { ok: true } } });
  const config = configSchema.parse({ upstreams: [{ url: server.url }] });
  upstream = new Upstream(config.upstreams[0]!, config.server);
});

afterAll(async () => {
  await upstream.close();
  await server.close();
});

describe('Upstream.request bodies', () => {
  it.each([
    ['ASCII', '{"model":"m","messages":[]}'],
    ['multi-byte UTF-8', JSON.stringify({ text: 'ünïcödé ✓ 中文 🙂'.repeat(100) })],
    ['a Claude-Code-sized body', JSON.stringify({ messages: 'x'.repeat(600_000) })],
  ])('%s: sent whole, with its byte length, not chunked', async (_, body) => {
    mark = server.requests.length;
    const res = await upstream.request('POST', '/v1/chat/completions', body);
    expect(await res.body.text()).toBe('{"ok":true}');
    expect(seen()).toHaveLength(1);
    expect(seen()[0]!.transferEncoding).toBeUndefined();
    expect(seen()[0]!.contentLength).toBe(String(Buffer.byteLength(body)));
    expect(seen()[0]!.body).toBe(body);
  });

  it('the same text can be sent twice (failover re-sends the prepared body)', async () => {
    mark = server.requests.length;
    const body = '{"again":true}';
    for (let i = 0; i < 2; i++) await (await upstream.request('POST', '/x', body)).body.text();
    expect(seen().map((s) => s.body)).toEqual([body, body]);
  });
});

// Moved from test/bridge/translate/errors.test.ts with the mapping (undici codes live in upstream.ts).
const ctx = { url: 'http://127.0.0.1:8080', model: 'm' };

describe('convertConnectionError', () => {
  it('names the URL and the fix when the upstream refuses the connection', () => {
    const e = convertConnectionError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      ctx,
    );
    expect(e.status).toBe(502);
    expect(e.message).toContain('http://127.0.0.1:8080');
    expect(e.message).toContain('dsb doctor');
  });

  it('says when the upstream did not answer in time', () => {
    expect(convertConnectionError({ code: 'UND_ERR_HEADERS_TIMEOUT' }, ctx).status).toBe(504);
  });
});

describe('Upstream leases', () => {
  const up = () =>
    new Upstream(configSchema.parse({ upstreams: [{ url: 'http://127.0.0.1:1' }] }).upstreams[0]!, {
      idleTimeoutMs: 1000,
      headersTimeoutMs: 1000,
    });

  it('counts a request as outstanding until its release; a second release changes nothing', async () => {
    const u = up();
    const first = u.acquire();
    const second = u.acquire();
    expect(u.outstanding).toBe(2);
    first();
    first();
    expect(u.outstanding).toBe(1);
    second();
    expect(u.outstanding).toBe(0);
    await u.close();
  });

  it('a call that cannot connect releases its lease itself and rethrows', async () => {
    const u = up();
    const err = await u.call('{}', { signal: AbortSignal.timeout(5_000) }).catch((e) => e);
    expect(convertConnectionError(err, ctx).status).toBe(502);
    expect(u.outstanding).toBe(0);
    await u.close();
  });
});
