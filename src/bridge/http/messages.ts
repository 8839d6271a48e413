// POST /v1/messages, top to bottom: read → route → call (prepare and send, failing over) → relay
// into a sink (SSE for a stream, a collecting sink for one message) → record the outcome.
// Each step is a module-level function of the shared BridgeState.
import type http from 'node:http';
import { BridgeError } from '../anthropic/errors.js';
import { type MessagesRequest, messagesRequestSchema } from '../anthropic/schema.js';
import { encodeSseEvents } from '../anthropic/sse.js';
import { detectTruncation } from '../context/ollama-truncation.js';
import type { RequestLogEntry } from '../log.js';
import { ResponseCache, replayEvents } from '../response-cache.js';
import type { Route } from '../router.js';
import { nameUpstream } from '../translate/errors.js';
import { assembleMessage, type StreamErrorEvent } from '../translate/response.js';
import { StreamTranslator } from '../translate/stream.js';
import { callUpstream, type UpstreamCall } from './call.js';
import { CollectingSink } from './collecting-sink.js';
import { abortWhenClientLeaves, letUpstreamBodyEnd, readAnthropicRequest, sendJson } from './io.js';
import type { PreparedRequest } from './prepare.js';
import { type RelaySource, relay } from './relay.js';
import { SSE_HEADERS, SseSink } from './sse-sink.js';
import { type BridgeState, requestBounds } from './state.js';

/** What the answer's relay needs to know about the request and its exchange with the client. */
export interface Exchange {
  res: http.ServerResponse;
  log: RequestLogEntry;
  /** performance.now() when the request arrived. */
  started: number;
  /** Aborts the upstream request: the client went away, or the bridge ends the request. */
  controller: AbortController;
  stream: boolean;
  requestModel: string;
  stopSequences: string[] | undefined;
  /** The response-cache key, when the answer may be cached. */
  cacheKey: string | undefined;
}

/** The route for the model a request names, or for its `X-Model-Override` header. */
export function routeFor(
  state: Pick<BridgeState, 'router'>,
  headers: http.IncomingHttpHeaders,
  model: string,
): Route {
  const override = headers['x-model-override'];
  return state.router.resolve(model, typeof override === 'string' && override ? override : undefined);
}

export async function handleMessages(
  state: BridgeState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: RequestLogEntry,
  started: number,
): Promise<void> {
  // Two steps so that the request (parsed, converted, serialized: several times its size on the
  // heap) is garbage once the upstream has it: an answer under way holds only its call and
  // exchange, and 200 open streams stay small (issue 7's memory target).
  const opened = await openCall(state, req, res, log, started);
  if (!opened) return;
  try {
    await answer(state, opened.call, opened.exchange);
  } finally {
    res.off('close', opened.onClose);
  }
}

/**
 * Reads and validates the request, routes it and calls the upstream. Undefined when the request
 * was already answered (cache hit) or the client went away.
 */
async function openCall(
  state: BridgeState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: RequestLogEntry,
  started: number,
): Promise<{ call: UpstreamCall; exchange: Exchange; onClose: () => void } | undefined> {
  const request = await readAnthropicRequest(req, messagesRequestSchema, requestBounds(state));
  log.modelAsked = request.model;
  log.stream = request.stream === true;
  const route = routeFor(state, req.headers, request.model);

  const { controller, onClose } = abortWhenClientLeaves(res, state.shutdown);
  const exchange: Exchange = {
    res,
    log,
    started,
    controller,
    stream: request.stream === true,
    requestModel: request.model,
    stopSequences: request.stop_sequences,
    cacheKey: undefined,
  };
  let call: UpstreamCall | undefined;
  try {
    call = await callUpstream(state, request, route, {
      signal: controller.signal,
      log,
      beforeSend: (prepared) => answerFromCache(state, request, prepared, exchange),
    });
  } finally {
    if (!call) res.off('close', onClose);
  }
  return call && { call, exchange, onClose };
}

/**
 * Sets the exchange's cache key when the response cache is on and the request cacheable, and
 * answers a hit at once (true). Streaming and non-streaming requests share entries.
 */
