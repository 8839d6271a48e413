// Incremental parser of the Anthropic side's Server-Sent Events, kept raw on purpose: the probe must
// see what the SDK hides (a frame without an `event:` line, data that is not JSON, a frame cut at
// the end of the stream). Pure: `push(chunk) → events[]`, `end() → events[]`, no I/O, no clock.
// Follows the WHATWG event-stream rules: lines end in CRLF, LF or CR; `:` starts a comment; one
// optional space after the field's colon is dropped; several `data:` lines join with `\n`; a blank
// line dispatches the frame.
import type { SseEvent } from './invariants.js';

export type { SseEvent } from './invariants.js';

export class SseParser {
  private buffer = '';
  /** The previous chunk ended in `\r`: a `\n` at the start of the next one belongs to that line end. */
  private pendingCR = false;
  private eventName: string | undefined;
  private dataLines: string[] = [];
  private sawField = false;
  /** Comment lines seen so far (servers send `: ping` keep-alives this way). */
  comments = 0;

  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      this.line(line, out);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /**
   * Flushes the last frame. Unlike a browser, which drops a frame that no blank line terminated,
   * the probe returns it: a bridge that ends its stream mid-frame should be reported, not hidden.
   */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.buffer.length > 0) this.line(this.buffer, out);
    this.buffer = '';
    this.pendingCR = false;
    this.dispatch(out);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      this.dispatch(out);
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
    if (field === 'event') {
      this.eventName = value;
      this.sawField = true;
    } else if (field === 'data') {
      this.dataLines.push(value);
      this.sawField = true;
    }
    // `id`, `retry` and unknown fields carry nothing the Messages API uses.
  }

  private dispatch(out: SseEvent[]): void {
    if (!this.sawField) return;
    const raw = this.dataLines.length > 0 ? this.dataLines.join('\n') : undefined;
    out.push({ event: this.eventName, data: raw === undefined ? undefined : parseData(raw) });
    this.eventName = undefined;
    this.dataLines = [];
    this.sawField = false;
  }
}

function parseData(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Parses a whole SSE body at once (tests, recorded fixtures). */
export function parseSse(body: string): SseEvent[] {
  const parser = new SseParser();
  return [...parser.push(body), ...parser.end()];
}
