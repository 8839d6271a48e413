// After the upstream's `data: [DONE]` the bridge finishes the client's stream at once, lets the
// upstream body end by itself (so its connection is reused), and drops a body that never ends.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../../src/bridge/server.js';
import { configSchema } from '../../../src/config/schema.js';
import { type FakeUpstream, startFakeUpstream } from '../../support/fake-upstream/index.js';
import { helloMessagesBody } from '../../support/hello-request.js';

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'tiny', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** Hang-catching deadline, far below the bridge's idle timeout: only the bridge's drop can beat it. */
const DROP_HANG_DEADLINE_MS = 20_000;

/** How many responses the upstream saw closed (ended or torn down). */
const closedResponses = (fake: FakeUpstream) =>
  fake.completions.filter((c) => c.closedAt !== undefined).length;

/**
 * A llama-server-like upstream (discovery and counting probes not offered); with `holdAfterDone` it
 * never ends the response after [DONE].
 */
function startUpstream(holdAfterDone: boolean): Promise<FakeUpstream> {
  return startFakeUpstream({
    otherwise: { status: 404, body: { error: 'not found' } },
    answer: (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`${chunk({ role: 'assistant', content: 'Hi' }) + chunk({}, 'stop')}data: [DONE]\n\n`);
      if (!holdAfterDone) res.end();
    },
  });
}

let upstream: FakeUpstream | undefined;
let bridge: RunningBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  await upstream?.close();
});

async function startWith(holdAfterDone: boolean) {
  upstream = await startUpstream(holdAfterDone);
  bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0, idleTimeoutMs: 60_000 },
      upstreams: [
        { url: upstream.url, kind: 'llama.cpp', model: 'tiny', tokenCounting: 'estimate', contextSize: 8192 },
      ],
    }),
    logger: silentLogger,
  });
  return { upstream, bridge };
}

async function streamOnce(url: string, stream = true): Promise<{ text: string }> {
  const res = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: helloMessagesBody(stream),
  });
  const text = await res.text();
  return { text };
}

describe('the upstream body after [DONE]', () => {
  it('ends by itself: sequential streams reuse one upstream connection', async () => {
    const { upstream, bridge } = await startWith(false);
    // The first stream may open connections besides its own (the bridge's discovery of the upstream).
    expect((await streamOnce(bridge.url)).text).toContain('event: message_stop');
    const opened = upstream.connections;
    for (let i = 0; i < 5; i++) {
      const { text } = await streamOnce(bridge.url);
      expect(text).toContain('event: message_stop');
      expect(text).not.toContain('event: error');
    }
    expect(upstream.connections).toBe(opened);
  });

  it.each([
    ['a streaming client', true, 'event: message_stop'],
    ['a non-streaming client (the upstream streams anyway)', false, '"stop_reason":"end_turn"'],
  ])(
    'that never ends: %s is answered before the upstream response is dropped, which it then is',
    async (_, stream, ended) => {
      const { upstream, bridge } = await startWith(true);
      const { text } = await streamOnce(bridge.url, stream);
      expect(text).toContain(ended);
      // The client did not wait for the body's end: its answer came while the response was open.
      expect(closedResponses(upstream)).toBe(0);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        upstream.completions[0]!.closed,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('hang: the body was never dropped')),
            DROP_HANG_DEADLINE_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      expect(closedResponses(upstream)).toBe(1);
    },
  );
});
