// A pooled keep-alive connection that the server closed while it sat idle is reset when the next
// request reaches it; on a busy machine the bridge's event loop writes that request before it has
// read the server's FIN (seen as 502 "ECONNRESET" on the first request after start-up under load).
// The server never saw that request, so the upstream client sends it once more on a new connection;
// a server that resets every time still gets an error, after exactly one more try.
import { afterEach, describe, expect, it } from 'vitest';
import { Upstream } from '../../src/bridge/upstream.js';
import { configSchema } from '../../src/config/schema.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream/index.js';

let server: FakeUpstream | undefined;
let upstream: Upstream | undefined;
afterEach(async () => {
  await upstream?.close();
  await server?.close();
});

/** A server that destroys the connection, unanswered, for the requests `reset(n, reused)` picks. */
async function start(reset: (requestNumber: number, reusedConnection: boolean) => boolean) {
  const arrivals: Array<{ reused: boolean; reset: boolean }> = [];
  server = await startFakeUpstream({
    routes: {
      'POST /v1/chat/completions': (_body, request) => {
        // A reset connection carries nothing more, so "used before" means "answered before".
        const reused = request.reusedConnection;
        const doReset = reset(arrivals.length + 1, reused);
        arrivals.push({ reused, reset: doReset });
        return doReset ? { destroy: true } : { body: { ok: true } };
      },
    },
  });
  const config = configSchema.parse({ upstreams: [{ url: server.url }] });
  upstream = new Upstream(config.upstreams[0]!, config.server);
  return { upstream, arrivals };
}

describe('Upstream.request on a connection the server reset before answering', () => {
  it('a request whose connection is reset before any answer: sent again on a new one, answered', async () => {
    // The second request stands for one that met a stale keep-alive connection (whether undici
    // reuses the first connection for it is its own choice, so the reset does not depend on it).
    const { upstream, arrivals } = await start((n) => n === 2);
    const first = await upstream.request('POST', '/v1/chat/completions', '{"n":1}');
    expect(await first.body.text()).toBe('{"ok":true}');
    const second = await upstream.request('POST', '/v1/chat/completions', '{"n":2}');
    expect(second.status).toBe(200);
    expect(await second.body.text()).toBe('{"ok":true}');
    expect(arrivals.map((a) => a.reset)).toEqual([false, true, false]);
  });

  it('a server that resets every request: an error after one more try, not a loop', async () => {
    const { upstream, arrivals } = await start(() => true);
    await expect(upstream.request('POST', '/v1/chat/completions', '{}')).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET|EPIPE/),
    });
    expect(arrivals).toHaveLength(2);
  });

  it('an aborted request is not sent again', async () => {
    const controller = new AbortController();
    const { upstream, arrivals } = await start(() => {
      controller.abort();
      return true;
    });
    await expect(
      upstream.request('POST', '/v1/chat/completions', '{}', { signal: controller.signal }),
    ).rejects.toThrow();
    expect(arrivals).toHaveLength(1);
  });
});
