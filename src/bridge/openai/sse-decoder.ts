// Incremental decoder of an upstream's server-sent events: bytes in (split anywhere, even inside a
// UTF-8 sequence), complete events out. Comment lines (`: ping`) are dropped (design.md §4.3).
import { DsbError } from '../../errors.js';

export interface UpstreamSseEvent {
  /** The `event:` field when the server sent one (OpenAI servers usually do not). */
  event: string | undefined;
  data: string;
}

export class SseLineTooLongError extends DsbError {
  constructor(limit: number) {
    super('SSE_LINE_TOO_LONG', `upstream sent an SSE line longer than ${limit} bytes`, {
      details: { limit },
    });
    this.name = 'SseLineTooLongError';
  }
}

export class UpstreamSseDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  private buffer = '';
  private dataLines: string[] = [];
  private eventName: string | undefined;

  /** @param maxLineLength a guard against a server that never ends its line. */
  constructor(private readonly maxLineLength = 16 * 1024 * 1024) {}

  push(chunk: Uint8Array | string): UpstreamSseEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** Flushes what is left when the upstream closes the stream. */
  end(): UpstreamSseEvent[] {
    this.buffer += this.decoder.decode();
    const events = this.drain(true);
    this.dispatch(events);
    return events;
  }

  private drain(final: boolean): UpstreamSseEvent[] {
    const events: UpstreamSseEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl === -1) break;
      let line = this.buffer.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = nl + 1;
      this.processLine(line, events);
    }
    this.buffer = this.buffer.slice(start);
    // A lone CR as line terminator is legal SSE but unseen in practice; treat a trailing one on end.
    if (final && this.buffer.length > 0) {
      this.processLine(this.buffer.replace(/\r$/, ''), events);
      this.buffer = '';
    }
    if (this.buffer.length > this.maxLineLength) throw new SseLineTooLongError(this.maxLineLength);
    return events;
  }

  private processLine(line: string, events: UpstreamSseEvent[]): void {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
  }

  private dispatch(events: UpstreamSseEvent[]): void {
    const lines = this.dataLines;
    // One `data:` line per event is what every OpenAI-compatible server sends: no join, no new array.
    if (lines.length === 1) events.push({ event: this.eventName, data: lines[0]! });
    else if (lines.length > 1) events.push({ event: this.eventName, data: lines.join('\n') });
    lines.length = 0;
    this.eventName = undefined;
  }
}
