// The SSE sink without a socket: a response double that records frames and can refuse writes (a
// full buffer), so back-pressure, pings, error naming and coalescing are checked one by one.
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../../src/bridge/anthropic/schema.js';
import { SseSink, type SseSinkOptions } from '../../../src/bridge/http/sse-sink.js';

class ResponseDouble extends EventEmitter {
  frames: string[] = [];
  head: { status: number; headers: Record<string, string> } | undefined;
  full = false;
  destroyed = false;
  writableEnded = false;
  writeHead(status: number, headers: Record<string, string>) {
    this.head = { status, headers };
    return this;
  }
  write(frame: string): boolean {
    this.frames.push(frame);
    return !this.full;
  }
  end() {
    this.writableEnded = true;
  }
}

const delta = (text: string): StreamEvent => ({
  type: 'content_block_delta',
  index: 0,
  delta: { type: 'text_delta', text },
});

function sink(overrides: Partial<SseSinkOptions> = {}) {
  const res = new ResponseDouble();
  const options: SseSinkOptions = {
    errorMessage: (m) => `named: ${m.replace('sk-secret', '[redacted]')}`,
    openStreams: () => 1,
    coalesce: { windowMs: 5, fromStreams: 8 },
    pingIntervalMs: 1000,
    ping: () => [{ type: 'ping' }],
    collect: false,
    ...overrides,
  };
  return { res, sink: new SseSink(res as unknown as http.ServerResponse, options) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SseSink', () => {
  it('sends the SSE headers with the extra ones, and one frame per write with every event', async () => {
    const { res, sink: s } = sink();
    s.open({ 'x-dsb-overhead-ms': '0.50' });
    await s.write([delta('a'), delta('b')]);
    s.end();
    expect(res.head?.status).toBe(200);
    expect(res.head?.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.head?.headers['x-dsb-overhead-ms']).toBe('0.50');
    expect(res.frames).toHaveLength(1);
    expect(res.frames[0]!.match(/^event: content_block_delta$/gm)).toHaveLength(2);
    expect(res.writableEnded).toBe(true);
  });

  it('waits for drain when the client buffer is full', async () => {
    const { res, sink: s } = sink();
    s.open({});
    res.full = true;
    let done = false;
    const writing = s.write([delta('a')]).then(() => {
      done = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    res.emit('drain');
    await writing;
    expect(done).toBe(true);
    s.end();
  });

  it('does not wait forever for a client that left with a full buffer', async () => {
    const { res, sink: s } = sink();
    s.open({});
    res.full = true;
    const writing = s.write([delta('a')]);
    res.emit('close');
    await writing;
    s.end();
  });

  it('writes nothing once the response is destroyed', async () => {
    const { res, sink: s } = sink();
    s.open({});
    res.destroyed = true;
    await s.write([delta('a')]);
    expect(res.frames).toEqual([]);
    s.end();
  });

  it("names the error event's upstream, hides secrets, and reports the message sent", async () => {
    const seen: string[] = [];
    const { res, sink: s } = sink({ onError: (m) => seen.push(m) });
    s.open({});
    await s.write([{ type: 'error', error: { type: 'api_error', message: 'upstream said sk-secret' } }]);
    s.end();
    expect(seen).toEqual(['named: upstream said [redacted]']);
    expect(res.frames[0]).toContain('named: upstream said [redacted]');
    expect(res.frames[0]).not.toContain('sk-secret');
  });

  it('pings when nothing was written for pingIntervalMs, and stops pinging when ended', () => {
    vi.useFakeTimers();
    let now = 0;
    const { res, sink: s } = sink({ now: () => now });
    s.open({});
    now = 400;
    vi.advanceTimersByTime(500);
    expect(res.frames).toEqual([]);
    now = 1000;
    vi.advanceTimersByTime(500);
    expect(res.frames).toEqual(['event: ping\ndata: {"type":"ping"}\n\n']);
    s.end();
    now = 5000;
    vi.advanceTimersByTime(5000);
    expect(res.frames).toHaveLength(1);
  });

  it('coalesces only after the first token and from fromStreams open streams', async () => {
    let open = 8;
    const { sink: s } = sink({ openStreams: () => open, coalesce: { windowMs: 500, fromStreams: 8 } });
    s.open({});
    const pending = (p: Promise<void> | undefined) => {
      let settled = false;
      void Promise.resolve(p).then(() => {
        settled = true;
      });
      return new Promise<boolean>((r) => setImmediate(() => r(!settled)));
    };
    // No token out yet: never held back (no promise at all: this runs after every upstream read).
    expect(s.afterBatch()).toBeUndefined();
    await s.write([delta('a')]);
    expect(s.firstTokenAt).toBeDefined();
    open = 7;
    expect(s.afterBatch()).toBeUndefined();
    open = 8;
    const held = s.afterBatch();
    expect(await pending(held)).toBe(true);
    await held;
    s.end();
  });

  it('keeps every event written when asked to (for the response cache), raw writes excepted', async () => {
    const { sink: s } = sink({ collect: true });
    s.open({});
    await s.write([delta('a')]);
    s.writeRaw([{ type: 'ping' }]);
    s.end();
    expect(s.collected).toEqual([delta('a')]);
  });
});
