// The steps of POST /v1/messages around the relay, without a socket: routing by header, the
// response-cache answer, what an outcome teaches the bridge, and freeing the upstream.
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessagesRequest } from '../../../src/bridge/anthropic/schema.js';
import type { UpstreamCall } from '../../../src/bridge/http/call.js';
import { CollectingSink } from '../../../src/bridge/http/collecting-sink.js';
import {
  answerFromCache,
  type Exchange,
  recordOutcome,
  routeFor,
  settleUpstream,
  translatorFor,
} from '../../../src/bridge/http/messages.js';
import { prepare } from '../../../src/bridge/http/prepare.js';
import { relay } from '../../../src/bridge/http/relay.js';
import { DEFAULT_ANSWER_LIMITS } from '../../../src/bridge/limits.js';
import type { RequestLogEntry } from '../../../src/bridge/log.js';
import { ToolNameMap } from '../../../src/bridge/translate/tools.js';
import type { UpstreamResponse } from '../../../src/bridge/upstream.js';
import { type TestState, testState } from '../../support/bridge-state.js';

let t: TestState | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, '../../fixtures/llama-server', name));
/** A recorded body as undici yields it. */
const recorded = (bytes: Buffer) => ({
  async *[Symbol.asyncIterator]() {
    yield bytes;
  },
  text: async () => bytes.toString('utf8'),
});
const log = (): RequestLogEntry => ({ method: 'POST', path: '/v1/messages', status: 0, durationMs: 0 });

class ResponseDouble {
  head: { status: number; headers: Record<string, unknown> } | undefined;
  body = '';
  headersSent = false;
  writeHead(status: number, headers: Record<string, unknown>) {
    this.head = { status, headers };
    this.headersSent = true;
  }
  end(text?: string) {
    this.body += text ?? '';
  }
}

function exchange(res: ResponseDouble, stream: boolean): Exchange {
  return {
    res: res as unknown as http.ServerResponse,
    log: log(),
    started: performance.now(),
    controller: new AbortController(),
    stream,
    requestModel: 'claude-sonnet-4-5',
    stopSequences: undefined,
    cacheKey: undefined,
  };
}

function call(t: TestState, body: PassThrough | undefined = undefined): UpstreamCall {
  const u = t.state.upstreams[0]!;
  return {
    upstream: u,
    response: {
      status: 200,
      headers: {},
      body: (body ?? new PassThrough()) as unknown as UpstreamResponse['body'],
    },
    release: u.acquire(),
    runtime: t.state.runtimes.get(u)!,
    promptTokens: 100,
    countMethod: 'upstream',
    contextSize: 8192,
    names: new ToolNameMap(),
    toolNames: undefined,
    warnings: [],
    anchor: undefined,
    sentAt: performance.now(),
  };
}

describe('routeFor', () => {
  it('an X-Model-Override header picks the route over the model the body names', () => {
    t = testState([{ name: 'a', url: 'http://127.0.0.1:1' }], {
      models: { 'claude-opus-4-5': 'big', fast: 'small' },
    });
    expect(routeFor(t.state, {}, 'claude-opus-4-5').model).toBe('big');
    expect(routeFor(t.state, { 'x-model-override': 'fast' }, 'claude-opus-4-5').model).toBe('small');
  });
});

describe('answerFromCache', () => {
  const request = {
    model: 'claude-sonnet-4-5',
    max_tokens: 100,
    temperature: 0,
    messages: [{ role: 'user', content: 'hi' }],
  } as MessagesRequest;

  it('stores nothing and answers nothing with the cache off', async () => {
    t = testState([{ url: 'http://127.0.0.1:1', facts: { contextSize: 8192, promptTokens: 10 } }]);
    const u = t.state.upstreams[0]!;
    const prepared = await prepare(
      t.state,
      request,
      t.state.router.resolve('x'),
      u,
      new AbortController().signal,
    );
    const ex = exchange(new ResponseDouble(), false);
    expect(answerFromCache(t.state, request, prepared, ex)).toBe(false);
    expect(ex.cacheKey).toBeUndefined();
  });

  it('sets the key on a miss; on a hit answers the same message under a new id, as JSON or as a stream', async () => {
    t = testState([{ url: 'http://127.0.0.1:1', facts: { contextSize: 8192, promptTokens: 10 } }], {
      server: { host: '127.0.0.1', port: 0, cache: { enabled: true } },
    });
    const u = t.state.upstreams[0]!;
    const prepared = await prepare(
      t.state,
      request,
      t.state.router.resolve('x'),
      u,
      new AbortController().signal,
    );
    const miss = exchange(new ResponseDouble(), false);
    expect(answerFromCache(t.state, request, prepared, miss)).toBe(false);
    expect(miss.cacheKey).toBeDefined();
    const sink = new CollectingSink();
    await relay(
      {
        body: recorded(fixture('07_chat_stream_greedy.body')),
        isSse: true,
        url: u.url,
        idleTimeoutMs: 1,
        signal: new AbortController().signal,
        limits: DEFAULT_ANSWER_LIMITS,
      },
      translatorFor(t.state, call(t), miss),
      sink,
    );
    t.state.responseCache!.set(miss.cacheKey!, sink.events);

    const res = new ResponseDouble();
    const hit = exchange(res, false);
    expect(answerFromCache(t.state, request, prepared, hit)).toBe(true);
    expect(res.head?.headers['x-dsb-cache']).toBe('hit');
    const message = JSON.parse(res.body);
    expect(message.content).toEqual(sink.message().content);
    expect(message.id).not.toBe(sink.message().id);
    expect(hit.log.warnings).toEqual(['served from the response cache']);

    const streamRes = new ResponseDouble();
    expect(answerFromCache(t.state, { ...request, stream: true }, prepared, exchange(streamRes, true))).toBe(
      true,
    );
    expect(streamRes.head?.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(streamRes.body).toMatch(/^event: message_start\n/);
    expect(streamRes.body).toContain('event: message_stop');
  });
});

describe('recordOutcome and settleUpstream', () => {
  it('logs the counts, remembers the reasoning of tool-call turns, and frees a finished answer’s body', async () => {
    t = testState([{ url: 'http://127.0.0.1:1', facts: { contextSize: 8192, promptTokens: 10 } }]);
    const body = new PassThrough();
    const c = call(t, body);
    const translator = translatorFor(t.state, c, { requestModel: 'm', stopSequences: undefined });
    const chunk = (delta: object, finish: string | null = null) =>
      JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] });
    translator.start();
    translator.pushData(chunk({ reasoning_content: 'Let me look.' }));
    translator.pushData(
      chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'Read', arguments: '{}' } }] }),
    );
    translator.pushData(chunk({}, 'tool_calls'));
    translator.end();
    const entry = log();
    recordOutcome(t.state, c, translator, entry);
    expect(entry.outputTokens).toBeGreaterThan(0);
    expect(t.state.reasoningCache.recall(translator.result!.toolUseIds)).toBe('Let me look.');

    const controller = new AbortController();
    settleUpstream(c, translator, controller);
    expect(controller.signal.aborted).toBe(false);
    body.end();
    c.release();
  });

  it('aborts the upstream request of an answer that did not finish', () => {
    t = testState([{ url: 'http://127.0.0.1:1' }]);
    const c = call(t);
    const translator = translatorFor(t.state, c, { requestModel: 'm', stopSequences: undefined });
    translator.start();
    const controller = new AbortController();
    settleUpstream(c, translator, controller);
    expect(controller.signal.aborted).toBe(true);
    c.release();
  });
});
