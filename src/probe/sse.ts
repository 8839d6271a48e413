// The probe's reading of the Anthropic side's Server-Sent Events, kept raw on purpose: the probe must
// see what the SDK hides (a frame without an `event:` line, an `event:` without data, data that is
// not JSON, a frame cut at the end of the stream). The line parsing (CRLF, LF or CR line ends, `:`
// comments, one optional space after the colon, `data:` lines joined with `\n`, a size limit) is the
// bridge's own UpstreamSseDecoder: one SSE parser for both sides. Pure: no I/O, no clock.
import {
  SseLineTooLongError,
  UpstreamSseDecoder,
  type UpstreamSseEvent,
} from '../bridge/openai/sse-decoder.js';
import { DsbError } from '../errors.js';
import type { SseEvent } from './invariants.js';

export type { SseEvent } from './invariants.js';

/** Longest SSE line (or event) the probe reads before it stops: far above any real frame. */
export const MAX_SSE_LINE_BYTES = 16 * 1024 * 1024;

export class SseParser {
  private readonly decoder: UpstreamSseDecoder;

  constructor(private readonly maxLineBytes = MAX_SSE_LINE_BYTES) {
    this.decoder = new UpstreamSseDecoder(maxLineBytes, { keepEventsWithoutData: true });
  }

  /** Comment lines seen so far (servers send `: ping` keep-alives this way). */
  get comments(): number {
    return this.decoder.comments;
  }

  push(chunk: string): SseEvent[] {
    return this.read(() => this.decoder.push(chunk));
  }

  /**
   * Flushes the last frame. Unlike a browser, which drops a frame that no blank line terminated,
   * the probe returns it: a bridge that ends its stream mid-frame should be reported, not hidden.
   */
  end(): SseEvent[] {
    return this.read(() => this.decoder.end());
  }

  private read(decode: () => UpstreamSseEvent[]): SseEvent[] {
    try {
      return decode().map(toSseEvent);
    } catch (err) {
      if (!(err instanceof SseLineTooLongError)) throw err;
      // The decoder's message speaks of the bridge's upstream and its config; here the stream is the bridge's.
      throw new DsbError(
        'SSE_LINE_TOO_LONG',
        `the stream sent an SSE line (or event) longer than ${this.maxLineBytes} bytes: the probe stopped reading it`,
        { cause: err, details: { limit: this.maxLineBytes } },
      );
    }
  }
}

function toSseEvent(e: UpstreamSseEvent): SseEvent {
  return { event: e.event, data: e.noData ? undefined : parseData(e.data) };
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
