// Local counting through the running bridge (issue 13 item 3): an upstream that cannot count, so
// the bridge uses the local DeepSeek tokenizer. A prompt its characters prove too long is refused
// without tokenizing; a client that leaves stops the count.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { localTokenizerStats } from '../../src/bridge/context/local-tokenizer.js';
import type { RequestLogEntry } from '../../src/bridge/log.js';
import { silentLogger } from '../../src/bridge/log.js';
import { startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { startScriptedUpstream } from '../support/fake-upstream/index.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function setUp(contextSize: number) {
  const upstream = await startScriptedUpstream({ script: [] });
  closers.push(() => upstream.close());
  const logs: RequestLogEntry[] = [];
  let logged: () => void = () => {};
  const requestLogged = new Promise<void>((resolve) => {
    logged = resolve;
  });
  const bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0 },
      upstreams: [{ url: upstream.url, kind: 'openai', contextSize }],
    }),
    logger: {
      ...silentLogger,
      request: (e) => {
        logs.push({ ...e });
        if (e.path === '/v1/messages') logged();
      },
    },
  });
  closers.push(() => bridge.close());
  return { upstream, bridge, logs, requestLogged };
}

const messagesBody = (content: string) =>
  JSON.stringify({
    model: 'deepseek-chat',
    max_tokens: 1000,
    stream: true,
    messages: [{ role: 'user', content }],
  });

describe('local counting through the bridge', () => {
  it('refuses a prompt whose characters prove it cannot fit, without tokenizing or calling the upstream', async () => {
    const { bridge, upstream } = await setUp(65536);
    const before = localTokenizerStats().piecesEncoded;
    const res = await fetch(`${bridge.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: messagesBody('word '.repeat(2_000_000)), // 10 MB: at least 78,125 tokens
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^prompt is too long: 78125 tokens > \d+ maximum$/);
    expect(localTokenizerStats().piecesEncoded).toBe(before);
    expect(upstream.chatRequests()).toHaveLength(0);
  });

  it('stops counting when the client leaves', async () => {
    // A 2M-token context: 600,000 CJK characters fit by their characters, so they must be counted
    // (~1,200 pieces, seconds of CPU) — unless the client leaves.
    const { bridge, upstream, requestLogged, logs } = await setUp(2_000_000);
    const text = `${Date.now()} ${'中'.repeat(600_000)}`;
    const before = localTokenizerStats().piecesEncoded;
    const controller = new AbortController();
    const sent = fetch(`${bridge.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: messagesBody(text),
      signal: controller.signal,
    }).catch((err: Error) => err);
    while (localTokenizerStats().piecesEncoded === before) await nextTurn();
    controller.abort();
    expect(await sent).toBeInstanceOf(Error);
    // The request's log line is written when its handler returns, i.e. after the count returned.
    await requestLogged;
    const pieces = localTokenizerStats().piecesEncoded - before;
    expect(pieces).toBeLessThan(600);
    expect(upstream.chatRequests()).toHaveLength(0);
    expect(logs.find((l) => l.path === '/v1/messages')).toBeDefined();
  });

  it('count_tokens stops counting when the client leaves', async () => {
    const { bridge, upstream, logs } = await setUp(2_000_000);
    const text = `${Date.now()} ${'中'.repeat(600_000)}`;
    const before = localTokenizerStats().piecesEncoded;
    const controller = new AbortController();
    const sent = fetch(`${bridge.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: text }] }),
      signal: controller.signal,
    }).catch((err: Error) => err);
    while (localTokenizerStats().piecesEncoded === before) await nextTurn();
    controller.abort();
    expect(await sent).toBeInstanceOf(Error);
    // The log line is written when the handler returns, i.e. once the count gave up.
    while (!logs.some((l) => l.path === '/v1/messages/count_tokens')) await nextTurn();
    expect(localTokenizerStats().piecesEncoded - before).toBeLessThan(600);
    expect(upstream.chatRequests()).toHaveLength(0);
  });

  it('the chat-completions passthrough stops counting when the client leaves', async () => {
    const { bridge, upstream, logs } = await setUp(2_000_000);
    const text = `${Date.now()} ${'中'.repeat(600_000)}`;
    const before = localTokenizerStats().piecesEncoded;
    const controller = new AbortController();
    const sent = fetch(`${bridge.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'deepseek-chat',
        max_tokens: 100,
        messages: [{ role: 'user', content: text }],
      }),
      signal: controller.signal,
    }).catch((err: Error) => err);
    while (localTokenizerStats().piecesEncoded === before) await nextTurn();
    controller.abort();
    expect(await sent).toBeInstanceOf(Error);
    while (!logs.some((l) => l.path === '/v1/chat/completions')) await nextTurn();
    expect(localTokenizerStats().piecesEncoded - before).toBeLessThan(600);
    expect(upstream.chatRequests()).toHaveLength(0);
  });
});
