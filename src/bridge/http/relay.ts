// Step 4 of POST /v1/messages: the upstream's answer, decoded (SSE or one JSON document) and
// translated, into a sink. ONE loop for both modes: a streaming request gets an SSE sink that
// writes to the client as events come; a non-streaming one gets a collecting sink that assembles
// the message at the end. No socket here: the source is any async iterable of bytes.

import { BridgeError } from '../anthropic/errors.js';
import type { StreamEvent } from '../anthropic/schema.js';
import { type AnswerLimits, ByteBudget, readBoundedText } from '../limits.js';
import { UpstreamSseDecoder } from '../openai/sse-decoder.js';
import { noEventsMessage, parseCompletionBody } from '../translate/errors.js';
import { completionEvents } from '../translate/response.js';
import type { StreamTranslator } from '../translate/stream.js';
import { convertBodyError, isUpstreamBodyError } from '../upstream.js';

/** Where translated events go. */
export interface EventSink {
  /** Takes the events of one upstream read; resolves when more may be written (back-pressure). */
  write(events: StreamEvent[]): Promise<void> | void;
  /** After an upstream read that produced events: the place to hold back (write coalescing). */
  afterBatch?(): Promise<void> | undefined;
}

export interface RelaySource {
  /** The upstream's body. Not destroyed when the loop leaves after [DONE] (see letUpstreamBodyEnd). */
  body: AsyncIterable<Uint8Array> & { destroy?(err?: Error): unknown };
  /** Whether the upstream answered with an event stream (else one JSON document). */
  isSse: boolean;
  /** The upstream's URL, named in every failure. */
  url: string;
  /** server.idleTimeoutMs, named when the upstream stalls. */
  idleTimeoutMs: number;
  /** Aborted when the client went away or the bridge ends the request: the relay stops quietly. */
  signal: AbortSignal;
  /** Bounds on what the upstream may send (longest SSE line, largest JSON answer). */
  limits: Pick<AnswerLimits, 'maxSseLineBytes' | 'maxResponseBytes'>;
  /** Most bytes of an event stream read (a non-streaming answer is held until complete). */
  maxBytes?: number;
}

export type RelayEnd =
  /** The translator finished: with a stop reason, or with the `error` event of a broken answer. */
  | { kind: 'finished' }
  /** The upstream's answer broke (or the bridge failed): an `error` event went to the sink. */
  | { kind: 'failed'; error: BridgeError; internal?: Error }
  /** The signal was aborted: nothing more went to the sink. */
  | { kind: 'aborted' };

/** The bytes of an async iterable as it yields them (undici yields Buffers). */
function iterate(body: RelaySource['body']): AsyncIterable<Uint8Array> {
  const withOptions = body as { iterator?: (o: { destroyOnReturn: boolean }) => AsyncIterable<unknown> };
  // Not destroyed when the loop leaves after [DONE]: the body is let end by itself (io.ts).
  return (
    withOptions.iterator ? withOptions.iterator({ destroyOnReturn: false }) : body
  ) as AsyncIterable<Uint8Array>;
}

/** Relays one answer: start, every event, end (or the failure), into `sink`. */
export async function relay(
  source: RelaySource,
  translator: StreamTranslator,
  sink: EventSink,
): Promise<RelayEnd> {
  await sink.write(translator.start());
  try {
    if (source.isSse) await relayEventStream(source, translator, sink);
    else {
      // Some servers answer a stream request with one JSON document, and a non-streaming request
      // gets one: the same translator folds it, as the single chunk a stream would have carried.
      const body = parseCompletionBody(
        await readBoundedText(source.body, source.limits.maxResponseBytes),
        source.url,
      );
      await sink.write(completionEvents(translator, body));
    }
    return { kind: 'finished' };
  } catch (err) {
    // The answer broke after its headers (reset, cut, stalled, garbage). Aborted already: the client
    // went away, or shutdown answers it; neither is the upstream's failure.
    if (source.signal.aborted) return { kind: 'aborted' };
    const end = failureOf(err, source);
    await sink.write(translator.fail({ type: 'api_error', message: end.error.message }));
    return end;
  }
}

async function relayEventStream(
  source: RelaySource,
  translator: StreamTranslator,
  sink: EventSink,
): Promise<void> {
  const decoder = new UpstreamSseDecoder(source.limits.maxSseLineBytes);
  const budget =
    source.maxBytes === undefined
      ? undefined
      : new ByteBudget(source.maxBytes, 'a non-streaming answer', 'maxResponseBytes');
  let sawEvent = false;
  let head: Uint8Array | undefined;
  for await (const chunk of iterate(source.body)) {
    head ??= chunk;
    budget?.take(chunk.byteLength);
    // Every event of one network read goes out in one write: under load the upstream's chunks
    // queue up in the socket, and a write (a syscall) per event was the bridge's largest cost in
    // the benchmark's profile.
    let batch: StreamEvent[] | undefined;
    for (const e of decoder.push(chunk)) {
      sawEvent = true;
      const out = translator.pushData(e.data);
      if (out.length > 0) {
        batch ??= [];
        batch.push(...out);
      }
    }
    if (batch) await sink.write(batch);
    if (translator.isDone) break;
    if (batch) {
      const held = sink.afterBatch?.();
      if (held) await held;
    }
  }
  const tail: StreamEvent[] = [];
  for (const e of decoder.end()) {
    sawEvent = true;
    tail.push(...translator.pushData(e.data));
  }
  if (tail.length > 0) await sink.write(tail);
  // An HTML page or an empty body served as text/event-stream is a failure, not an empty answer.
  if (!sawEvent)
    await sink.write(translator.fail({ type: 'api_error', message: noEventsMessage(source.url, head) }));
  await sink.write(translator.end());
}

/** A failure while relaying, as the error to report: the upstream's (named), or the bridge's own. */
export function failureOf(
  err: unknown,
  source: Pick<RelaySource, 'url' | 'idleTimeoutMs'>,
): RelayEnd & { kind: 'failed' } {
  if (err instanceof BridgeError) return { kind: 'failed', error: err };
  if (isUpstreamBodyError(err))
    return {
      kind: 'failed',
      error: convertBodyError(err, { url: source.url, idleTimeoutMs: source.idleTimeoutMs }),
    };
  const internal = err instanceof Error ? err : new Error(String(err));
  return {
    kind: 'failed',
    error: new BridgeError(500, 'api_error', `internal bridge error: ${internal.message}`),
    internal,
  };
}
