// Write coalescing: with many streams open, a stream's writes are spaced a window apart once its
// first token is out; a lone stream is never held back, and a client that leaves during the window
// still frees the upstream at once. The tests use a one-second window so that "held back" and "not
// held back" are far apart whatever the machine's load.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../../src/bridge/server.js';
import { configSchema } from '../../../src/config/schema.js';
import { helloMessagesBody } from '../../support/hello-request.js';

const WINDOW_MS = 1000;
const TOKENS = ['one', ' two', ' three', ' four', ' five'];
const TOKEN_GAP_MS = 20;

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'tiny', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

interface Upstream {
  url: string;
  /** performance.now() when each answer's response closed (ended or torn down). */
  closedAt: number[];
  close(): Promise<void>;
}

/** A llama-server-like upstream: one token every TOKEN_GAP_MS, then stop and [DONE]. */
async function startUpstream(): Promise<Upstream> {
  const state: Upstream = { url: '', closedAt: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.on('close', () => state.closedAt.push(performance.now()));
      res.write(chunk({ role: 'assistant', content: null }));
      let next = 0;
      const step = () => {
        if (res.destroyed) return;
        if (next < TOKENS.length) {
          res.write(chunk({ content: TOKENS[next++] }));
          setTimeout(step, TOKEN_GAP_MS);
          return;
        }
        res.end(`${chunk({}, 'stop')}data: [DONE]\n\n`);
      };
      step();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

let upstream: Upstream | undefined;
let bridge: RunningBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  await upstream?.close();
});

async function startWith(fromStreams: number) {
  upstream = await startUpstream();
  bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0 },
      upstreams: [
        { url: upstream.url, kind: 'llama.cpp', model: 'tiny', tokenCounting: 'estimate', contextSize: 8192 },
      ],
    }),
    logger: silentLogger,
    coalesce: { windowMs: WINDOW_MS, fromStreams },
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

/** Streams one request; `abortAfterFirst` leaves right after the first text delta. */
async function stream(url: string, abortAfterFirst = false): Promise<Received> {
  const got: Received = { texts: [], at: [], ended: false };
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: helloMessagesBody(true),
    signal: controller.signal,
  });
  const decoder = new TextDecoder();
  let buffer = '';
  try {
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
          if (abortAfterFirst) {
            controller.abort();
            return got;
          }
        }
        if (event.type === 'message_stop') got.ended = true;
      }
    }
  } catch (err) {
    if (!abortAfterFirst) throw err;
  }
  return got;
}

describe('write coalescing', () => {
  it('never holds back a lone stream', async () => {
    const { bridge } = await startWith(2);
    const got = await stream(bridge.url);
    expect(got.texts.join('')).toBe(TOKENS.join(''));
    expect(got.ended).toBe(true);
    // Five tokens 20 ms apart: held back even once, the last would come a whole window after the first.
    expect(got.at.at(-1)! - got.at[0]!).toBeLessThan(WINDOW_MS / 2);
  });

  it('spaces the writes of streams that run side by side, and loses nothing', async () => {
    const { bridge } = await startWith(2);
    const both = await Promise.all([stream(bridge.url), stream(bridge.url)]);
    for (const got of both) {
      expect(got.texts.join('')).toBe(TOKENS.join(''));
      expect(got.ended).toBe(true);
      // The tokens come 80 ms after the first from the upstream; with the window they come later.
      expect(got.at.at(-1)! - got.at[0]!).toBeGreaterThanOrEqual(WINDOW_MS * 0.9);
    }
  });

  it('frees the upstream at once when a client leaves during the window', async () => {
    const { bridge, upstream } = await startWith(2);
    // The first stream stays; the second leaves after its first token, while its writes may be held.
    const staying = stream(bridge.url);
    const leaving = await stream(bridge.url, true);
    const leftAt = leaving.at[0]!;
    await expect.poll(() => upstream.closedAt.some((t) => t >= leftAt), { timeout: 2000 }).toBe(true);
    const closed = upstream.closedAt.find((t) => t >= leftAt)!;
    expect(closed - leftAt).toBeLessThan(100);
    expect((await staying).ended).toBe(true);
  });
});
