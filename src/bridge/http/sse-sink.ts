// The sink of a streaming answer: Anthropic server-sent events to the client, with back-pressure
// (a full socket buffer waits for drain, or for the client to leave), pings while the upstream is
// quiet, and write coalescing when many streams are open (state.ts says why).
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StreamEvent } from '../anthropic/schema.js';
import { encodeSseEvent, encodeSseEvents } from '../anthropic/sse.js';
import { drainedOrClosed } from './io.js';
import type { EventSink } from './relay.js';
import type { CoalesceOptions } from './state.js';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

export interface SseSinkOptions {
  /** Rewrites an `error` event's message for the client: names the upstream, hides secrets. */
  errorMessage: (message: string) => string;
  /** Told the message of the `error` event the stream ends with, as sent. */
  onError?: (message: string) => void;
  /** Streams open now (the bridge's metrics): coalescing starts from `coalesce.fromStreams`. */
  openStreams: () => number;
  coalesce: CoalesceOptions;
  /** A ping goes out when nothing was written for this long (server.pingIntervalMs). */
  pingIntervalMs: number;
  /** The ping events (none once the stream is over). */
  ping: () => StreamEvent[];
  /** Keep every event written (for the response cache). */
  collect: boolean;
  now?: () => number;
}

export class SseSink implements EventSink {
  /** When the first content delta went out. */
  firstTokenAt: number | undefined;
  /** Every event written, when `collect`. */
  readonly collected: StreamEvent[] | undefined;
  private lastWrite: number;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly options: SseSinkOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.lastWrite = this.now();
    this.collected = options.collect ? [] : undefined;
  }

  /** Sends the status line and headers, and starts the pings. */
  open(headers: Record<string, string>): void {
    this.res.writeHead(200, { ...SSE_HEADERS, ...headers });
    this.lastWrite = this.now();
    const interval = this.options.pingIntervalMs;
    this.pingTimer = setInterval(
      () => {
        if (this.now() - this.lastWrite >= interval) void this.write(this.options.ping());
      },
      Math.max(50, Math.min(1000, interval / 2)),
    );
  }

  async write(events: StreamEvent[]): Promise<void> {
    if (events.length === 0 || this.res.destroyed) return;
    const last = events[events.length - 1]!;
    if (last.type === 'error') {
      // The translator's failures speak of "upstream": name the server, and hide any key it echoed.
      const message = this.options.errorMessage(last.error.message);
      events[events.length - 1] = { type: 'error', error: { type: last.error.type, message } };
      this.options.onError?.(message);
    }
    this.collected?.push(...events);
    let frame = '';
    for (const e of events) {
      frame += encodeSseEvent(e);
      if (this.firstTokenAt === undefined && e.type === 'content_block_delta') this.firstTokenAt = this.now();
    }
    this.lastWrite = this.now();
    if (!this.res.write(frame)) await drainedOrClosed(this.res);
  }

  /**
   * Coalescing: once the first token is out and many streams are open, hold the next write back.
   * No promise when nothing is held (this runs after every upstream read).
   */
  afterBatch(): Promise<void> | undefined {
    if (this.firstTokenAt === undefined || this.options.openStreams() < this.options.coalesce.fromStreams)
      return undefined;
    return sleep(this.options.coalesce.windowMs);
  }

  /**
   * Writes events as they are, past the naming of `write` (the bridge's own shutdown error), if the
   * client is still there.
   */
  writeRaw(events: StreamEvent[]): void {
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(encodeSseEvents(events));
  }

  stopPings(): void {
    clearInterval(this.pingTimer);
  }

  /** Ends the response (the pings stop too). */
  end(): void {
    this.stopPings();
    this.res.end();
  }
}
