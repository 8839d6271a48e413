import { describe, expect, it } from 'vitest';
import { encodeSseEvent, encodeSseEvents } from '../../../src/bridge/anthropic/sse.js';
import { parseSse } from '../../../src/probe/sse.js';

describe('encodeSseEvent(s)', () => {
  it('every frame has an event: line equal to data.type, and parses back to the event', () => {
    expect(encodeSseEvent({ type: 'ping' })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
    const events = [
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a\nb' } },
      { type: 'message_stop' },
    ] as const;
    const text = encodeSseEvents(events);
    expect(parseSse(text)).toEqual(events.map((e) => ({ event: e.type, data: e })));
    expect(encodeSseEvents([])).toBe('');
  });
});
