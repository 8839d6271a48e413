import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/bridge/anthropic/schema.js';
import { encodeSseEvents } from '../../src/bridge/anthropic/sse.js';
import { ResponseCache, replayEvents, uncacheableReason } from '../../src/bridge/response-cache.js';
import { assembleMessage } from '../../src/bridge/translate/response.js';
import { checkStreamInvariants } from '../../src/probe/invariants.js';
import { parseSse } from '../../src/probe/sse.js';
import { translateSse } from '../support/translate-harness.js';

// Real answers: upstream SSE fixtures run through the bridge's own decoder and translator.
const fixtureDir = path.join(import.meta.dirname, '../fixtures/translate/stream');
const translated = (name: string) => translateSse(readFileSync(path.join(fixtureDir, name)));
const thinkingAndText = translated('reasoning-then-text.sse');
const textThenTool = translated('text-then-tool.sse');
const failed = translated('error-after-first-byte.sse');

const bytesOf = (events: readonly StreamEvent[]) =>
  Buffer.byteLength(JSON.stringify(events.filter((e) => e.type !== 'ping')), 'utf8');

/** A complete answer whose single text block is `text`. */
function textAnswer(text: string, id = 'msg_x'): StreamEvent[] {
  return [
    {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 0 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 10, output_tokens: 3 },
    },
    { type: 'message_stop' },
  ];
}

describe('ResponseCache keys and eligibility', () => {
  it('keys on the upstream model and the exact request bytes (sha256)', () => {
    const body = JSON.stringify({
      model: 'deepseek-chat',
      temperature: 0,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const key = ResponseCache.keyFor('deepseek-chat', body);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(ResponseCache.keyFor('deepseek-chat', body)).toBe(key);
    expect(ResponseCache.keyFor('deepseek-reasoner', body)).not.toBe(key);
    expect(ResponseCache.keyFor('deepseek-chat', `${body} `)).not.toBe(key); // one byte differs
    expect(ResponseCache.keyFor('deepseek-chat', body.replace('"hi"', '"hj"'))).not.toBe(key);
  });

  it('caches only requests with temperature exactly 0', () => {
    expect(ResponseCache.cacheable({ temperature: 0 })).toBe(true);
    expect(ResponseCache.cacheable({})).toBe(false); // absent: the server's default sampling
    expect(ResponseCache.cacheable({ temperature: undefined })).toBe(false);
    expect(ResponseCache.cacheable({ temperature: 1 })).toBe(false);
    expect(ResponseCache.cacheable({ temperature: 0.0001 })).toBe(false);
  });

  it('rejects bounds that are not positive integers', () => {
    expect(() => new ResponseCache({ maxEntries: 0, maxBytes: 10 })).toThrow(/maxEntries/);
    expect(() => new ResponseCache({ maxEntries: 1, maxBytes: 1.5 })).toThrow(/maxBytes/);
    expect(() => new ResponseCache({ maxEntries: 1, maxBytes: 10, ttlMs: -1 })).toThrow(/ttlMs/);
  });
});

describe('ResponseCache storage', () => {
  it('misses, then hits after set, and counts both', () => {
    const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000 });
    const key = ResponseCache.keyFor('m', '{"a":1}');
    expect(cache.get(key)).toBeUndefined();
    expect(cache.set(key, thinkingAndText)).toBe(true);
    const hit = cache.get(key);
    expect(hit?.events).toEqual(thinkingAndText.filter((e) => e.type !== 'ping'));
    expect(hit?.bytes).toBe(bytesOf(thinkingAndText));
    expect(cache.get(ResponseCache.keyFor('m', '{"a":2}'))).toBeUndefined();
    expect(cache.stats()).toEqual({ entries: 1, bytes: bytesOf(thinkingAndText), hits: 1, misses: 2 });
  });

  it('keeps its own frozen copy: later changes to the caller’s events do not reach it', () => {
    const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000 });
    const events = textAnswer('original');
    cache.set('k', events);
    (events[2] as { delta: { text: string } }).delta.text = 'changed';
    const stored = cache.get('k')!;
    expect(assembleMessage(stored.events).content).toEqual([{ type: 'text', text: 'original' }]);
    expect(() => {
      (stored.events[2] as { delta: { text: string } }).delta.text = 'x';
    }).toThrow(TypeError);
  });

  it('does not store an answer that failed, was cut short, or never started', () => {
    const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000 });
    expect(failed.some((e) => e.type === 'error')).toBe(true);
    expect(uncacheableReason(failed)).toMatch(/error|message_stop/);
    expect(cache.set('failed', failed)).toBe(false);
    const cut = textAnswer('cut').slice(0, -2);
    expect(cache.set('cut', cut)).toBe(false);
    expect(cache.set('headless', textAnswer('x').slice(1))).toBe(false);
    const errorThenStop: StreamEvent[] = [
      ...textAnswer('x').slice(0, -1),
      { type: 'error', error: { type: 'api_error', message: 'boom' } },
      { type: 'message_stop' },
    ];
    expect(cache.set('errorThenStop', errorThenStop)).toBe(false);
    expect(cache.get('failed')).toBeUndefined();
    expect(cache.get('cut')).toBeUndefined();
    expect(cache.get('errorThenStop')).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });

  it('leaves pings out of what it stores', () => {
    const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000 });
    const answer = textAnswer('x');
    cache.set('k', [answer[0]!, { type: 'ping' }, ...answer.slice(1), { type: 'ping' }]);
    expect(cache.get('k')!.events).toEqual(answer);
  });

  it('evicts the least recently used entry past maxEntries', () => {
    const cache = new ResponseCache({ maxEntries: 2, maxBytes: 1_000_000 });
    cache.set('a', textAnswer('a'));
    cache.set('b', textAnswer('b'));
    cache.get('a'); // a is now more recent than b
    cache.set('c', textAnswer('c'));
    expect(cache.stats().entries).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('evicts by bytes, and never stores one answer bigger than the whole budget', () => {
    const one = bytesOf(textAnswer('x'.repeat(1000)));
    const cache = new ResponseCache({ maxEntries: 100, maxBytes: Math.floor(one * 2.5) });
    cache.set('a', textAnswer('x'.repeat(1000)));
    cache.set('b', textAnswer('y'.repeat(1000)));
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 2 * one });
    cache.set('c', textAnswer('z'.repeat(1000)));
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 2 * one });
    expect(cache.get('a')).toBeUndefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(Math.floor(one * 2.5));

    expect(cache.set('huge', textAnswer('h'.repeat(one * 3)))).toBe(false);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('b')).toBeDefined(); // a refused giant does not flush the others
    expect(cache.get('c')).toBeDefined();
  });

  it('counts bytes as UTF-8', () => {
    const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000 });
    cache.set('k', textAnswer('汉字'.repeat(100)));
    expect(cache.get('k')!.bytes).toBe(bytesOf(textAnswer('汉字'.repeat(100))));
    expect(cache.get('k')!.bytes).toBeGreaterThan(JSON.stringify(textAnswer('汉字'.repeat(100))).length);
  });

  it('stops serving entries older than ttlMs (a fake clock: no waiting)', () => {
    let now = 1_000;
    const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000, ttlMs: 40, now: () => now });
    cache.set('k', textAnswer('x'));
    expect(cache.get('k')?.storedAt).toBe(1_000);
    now += 40;
    expect(cache.get('k')).toBeDefined();
    now += 1;
    expect(cache.get('k')).toBeUndefined();
  });
});

