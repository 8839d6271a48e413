// The relay loop without a socket: recorded llama-server answers (SSE and JSON) fed as byte chunks
// into a collecting sink, and the failures that end a relay (no events, a cut connection, a bug).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CollectingSink } from '../../../src/bridge/http/collecting-sink.js';
import { type RelaySource, relay } from '../../../src/bridge/http/relay.js';
import { DEFAULT_ANSWER_LIMITS } from '../../../src/bridge/limits.js';
import { convertChatResponse } from '../../../src/bridge/translate/response.js';
import { ToolNameMap } from '../../../src/bridge/translate/tools.js';
import { testTranslator, translateSse } from '../../support/translate-harness.js';

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, '../../fixtures/llama-server', name));
const URL_ = 'http://127.0.0.1:8080';

/** A body as undici gives it: an async iterable of Buffers, with text() for JSON answers. */
function body(bytes: Buffer, chunkSize = 97, failAfter?: Error): RelaySource['body'] {
  return {
    async *[Symbol.asyncIterator]() {
      for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
      if (failAfter) throw failAfter;
    },
  };
}

function source(bytes: Buffer, isSse: boolean, extra: Partial<RelaySource> = {}): RelaySource {
  return {
    body: body(bytes),
    isSse,
    url: URL_,
    idleTimeoutMs: 1000,
    signal: new AbortController().signal,
    limits: DEFAULT_ANSWER_LIMITS,
    ...extra,
  };
}

describe('relay into a collecting sink', () => {
  it('a recorded stream gives exactly the events the translator gives for it, ending in message_stop', async () => {
    const bytes = fixture('07_chat_stream_greedy.body');
    const sink = new CollectingSink();
    const end = await relay(source(bytes, true), testTranslator(), sink);
    expect(end).toEqual({ kind: 'finished' });
    expect(sink.events).toEqual(translateSse(bytes));
    expect(sink.events.at(-1)).toEqual({ type: 'message_stop' });
    expect(sink.message().content.length).toBeGreaterThan(0);
  });

  it('a recorded JSON answer gives the same message as convertChatResponse (one path)', async () => {
    const bytes = fixture('05_chat_greedy.body');
    const sink = new CollectingSink();
    const translator = testTranslator();
    expect(await relay(source(bytes, false), translator, sink)).toEqual({ kind: 'finished' });
    const direct = convertChatResponse(JSON.parse(bytes.toString('utf8')), {
      messageId: 'msg_test',
      model: 'claude-sonnet-4-5',
      inputTokens: 100,
      names: new ToolNameMap(),
      signThinking: (t) => `sig-${t.length}`,
      newToolId: () => 'toolu_x',
    });
    expect(sink.message()).toEqual(direct);
    expect(translator.result?.stopReason).toBe('end_turn');
  });

  it('a recorded tool-call stream assembles its tool_use block', async () => {
    const sink = new CollectingSink();
    await relay(source(fixture('11_tools_required_stream.body'), true), testTranslator(), sink);
    expect(sink.message().content.some((b) => b.type === 'tool_use')).toBe(true);
  });

  it('an event stream with no events at all (an HTML page) ends in an error naming the upstream', async () => {
    const sink = new CollectingSink();
    const end = await relay(source(Buffer.from('<html>busy</html>'), true), testTranslator(), sink);
    expect(end.kind).toBe('finished');
    const last = sink.events.at(-1);
    expect(last?.type).toBe('error');
    expect(last?.type === 'error' && last.error.message).toContain(
      `upstream ${URL_} sent no server-sent events`,
    );
    expect(() => sink.message()).toThrow(/no server-sent events/);
  });

  it('a connection cut mid-answer: failed with a 502 naming the upstream, an error event last', async () => {
    const bytes = fixture('07_chat_stream_greedy.body');
    const cut = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const sink = new CollectingSink();
    const end = await relay(
      source(bytes, true, { body: body(bytes.subarray(0, 300), 50, cut) }),
      testTranslator(),
      sink,
    );
    expect(end.kind).toBe('failed');
    if (end.kind !== 'failed') return;
    expect(end.error.status).toBe(502);
    expect(end.error.message).toContain(URL_);
    expect(end.internal).toBeUndefined();
    expect(sink.events.at(-1)?.type).toBe('error');
  });

  it('an idle timeout mid-answer is a 504 that names server.idleTimeoutMs', async () => {
    const stalled = Object.assign(new Error('Body Timeout Error'), { code: 'UND_ERR_BODY_TIMEOUT' });
    const end = await relay(
      source(Buffer.alloc(0), true, { body: body(Buffer.alloc(0), 1, stalled) }),
      testTranslator(),
      new CollectingSink(),
    );
    expect(end.kind === 'failed' && [end.error.status, /1000 ms/.test(end.error.message)]).toEqual([
      504,
      true,
    ]);
  });

  it("a bug of the bridge's own is a 500 internal error, with the cause kept for the log", async () => {
    const end = await relay(
      source(Buffer.alloc(0), true, { body: body(Buffer.from('data: {}\n\n'), 1, new TypeError('oops')) }),
      testTranslator(),
      new CollectingSink(),
    );
    expect(end.kind).toBe('failed');
    if (end.kind !== 'failed') return;
    expect([end.error.status, end.error.message, end.internal?.message]).toEqual([
      500,
      'internal bridge error: oops',
      'oops',
    ]);
  });

  it('after the signal is aborted (the client left) a failure ends the relay quietly', async () => {
    const controller = new AbortController();
    controller.abort();
    const sink = new CollectingSink();
    const cut = Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' });
    const end = await relay(
      source(Buffer.alloc(0), true, { body: body(Buffer.alloc(0), 1, cut), signal: controller.signal }),
      testTranslator(),
      sink,
    );
    expect(end).toEqual({ kind: 'aborted' });
    expect(sink.events.map((e) => e.type)).toEqual(['message_start']);
  });

  it('stops reading at [DONE] and holds back (afterBatch) only between batches that carried events', async () => {
    const bytes = fixture('07_chat_stream_greedy.body');
    const withTrailer = Buffer.concat([bytes, Buffer.from('data: {"garbage after done"}\n\n')]);
    let batches = 0;
    let pauses = 0;
    const events: string[] = [];
    const end = await relay(source(withTrailer, true), testTranslator(), {
      write: (e) => {
        if (e.length > 0) batches++;
        events.push(...e.map((x) => x.type));
      },
      afterBatch: () => {
        pauses++;
        return undefined;
      },
    });
    expect(end.kind).toBe('finished');
    expect(events.at(-1)).toBe('message_stop');
    expect(events.filter((t) => t === 'message_stop')).toHaveLength(1);
    // No pause after the batch that finished the answer, nor after the empty trailing writes.
    expect(pauses).toBeLessThan(batches);
  });
});
