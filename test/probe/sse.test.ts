import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UpstreamSseDecoder } from '../../src/bridge/openai/sse-decoder.js';
import { isDsbError } from '../../src/errors.js';
import { parseSse, SseParser } from '../../src/probe/sse.js';

const STREAM = [
  'event: message_start',
  'data: {"type":"message_start","message":{"id":"m"}}',
  '',
  ': keep-alive comment',
  'event: content_block_delta',
  'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"héllo 🌍"}}',
  '',
  'event: message_stop',
  'data: {"type":"message_stop"}',
  '',
  '',
].join('\n');

describe('SseParser', () => {
  it('parses event names and JSON data, skipping comments', () => {
    const parser = new SseParser();
    const events = [...parser.push(STREAM), ...parser.end()];
    expect(events.map((e) => e.event)).toEqual(['message_start', 'content_block_delta', 'message_stop']);
    expect(events[1]?.data).toEqual({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'héllo 🌍' },
    });
    expect(parser.comments).toBe(1);
  });

  it('accepts CRLF and lone CR line endings', () => {
    const crlf = parseSse(STREAM.replace(/\n/g, '\r\n'));
    const cr = parseSse(STREAM.replace(/\n/g, '\r'));
    expect(crlf).toEqual(parseSse(STREAM));
    expect(cr).toEqual(parseSse(STREAM));
  });

  it('joins several data lines with a newline, keeps raw text that is not JSON', () => {
    const events = parseSse('event: x\ndata: first\ndata: second\n\ndata: [DONE]\n\n');
    expect(events).toEqual([
      { event: 'x', data: 'first\nsecond' },
      { event: undefined, data: '[DONE]' },
    ]);
  });

  it('reports a frame without an event: line as event undefined', () => {
    expect(parseSse('data: {"type":"ping"}\n\n')).toEqual([{ event: undefined, data: { type: 'ping' } }]);
  });

  it('drops only one leading space after the colon, and takes a field without a colon as empty', () => {
    expect(parseSse('event:tight\ndata:  two spaces\n\n')).toEqual([{ event: 'tight', data: ' two spaces' }]);
    expect(parseSse('event: e\ndata\n\n')).toEqual([{ event: 'e', data: '' }]);
  });

  it('flushes a last frame that no blank line terminated (a bridge cut mid-stream is reported, not hidden)', () => {
    expect(parseSse('event: message_stop\ndata: {"type":"message_stop"}')).toEqual([
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
  });

  it('yields nothing for comments alone', () => {
    expect(parseSse(': ping\n\n: ping\n\n')).toEqual([]);
  });

  it('gives the same events however the text is split, with any line-ending style', () => {
    const whole = parseSse(STREAM);
    fc.assert(
      fc.property(
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.integer({ min: 0, max: STREAM.length * 2 }), { maxLength: 12 }),
        (eol, cuts) => {
          const text = STREAM.replace(/\n/g, eol);
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const parser = new SseParser();
          const out = [];
          let prev = 0;
          for (const p of [...points, text.length]) {
            out.push(...parser.push(text.slice(prev, p)));
            prev = p;
          }
          out.push(...parser.end());
          expect(out).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same events when fed one character at a time', () => {
    const text = STREAM.replace(/\n/g, '\r\n');
    const parser = new SseParser();
    const out = [];
    for (const ch of text) out.push(...parser.push(ch));
    out.push(...parser.end());
    expect(out).toEqual(parseSse(STREAM));
  });

  it('reports a frame with an event: line and no data: line as data undefined (the SDK cannot parse it)', () => {
    expect(parseSse('event: ping\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n')).toEqual([
      { event: 'ping', data: undefined },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
    expect(parseSse('id: 7\nretry: 10\n\n')).toEqual([]);
  });

  it('stops at a line longer than its limit with a named error in its own words', () => {
    const parser = new SseParser(64);
    expect(parser.push(`data: ${'x'.repeat(40)}`)).toEqual([]);
    let caught: unknown;
    try {
      parser.push('y'.repeat(40));
    } catch (err) {
      caught = err;
    }
    expect(isDsbError(caught, 'SSE_LINE_TOO_LONG')).toBe(true);
    expect((caught as Error).message).toBe(
      'the stream sent an SSE line (or event) longer than 64 bytes: the probe stopped reading it',
    );
  });
});

describe('the shared decoder, as the bridge uses it (without keepEventsWithoutData)', () => {
  it('drops a frame without data, as a browser does, and counts comments', () => {
    const decoder = new UpstreamSseDecoder();
    expect(decoder.push(': ping\nevent: ping\n\ndata: x\n\n')).toEqual([{ event: undefined, data: 'x' }]);
    expect(decoder.comments).toBe(1);
  });
});