describe('replayEvents', () => {
  it('gives the same events with only the message id replaced, as a fresh copy each time', () => {
    const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000 });
    cache.set('k', textThenTool);
    const stored = cache.get('k')!.events;
    const first = replayEvents(stored, 'msg_replay1');
    const second = replayEvents(stored, 'msg_replay2');
    expect(first).toHaveLength(stored.length);
    for (const [i, event] of first.entries()) {
      if (event.type === 'message_start') {
        expect(event.message.id).toBe('msg_replay1');
        expect({ ...event.message, id: 'same' }).toEqual({
          ...(stored[i] as typeof event).message,
          id: 'same',
        });
      } else {
        expect(event).toEqual(stored[i]);
      }
    }
    expect((second[0] as { message: { id: string } }).message.id).toBe('msg_replay2');
    expect((stored[0] as { message: { id: string } }).message.id).toBe('msg_test'); // the original is untouched
    (first[1] as { index: number }).index = 99; // copies are the caller's to change
    expect((second[1] as { index: number }).index).toBe((stored[1] as { index: number }).index);
  });

  it('echoes another client model name when asked to', () => {
    const replay = replayEvents(textAnswer('x'), 'msg_r', 'claude-opus-4-1');
    expect((replay[0] as { message: { model: string } }).message.model).toBe('claude-opus-4-1');
  });

  for (const [name, events] of [
    ['thinking then text', thinkingAndText],
    ['text then tool_use', textThenTool],
  ] as const) {
    it(`replays "${name}" as a stream that keeps every invariant and assembles to the same message`, () => {
      const kinds = assembleMessage(events).content.map((b) => b.type);
      expect(kinds).toEqual(name === 'thinking then text' ? ['thinking', 'text'] : ['text', 'tool_use']);
      const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000 });
      cache.set('k', events);
      const replay = replayEvents(cache.get('k')!.events, 'msg_replayed');
      // Through the wire format and back, as a client would read it.
      const frames = parseSse(encodeSseEvents(replay));
      expect(checkStreamInvariants(frames)).toEqual([]);
      const original = assembleMessage(events);
      expect(assembleMessage(replay)).toEqual({ ...original, id: 'msg_replayed' });
    });
  }
});