export function answerFromCache(
  state: Pick<BridgeState, 'responseCache' | 'newId'>,
  request: MessagesRequest,
  prepared: PreparedRequest,
  exchange: Exchange,
): boolean {
  const cache = state.responseCache;
  if (!cache || exchange.cacheKey !== undefined || !ResponseCache.cacheable(request)) return false;
  const { stream: _stream, stream_options: _options, ...identity } = prepared.converted.request;
  exchange.cacheKey = ResponseCache.keyFor(prepared.model, JSON.stringify(identity));
  const hit = cache.get(exchange.cacheKey);
  if (!hit) return false;
  const { res, log } = exchange;
  const events = replayEvents(hit.events, state.newId('msg_'), request.model);
  const headers = {
    'x-dsb-cache': 'hit',
    'x-dsb-overhead-ms': (performance.now() - exchange.started).toFixed(2),
  };
  if (request.stream) {
    res.writeHead(200, {
      'content-type': SSE_HEADERS['content-type'],
      'cache-control': 'no-cache',
      ...headers,
    });
    res.end(encodeSseEvents(events));
  } else {
    sendJson(res, 200, assembleMessage(events), headers);
  }
  log.status = 200;
  log.warnings = ['served from the response cache'];
  return true;
}

/** The translator for one answer: ids, names and signatures from the call and the state. */
export function translatorFor(
  state: Pick<BridgeState, 'newId' | 'signThinking' | 'limits'>,
  call: UpstreamCall,
  exchange: Pick<Exchange, 'requestModel' | 'stopSequences'>,
): StreamTranslator {
  return new StreamTranslator({
    messageId: state.newId('msg_'),
    model: exchange.requestModel,
    inputTokens: call.promptTokens,
    names: call.names,
    stopSequences: exchange.stopSequences,
    signThinking: state.signThinking,
    newToolId: () => state.newId('toolu_'),
    salvage:
      call.runtime.profile().salvageToolCalls && call.toolNames ? { toolNames: call.toolNames } : undefined,
    limits: state.limits,
  });
}

/** Relays the upstream's answer to the client, as a stream or as one message. */
async function answer(state: BridgeState, call: UpstreamCall, exchange: Exchange): Promise<void> {
  const { log } = exchange;
  // The upstream's time to answer (prefill) is not the bridge's: overhead ends when the request went out.
  const overheadMs = call.sentAt - exchange.started;
  log.overheadMs = overheadMs;
  const headers: Record<string, string> = {
    'x-dsb-overhead-ms': overheadMs.toFixed(2),
    'x-dsb-token-count': call.countMethod,
  };
  if (call.warnings.length)
    headers['x-dsb-warnings'] = encodeURIComponent(call.warnings.join('; ')).slice(0, 2000);
  const translator = translatorFor(state, call, exchange);
  const source: RelaySource = {
    body: call.response.body,
    isSse: String(call.response.headers['content-type'] ?? '').includes('text/event-stream'),
    url: call.upstream.url,
    idleTimeoutMs: state.server.idleTimeoutMs,
    signal: exchange.controller.signal,
    limits: state.limits,
    // A non-streaming answer is held in memory until it is complete: its bytes are bounded.
    maxBytes: exchange.stream ? undefined : state.limits.maxResponseBytes,
  };
  try {
    if (exchange.stream) await answerStream(state, call, exchange, translator, source, headers);
    else await answerMessage(state, call, exchange, translator, source, headers);
  } finally {
    call.release();
    if (call.warnings.length) log.warnings = call.warnings;
  }
}

/** Non-streaming: one message, assembled from the same events a stream would carry. */
async function answerMessage(
  state: BridgeState,
  call: UpstreamCall,
  exchange: Exchange,
  translator: StreamTranslator,
  source: RelaySource,
  headers: Record<string, string>,
): Promise<void> {
  const { log } = exchange;
  const sink = new CollectingSink();
  let end: Awaited<ReturnType<typeof relay>>;
  try {
    end = await relay(source, translator, sink);
  } finally {
    settleUpstream(call, translator, exchange.controller);
  }
  if (end.kind === 'aborted') {
    log.error ??= 'client disconnected';
    return;
  }
  if (end.kind === 'failed') {
    // Before anything reached the client: the error is the answer (named, redacted by the router).
    if (end.internal) state.logger.warn('internal error', { path: log.path, error: end.internal.stack });
    throw end.error;
  }
  recordOutcome(state, call, translator, log);
  let message: ReturnType<CollectingSink['message']>;
  try {
    message = sink.message();
  } catch (err) {
    const failure = (err as Partial<StreamErrorEvent>).failure;
    throw new BridgeError(
      502,
      'api_error',
      nameUpstream(failure?.message ?? (err as Error).message, call.upstream.url),
    );
  }
  if (exchange.cacheKey && state.responseCache) state.responseCache.set(exchange.cacheKey, sink.events);
  log.ttftMs = performance.now() - exchange.started;
  sendJson(exchange.res, 200, message, headers);
  log.status = 200;
}

