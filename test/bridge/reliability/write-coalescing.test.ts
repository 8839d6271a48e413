// Write coalescing: with many streams open, a stream's writes are spaced a window apart once its
// first token is out, and a lone stream is never held back. No upper bound on time is asserted: the
// lone stream runs with a window far longer than the test's timeout (held back once, it would hang),
// and the side-by-side streams are checked for a lower bound only, which load cannot break. (A client
// that leaves during the window: test/bridge/reliability/disconnect.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../../src/bridge/server.js';
import { configSchema } from '../../../src/config/schema.js';
import { type FakeUpstream, startScriptedUpstream } from '../../support/fake-upstream/index.js';
import { helloMessagesBody } from '../../support/hello-request.js';

const WINDOW_MS = 1000;
/** Longer than the test timeout: a lone stream held back even once would fail the test by hanging. */
const HANG_WINDOW_MS = 600_000;
const ANSWER = 'one two three four five';
/** The upstream sends one word every 20 ms: 80 ms from the first to the last. */
const TOKEN_GAP_MS = 20;

let upstream: FakeUpstream | undefined;
let bridge: RunningBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  await upstream?.close();
});

async function startWith(fromStreams: number, windowMs = WINDOW_MS) {
  upstream = await startScriptedUpstream({ script: () => ({ text: ANSWER }), chunkDelayMs: TOKEN_GAP_MS });
  bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0 },
      upstreams: [
        { url: upstream.url, kind: 'llama.cpp', model: 'tiny', tokenCounting: 'estimate', contextSize: 8192 },
      ],
    }),
    logger: silentLogger,
    coalesce: { windowMs, fromStreams },
  });
  return { upstream, bridge };
}

interface Received {
  /** The text of each text delta, in order. */
  texts: string[];
  /** performance.now() when each text delta arrived. */
  at: number[];
  ended: boolean;
}

/** Streams one request and notes when each text delta arrived. */
async function stream(url: string): Promise<Received> {
  const got: Received = { texts: [], at: [], ended: false };
  const res = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: helloMessagesBody(true),
  });
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of res.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const data = frame.split('\n').find((l) => l.startsWith('data: '));
      if (!data) continue;
      const event = JSON.parse(data.slice(6));
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        got.texts.push(event.delta.text);
        got.at.push(performance.now());
      }
      if (event.type === 'message_stop') got.ended = true;
    }
  }
  return got;
}

describe('write coalescing', () => {
  it('never holds back a lone stream', async () => {
    const { bridge } = await startWith(2, HANG_WINDOW_MS);
    const got = await stream(bridge.url);
    expect(got.texts.join('')).toBe(ANSWER);
    expect(got.ended).toBe(true);
  });

  it('spaces the writes of streams that run side by side, and loses nothing', async () => {
    const { bridge } = await startWith(2);
    const both = await Promise.all([stream(bridge.url), stream(bridge.url)]);
    for (const got of both) {
      expect(got.texts.join('')).toBe(ANSWER);
      expect(got.ended).toBe(true);
      // The words come 80 ms after the first from the upstream; with the window they come later.
      expect(got.at.at(-1)! - got.at[0]!).toBeGreaterThanOrEqual(WINDOW_MS * 0.9);
    }
  });
});
