// Incremental decoder of an upstream's server-sent events: bytes in (split anywhere, even inside a
// UTF-8 sequence), complete events out. Comment lines (`: ping`) are dropped (design.md §4.3).
import { DsbError } from '../../errors.js';

export interface UpstreamSseEvent {
  /** The `event:` field when the server sent one (OpenAI servers usually do not). */
  event: string | undefined;
  data: string;
  /** Only with `keepEventsWithoutData`: the frame had an `event:` line and no `data:` line. */
  noData?: true;
}

export class SseLineTooLongError extends DsbError {
  constructor(limit: number) {
    super(
      'SSE_LINE_TOO_LONG',
      `upstream sent an SSE line (or event) longer than ${limit} bytes: the answer was stopped (server.limits.maxSseLineBytes)`,
      { details: { limit } },
    );
    this.name = 'SseLineTooLongError';
  }
}

export class UpstreamSseDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  /** The start of a line whose end has not come yet, as received (joined once, when it ends). */
  private partial: string[] = [];
  private partialLength = 0;
  private dataLines: string[] = [];
  /** Characters in `dataLines`: a server that never sends the blank line must not grow it forever. */
  private dataSize = 0;
  private eventName: string | undefined;
  /** The last text ended with CR: a LF starting the next one belongs to that line end (CRLF). */
  private skipLeadingLf = false;

  /** Comment lines seen so far (servers send `: ping` keep-alives this way). */
  comments = 0;

  /**
   * @param maxLineLength a guard against a server that never ends its line, or its event.
   * @param options.keepEventsWithoutData also dispatch a frame that has an `event:` line but no
   *   `data:` line (a browser drops it; `dsb probe` reports it, since the Anthropic SDK chokes on it).
   */
  constructor(
    private readonly maxLineLength = 16 * 1024 * 1024,
    private readonly options: { keepEventsWithoutData?: boolean } = {},
  ) {}

  push(chunk: Uint8Array | string): UpstreamSseEvent[] {
    const events: UpstreamSseEvent[] = [];
    this.feed(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }), events);
    return events;
  }

  /** Flushes what is left when the upstream closes the stream. */
  end(): UpstreamSseEvent[] {
    const events: UpstreamSseEvent[] = [];
    this.feed(this.decoder.decode(), events);
    if (this.partialLength > 0) this.processLine(this.takePartial(''), events);
    this.dispatch(events);
    return events;
  }

  /**
   * Lines end with CRLF, LF or CR alone (all legal SSE; some servers use CR only). Only the new
   * text is searched, and a long line's pieces are joined once: linear however the line is cut.
   */
  private feed(text: string, events: UpstreamSseEvent[]): void {
    let start = 0;
    if (this.skipLeadingLf && text.length > 0) {
      if (text.charCodeAt(0) === 0x0a) start = 1;
      this.skipLeadingLf = false;
    }
    // Next LF and CR at or after `start`; -1 once there is none left in this text.
    let nextLf = -2;
    let nextCr = -2;
    for (;;) {
      if (nextLf !== -1 && nextLf < start) nextLf = text.indexOf('\n', start);
      if (nextCr !== -1 && nextCr < start) nextCr = text.indexOf('\r', start);
      const at = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (at === -1) break;
      this.processLine(this.takePartial(text.slice(start, at)), events);
      start = at + 1;
      if (at === nextCr) {
        if (start === text.length) this.skipLeadingLf = true;
        else if (text.charCodeAt(start) === 0x0a) start++;
      }
    }
    if (start < text.length) {
      this.partial.push(start === 0 ? text : text.slice(start));
      this.partialLength += text.length - start;
      if (this.partialLength > this.maxLineLength) throw new SseLineTooLongError(this.maxLineLength);
    }
  }

  /** The held start of the line joined with its `end`. */
  private takePartial(end: string): string {
    if (this.partialLength === 0) return end;
    this.partial.push(end);
    const line = this.partial.join('');
    this.partial = [];
    this.partialLength = 0;
    return line;
  }

  private processLine(line: string, events: UpstreamSseEvent[]): void {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.startsWith(':')) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataSize += value.length + 1;
      if (this.dataSize > this.maxLineLength) throw new SseLineTooLongError(this.maxLineLength);
      this.dataLines.push(value);
    } else if (field === 'event') this.eventName = value;
  }

  private dispatch(events: UpstreamSseEvent[]): void {
    const lines = this.dataLines;
    // One `data:` line per event is what every OpenAI-compatible server sends: no join, no new array.
    if (lines.length === 1) events.push({ event: this.eventName, data: lines[0]! });
    else if (lines.length > 1) events.push({ event: this.eventName, data: lines.join('\n') });
    else if (this.eventName !== undefined && this.options.keepEventsWithoutData)
      events.push({ event: this.eventName, data: '', noData: true });
    lines.length = 0;
    this.dataSize = 0;
    this.eventName = undefined;
  }
}