/** Streaming: from the headers on, errors go out as an `error` event (design.md §4.4). */
async function answerStream(
  state: BridgeState,
  call: UpstreamCall,
  exchange: Exchange,
  translator: StreamTranslator,
  source: RelaySource,
  headers: Record<string, string>,
): Promise<void> {
  const { log, res } = exchange;
  const sink = new SseSink(res, {
    errorMessage: (message) => state.redact(nameUpstream(message, call.upstream.url)),
    // The status line said 200: the log line says how the stream really ended.
    onError: (message) => {
      log.error = message;
    },
    openStreams: () => state.metrics.openStreams,
    coalesce: state.coalesce,
    pingIntervalMs: state.server.pingIntervalMs,
    ping: () => translator.ping(),
    collect: exchange.cacheKey !== undefined,
  });
  sink.open(headers);
  log.status = 200;
  state.metrics.streamOpened();
  // Shutdown (the upstream request is aborted by onCancel): the bridge's own error, not the
  // upstream's, so it bypasses the sink's naming.
  state.shutdown.get(res)?.onEndStream((message) => {
    log.error = message;
    sink.writeRaw(translator.fail({ type: 'overloaded_error', message }));
  });
  try {
    const end = await relay(source, translator, sink);
    if (end.kind === 'failed' && end.internal)
      state.logger.warn('internal error', { path: log.path, error: end.internal.stack });
  } finally {
    sink.stopPings();
    state.metrics.streamClosed();
    settleUpstream(call, translator, exchange.controller);
    sink.end();
    recordOutcome(state, call, translator, log);
    if (sink.collected && exchange.cacheKey && state.responseCache && translator.result?.stopReason)
      state.responseCache.set(exchange.cacheKey, sink.collected);
    if (sink.firstTokenAt !== undefined) {
      log.ttftMs = sink.firstTokenAt - exchange.started;
      const genSeconds = (performance.now() - sink.firstTokenAt) / 1000;
      if (log.outputTokens && genSeconds > 0) log.tokensPerSecond = log.outputTokens / genSeconds;
    }
    if (exchange.controller.signal.aborted && !translator.isDone) log.error = 'client disconnected';
  }
}

/**
 * Frees the upstream: an answer that finished is let end by itself (its connection goes back to
 * the pool); an unfinished or failed one is aborted, since the upstream may still be generating for
 * nobody (this frees the GPU slot).
 */
export function settleUpstream(
  call: UpstreamCall,
  translator: StreamTranslator,
  controller: AbortController,
): void {
  if (!translator.isDone || !translator.result?.stopReason) controller.abort();
  else letUpstreamBodyEnd(call.response.body);
}

/**
 * What the answer taught the bridge: token counts for the log, the reasoning to replay on the next
 * tool-call turn, and whether the upstream silently truncated the prompt (Ollama).
 */
export function recordOutcome(
  state: Pick<BridgeState, 'reasoningCache' | 'logger'>,
  call: Pick<
    UpstreamCall,
    'promptTokens' | 'countMethod' | 'contextSize' | 'runtime' | 'upstream' | 'warnings' | 'anchor'
  >,
  translator: StreamTranslator,
  log: RequestLogEntry,
): void {
  const outcome = translator.result;
  if (!outcome) return;
  log.outputTokens = outcome.usage.output_tokens;
  log.inputTokens = outcome.usage.input_tokens + (outcome.usage.cache_read_input_tokens ?? 0);
  // The prompt-cache share, when the upstream reported usage (log line and /metrics).
  if (outcome.upstreamPromptTokens !== undefined)
    log.cachedTokens = outcome.usage.cache_read_input_tokens ?? 0;
  call.warnings.push(...outcome.warnings);
  // The server's prompt_tokens anchors the next turn's count (context/anchor.ts).
  const anchorWarning = call.runtime.settleCount(call.anchor, outcome.upstreamPromptTokens);
  if (anchorWarning) state.logger.warn(anchorWarning, { upstream: call.upstream.url });
  if (outcome.thinking && outcome.toolUseIds.length > 0)
    state.reasoningCache.remember(outcome.toolUseIds, outcome.thinking);
  const truncation = detectTruncation({
    ourCount: { tokens: call.promptTokens, method: call.countMethod },
    upstreamPromptTokens: outcome.upstreamPromptTokens,
    contextSize: call.contextSize,
    kind: call.runtime.kind(),
  });
  if (truncation.truncated) {
    call.runtime.truncationWarning = truncation.message;
    state.logger.warn(truncation.message ?? 'upstream truncated the prompt', { upstream: call.upstream.url });
  }
}
