// The bridge's HTTP side (design.md §4.1, §4.4, §4.8): node:http, routes, body limits,
// back-pressure, client disconnects, pings. Translation itself is pure and lives in translate/.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { formatZodIssues } from '../config/load.js';
import type { DsbConfig } from '../config/schema.js';
import { isLoopbackHost } from '../config/schema.js';
import { BridgeError, errorBody, errorTypeForStatus, promptTooLongError } from './anthropic/errors.js';
import {
  countTokensRequestSchema,
  type MessagesRequest,
  messagesRequestSchema,
  type StreamEvent,
} from './anthropic/schema.js';
import { encodeSseEvent, encodeSseEvents } from './anthropic/sse.js';
import { planOutputTokens } from './context/clamp.js';
import { detectTruncation } from './context/ollama-truncation.js';
import { completionBodyFrom, countingBody } from './context/tokens.js';
import { startDemoUpstream } from './demo-upstream.js';
import { type BridgeLogger, createLogger, type RequestLogEntry } from './log.js';
import { BridgeMetrics } from './metrics.js';
import { UpstreamSseDecoder } from './openai/sse-decoder.js';
import type { ChatCompletionRequest, ChatCompletionResponse } from './openai/types.js';
import { REASONING_PLACEHOLDER } from './profile.js';
import { ReasoningCache } from './reasoning-cache.js';
import { createRedactor, redactingLogger } from './redact.js';
import { ResponseCache, replayEvents } from './response-cache.js';
import { type Route, Router } from './router.js';
import { UpstreamRuntime } from './runtime.js';
import { ShutdownCoordinator, type ShutdownResult, shutdownRefusal } from './shutdown.js';
import {
  convertBodyError,
  convertConnectionError,
  convertUpstreamError,
  detectOutputTooLarge,
  isUpstreamBodyError,
  nameUpstream,
  noEventsMessage,
  parseCompletionBody,
} from './translate/errors.js';
import { convertMessagesRequest } from './translate/request.js';
import { assembleMessage, responseAsChunk, type StreamErrorEvent } from './translate/response.js';
import { StreamTranslator } from './translate/stream.js';
import { Upstream } from './upstream.js';
import { warmUp, warmUpTargets } from './warmup.js';

export const BRIDGE_VERSION = '0.1.0';

export interface BridgeOptions {
  config: DsbConfig;
  /** Run the built-in demo upstream in-process and send every request there. */
  demo?: boolean;
  logger?: BridgeLogger;
  /** Write coalescing under load (default: COALESCE_WINDOW_MS from COALESCE_FROM_STREAMS streams). */
  coalesce?: { windowMs: number; fromStreams: number };
  /** Warm up before listening (tokenizer, upstream facts, start-up warnings): `dsb serve` does. */
  warmUp?: boolean;
}

export interface RunningBridge {
  url: string;
  port: number;
  host: string;
  /** The upstream URLs in use (the demo upstream's when `demo`). */
  upstreams: string[];
  /** Requests being answered right now. */
  readonly activeRequests: number;
  /**
   * Stops accepting, gives the requests in flight `graceMs` (default 0) to finish, ends the rest
   * with an `error` event or a 503, and frees everything. Called again while it waits, it ends the
   * requests at once.
   */
  close(graceMs?: number): Promise<ShutdownResult>;
}

const CORS_AND_JSON = { 'content-type': 'application/json' };

class BodyTooLargeError extends Error {}

/** An error on a request whose body has been read (a reset): the response side handles it. */
function ignoreLateError(): void {}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLargeError());
      return;
    }
    // Decoded as it arrives: each network chunk is garbage at once, and nothing of the body is
    // left in this closure, which lives as long as the request object (the whole answer).
    let decoder: StringDecoder | undefined = new StringDecoder('utf8');
    let text = '';
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        req.removeAllListeners('data');
        decoder = undefined;
        text = '';
        req.resume();
        return;
      }
      if (decoder) text += decoder.write(chunk);
    };
    const onError = (err: Error) => reject(err);
    req.on('data', onData);
    req.once('end', () => {
      req.off('data', onData);
      // The error listener would hold this promise, and so the body, for the whole answer.
      req.off('error', onError);
      req.on('error', ignoreLateError);
      const body = text + (decoder?.end() ?? '');
      decoder = undefined;
      text = '';
      resolve(body);
    });
    req.on('error', onError);
  });
}

/**
 * Resolves when a full response buffer has drained, or when the client went away: a client that
 * leaves while its socket is full never drains, and the writer must not wait forever.
 */
/**
 * After [DONE] the rest of the upstream body (its terminating chunk) is normally already in the
 * socket. Let it end by itself, which returns the connection to the pool, instead of destroying the
 * body mid-read: that built an AbortError with a stack trace per streamed request (visible in the
 * bench's CPU profile). A body that has not ended within a second is destroyed.
 */
function letUpstreamBodyEnd(body: import('node:stream').Readable): void {
  if (body.readableEnded || body.destroyed) return;
  const timer = setTimeout(() => body.destroy(), 1_000);
  timer.unref();
  body.once('close', () => clearTimeout(timer));
  body.on('error', () => {});
  body.resume();
}

function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...CORS_AND_JSON, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: http.ServerResponse, error: BridgeError): void {
  sendJson(res, error.status, error.toBody(), error.headers);
}

/** Constant-time token check: hashing first makes the comparison independent of the token's length. */
function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function clientToken(req: http.IncomingMessage): string | undefined {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '');
  return undefined;
}

const KNOWN_ROUTES = new Set([
  '/v1/messages',
  '/v1/messages/count_tokens',
  '/v1/chat/completions',
  '/v1/models',
  '/health',
  '/metrics',
  '/',
  '/api/hello',
]);

/**
 * With many streams open, a stream's writes to its client are spaced at least this far apart once
 * its first token is out, and what the upstream sends meanwhile goes out in one write. A fast
 * upstream sends a chunk per token, and a write (a syscall, and a read for the client) per chunk
 * was the bridge's largest cost at full load in the benchmark; this window cut its CPU per request
 * by about an eighth there. Tokens that arrive further apart (any real model: 10 ms and more)
 * are not held back at all; no token waits much longer than the window (a timer, so plus any
 * event-loop delay).
 */
const COALESCE_WINDOW_MS = 5;
/** Streams open at once from which writes are coalesced: one user's stream is never held back. */
const COALESCE_FROM_STREAMS = 8;

/** Upstream statuses worth trying another replica for (before the first byte only). */
const FAILOVER_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

interface PreparedRequest {
  runtime: UpstreamRuntime;
  model: string;
  body: string;
  converted: ReturnType<typeof convertMessagesRequest>;
  promptTokens: number;
  countMethod: string;
  contextSize: number | undefined;
  warnings: string[];
}

/** An upstream request under way, and the little its answer's relay needs from the request. */
interface UpstreamCall {
  upstream: Upstream;
  response: Awaited<ReturnType<Upstream['request']>>;
  controller: AbortController;
  /** Aborts the upstream request when the client goes away; removed when the answer is done. */
  onClose: () => void;
  stream: boolean;
  requestModel: string;
  stopSequences: string[] | undefined;
  runtime: UpstreamRuntime;
  promptTokens: number;
  countMethod: string;
  contextSize: number | undefined;
  names: ReturnType<typeof convertMessagesRequest>['names'];
  toolNames: string[] | undefined;
  warnings: string[];
  cacheKey: string | undefined;
}

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const { config } = options;
  const server = config.server;
  if (!isLoopbackHost(server.host) && !server.authToken) {
    throw new BridgeError(
      500,
      'api_error',
      `refusing to listen on ${server.host} without an auth token: set DSB_AUTH_TOKEN (or server.authToken) so that only your clients can use the upstream`,
    );
  }
  const demo = options.demo ? await startDemoUpstream({ host: '127.0.0.1', port: 0 }) : undefined;
  // The demo upstream behaves like llama-server (chat-template thinking switch, recorded chunk shapes).
  const upstreamConfigs = demo
    ? [{ url: demo.url, kind: 'llama.cpp' as const, name: 'demo' }]
    : config.upstreams;
  // Every key and token the bridge knows is kept out of its logs and its error messages (§4.8).
  const redact = createRedactor([server.authToken, ...config.upstreams.map((u) => u.apiKey)]);
  const logger = redactingLogger(options.logger ?? createLogger(server.logFormat), redact);
  const upstreams = upstreamConfigs.map((u) => new Upstream(u, server));
  const runtimes = new Map(upstreams.map((u) => [u, new UpstreamRuntime(u)]));
  const router = new Router(demo ? {} : config.models, upstreams);
  const reasoningCache = new ReasoningCache();
  const metrics = new BridgeMetrics();
  const coalesce = options.coalesce ?? { windowMs: COALESCE_WINDOW_MS, fromStreams: COALESCE_FROM_STREAMS };
  const responseCache = server.cache.enabled
    ? new ResponseCache({ maxEntries: server.cache.maxEntries, maxBytes: server.cache.maxBytes })
    : undefined;
  const signingKey = randomBytes(32);
  const signThinking = (thinking: string) =>
    `dsb1.${createHmac('sha256', signingKey).update(thinking).digest('base64url')}`;
  const newId = (prefix: string) => `${prefix}${randomBytes(12).toString('base64url')}`;
  const sockets = new Set<import('node:net').Socket>();
  const shutdown = new ShutdownCoordinator();
  let closed: Promise<ShutdownResult> | undefined;
  const loggedFallbacks = new Set<string>();
  // With replicas, check them in the background so a dead one is skipped before a request fails on it.
  const healthTimer =
    upstreams.length > 1
      ? setInterval(() => {
          for (const u of upstreams) {
            void u.getJson('/v1/models', 2_000).then((ok) => {
              if (ok === undefined) router.markFailure(u);
              else router.markSuccess(u);
            });
          }
        }, server.healthCheckIntervalMs)
      : undefined;
  healthTimer?.unref();

  /** Model, conversion, token count and max_tokens for one upstream; throws `prompt is too long`. */
  async function prepare(
    request: MessagesRequest,
    route: Route,
    upstream: Upstream,
    signal: AbortSignal,
    /** A max_tokens the upstream itself said is the most it accepts for this prompt. */
    outputLimit?: number,
  ): Promise<PreparedRequest> {
    const runtime = runtimes.get(upstream)!;
    const facts = await runtime.facts();
    const model = route.model ?? (await upstream.model()) ?? facts.model ?? request.model;
    if (route.source === 'default' && !loggedFallbacks.has(request.model)) {
      loggedFallbacks.add(request.model);
      logger.info(`model ${request.model} is not in the model map: using the default route`, { model });
    }
    const profile = runtime.profile();
    const warnings: string[] = [];
    let effective = request;
    const thinkingOn = request.thinking?.type === 'enabled' || request.thinking?.type === 'adaptive';
    const forced = request.tool_choice?.type === 'any' || request.tool_choice?.type === 'tool';
    if (thinkingOn && forced && profile.forcedToolChoice !== 'keep') {
      // DeepSeek in thinking mode rejects a forced tool_choice (design.md §4.6).
      if (profile.forcedToolChoice === 'disable-thinking') {
        effective = { ...request, thinking: { type: 'disabled' } };
        warnings.push('forced tool_choice: thinking turned off for this request');
      } else {
        effective = { ...request, tool_choice: { type: 'auto' } };
        warnings.push('forced tool_choice relaxed to auto (thinking mode)');
      }
    }
    let placeholders = 0;
    const converted = convertMessagesRequest(effective, {
      model,
      thinkingStyle: profile.thinkingStyle,
      reasoningFor: (ids) => {
        const hit = reasoningCache.recall(ids);
        if (hit !== undefined || profile.reasoningReplay === 'off') return hit;
        placeholders++;
        return REASONING_PLACEHOLDER;
      },
    });
    if (placeholders > 0) {
      warnings.push(`reasoning of ${placeholders} tool-call turn(s) not in the cache: placeholder sent`);
      logger.warn('reasoning cache miss: placeholder reasoning_content sent', {
        turns: placeholders,
        upstream: upstream.url,
      });
    }
    const countingJson = JSON.stringify(countingBody(converted.request));
    const count = await runtime.count(converted.request, signal, countingJson);
    const outputCap = upstream.config.maxOutputTokens ?? facts.outputCap;
    const plan = planOutputTokens({
      requested: request.max_tokens,
      promptTokens: count.tokens,
      method: count.method,
      contextSize: facts.contextSize,
      outputCap,
    });
    if (!plan.ok) throw promptTooLongError(plan.promptTokens, plan.maximum);
    converted.request.max_tokens =
      outputLimit !== undefined ? Math.min(plan.maxTokens, outputLimit) : plan.maxTokens;
    if (plan.clamped) warnings.push(`max_tokens ${request.max_tokens} → ${plan.maxTokens}`);
    return {
      runtime,
      model,
      body: completionBodyFrom(countingJson, converted.request),
      converted,
      promptTokens: count.tokens,
      countMethod: count.method,
      contextSize: facts.contextSize,
      warnings: [...warnings, ...converted.warnings],
    };
  }

  /** The body of an Anthropic API request, parsed and validated; a 400 in Anthropic's shape if not. */
  async function readAnthropicRequest<T>(req: http.IncomingMessage, schema: z.ZodType<T>): Promise<T> {
    const raw = await readBody(req, server.bodyLimitBytes);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new BridgeError(
        400,
        'invalid_request_error',
        `request body is not valid JSON: ${(err as Error).message}`,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new BridgeError(
        400,
        'invalid_request_error',
        `invalid request: ${formatZodIssues(parsed.error).replace(/\n/g, '; ')}`,
      );
    }
    return parsed.data;
  }

  /** The route for the model a request names, or for its `X-Model-Override` header. */
  function routeFor(req: http.IncomingMessage, model: string): Route {
    const override = req.headers['x-model-override'];
    return router.resolve(model, typeof override === 'string' && override ? override : undefined);
  }

  async function handleMessages(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    log: RequestLogEntry,
    started: number,
  ): Promise<void> {
    // Two steps so that the request (parsed, converted, serialized: several times its size on the
    // heap) is garbage once the upstream has it: a stream holds only what `relayAnswer` needs, and
    // 200 open streams stay small (issue 7's memory target).
    const call = await openUpstreamCall(req, res, log, started);
    if (call) await relayAnswer(call, res, log, started);
  }

  /**
   * Reads and validates the request, picks an upstream (failing over before the first byte),
   * counts, clamps and sends it. Undefined when the request was already answered (cache hit) or
   * the client went away.
   */
  async function openUpstreamCall(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    log: RequestLogEntry,
    started: number,
  ): Promise<UpstreamCall | undefined> {
    const request = await readAnthropicRequest(req, messagesRequestSchema);
    log.modelAsked = request.model;
    log.stream = request.stream === true;
    const route = routeFor(req, request.model);

    const controller = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) controller.abort();
    };
    res.on('close', onClose);
    shutdown.get(res)?.onCancel(() => controller.abort());

    // Choose an upstream and send; on a connection failure or a retryable status, try the next
    // replica of the route. Nothing has reached the client yet, so failover is invisible to it.
    const tried = new Set<Upstream>();
    let lastError: BridgeError | undefined;
    let cacheKey: string | undefined;
    let outputLimit: number | undefined;
    const warningsCarry: string[] = [];
    let chosen:
      | { upstream: Upstream; prepared: PreparedRequest; response: Awaited<ReturnType<Upstream['request']>> }
      | undefined;
    try {
      while (!chosen) {
        const upstream = router.pick(route, tried);
        if (!upstream) {
          throw (
            lastError ?? new BridgeError(503, 'overloaded_error', 'no upstream is configured for this model')
          );
        }
        tried.add(upstream);
        log.upstream = upstream.url;
        const prepared = await prepare(request, route, upstream, controller.signal, outputLimit);
        log.modelSent = prepared.model;
        log.inputTokens = prepared.promptTokens;
        if (responseCache && cacheKey === undefined && ResponseCache.cacheable(request)) {
          // Streaming and non-streaming requests share entries: the answer is the same.
          const { stream: _stream, stream_options: _options, ...identity } = prepared.converted.request;
          cacheKey = ResponseCache.keyFor(prepared.model, JSON.stringify(identity));
          const hit = responseCache.get(cacheKey);
          if (hit) {
            res.off('close', onClose);
            const events = replayEvents(hit.events, newId('msg_'), request.model);
            const headers = {
              'x-dsb-cache': 'hit',
              'x-dsb-overhead-ms': (performance.now() - started).toFixed(2),
            };
            if (request.stream) {
              res.writeHead(200, {
                'content-type': 'text/event-stream; charset=utf-8',
                'cache-control': 'no-cache',
                ...headers,
              });
              res.end(encodeSseEvents(events));
            } else {
              sendJson(res, 200, assembleMessage(events), headers);
            }
            log.status = 200;
            log.warnings = ['served from the response cache'];
            return;
          }
        }
        const errorContext = {
          url: upstream.url,
          model: prepared.model,
          promptTokens: prepared.promptTokens,
          contextSize: prepared.contextSize,
        };
        upstream.outstanding++;
        let response: Awaited<ReturnType<Upstream['request']>>;
        try {
          response = await upstream.request('POST', '/v1/chat/completions', prepared.body, {
            signal: controller.signal,
            accept: request.stream ? 'text/event-stream' : 'application/json',
          });
        } catch (err) {
          upstream.outstanding--;
          if (controller.signal.aborted) return;
          router.markFailure(upstream);
          lastError = convertConnectionError(err, errorContext);
          continue;
        }
        if (response.status < 200 || response.status >= 300) {
          upstream.outstanding--;
          const text = await response.body.text().catch(() => '');
          const tooLarge =
            response.status === 400 && outputLimit === undefined ? detectOutputTooLarge(text) : undefined;
          if (tooLarge) {
            // The prompt fits but max_tokens does not (our count was low): ask again, once, with what
            // the upstream says is left. Nothing has reached the client yet.
            outputLimit = Math.max(1, tooLarge.contextSize - tooLarge.inputTokens - 16);
            prepared.runtime.discovery.invalidate();
            tried.delete(upstream);
            warningsCarry.push(
              `upstream refused max_tokens ${prepared.converted.request.max_tokens}; retried with ${outputLimit}`,
            );
            continue;
          }
          const error = convertUpstreamError(response.status, text, response.headers, errorContext);
          if (error.message.startsWith('prompt is too long')) {
            // The server's context may have changed (restarted with another -c): look again next time.
            prepared.runtime.discovery.invalidate();
            throw error;
          }
          if (FAILOVER_STATUSES.has(response.status)) {
            router.markFailure(upstream);
            lastError = error;
            continue;
          }
          throw error;
        }
        router.markSuccess(upstream);
        chosen = { upstream, prepared, response };
      }
    } catch (err) {
      res.off('close', onClose);
      throw err;
    }

    const { upstream, prepared, response } = chosen;
    const tools = prepared.converted.request.tools;
    return {
      upstream,
      response,
      controller,
      onClose,
      stream: request.stream === true,
      requestModel: request.model,
      stopSequences: request.stop_sequences,
      runtime: prepared.runtime,
      promptTokens: prepared.promptTokens,
      countMethod: prepared.countMethod,
      contextSize: prepared.contextSize,
      names: prepared.converted.names,
      toolNames: tools ? tools.map((t) => t.function.name) : undefined,
      warnings: [...warningsCarry, ...prepared.warnings],
      cacheKey,
    };
  }

  /** Streams (or assembles) the upstream's answer for Claude Code. */
  async function relayAnswer(
    call: UpstreamCall,
    res: http.ServerResponse,
    log: RequestLogEntry,
    started: number,
  ): Promise<void> {
    const { upstream, response: upstreamRes, controller, onClose, cacheKey } = call;
    const warnings = call.warnings;
    const overheadMs = performance.now() - started;
    log.overheadMs = overheadMs;
    const extraHeaders: Record<string, string> = {
      'x-dsb-overhead-ms': overheadMs.toFixed(2),
      'x-dsb-token-count': call.countMethod,
    };
    if (warnings.length)
      extraHeaders['x-dsb-warnings'] = encodeURIComponent(warnings.join('; ')).slice(0, 2000);
    const translator = new StreamTranslator({
      messageId: newId('msg_'),
      model: call.requestModel,
      inputTokens: call.promptTokens,
      names: call.names,
      stopSequences: call.stopSequences,
      signThinking,
      newToolId: () => newId('toolu_'),
      salvage:
        call.runtime.profile().salvageToolCalls && call.toolNames ? { toolNames: call.toolNames } : undefined,
    });
    const contentType = String(upstreamRes.headers['content-type'] ?? '');
    const isSse = contentType.includes('text/event-stream');

    const finish = () => {
      const outcome = translator.result;
      if (!outcome) return;
      log.outputTokens = outcome.usage.output_tokens;
      log.inputTokens = outcome.usage.input_tokens + (outcome.usage.cache_read_input_tokens ?? 0);
      warnings.push(...outcome.warnings);
      if (outcome.thinking && outcome.toolUseIds.length > 0)
        reasoningCache.remember(outcome.toolUseIds, outcome.thinking);
      const truncation = detectTruncation({
        ourCount: {
          tokens: call.promptTokens,
          method: call.countMethod as 'upstream' | 'local' | 'estimate',
        },
        upstreamPromptTokens: outcome.upstreamPromptTokens,
        contextSize: call.contextSize,
        kind: call.runtime.kind(),
      });
      if (truncation.truncated) {
        call.runtime.truncationWarning = truncation.message;
        logger.warn(truncation.message ?? 'upstream truncated the prompt', { upstream: upstream.url });
      }
    };

    try {
      if (!call.stream) {
        // Non-streaming: one JSON document (or, from servers that stream anyway, SSE to fold).
        let events: StreamEvent[];
        try {
          if (isSse) {
            events = translator.start();
            const decoder = new UpstreamSseDecoder();
            let sawEvent = false;
            let head: Uint8Array | undefined;
            // Not destroyed when the loop leaves after [DONE]: see letUpstreamBodyEnd.
            for await (const chunk of upstreamRes.body.iterator({ destroyOnReturn: false })) {
              head ??= chunk as Uint8Array;
              for (const e of decoder.push(chunk as Buffer)) {
                sawEvent = true;
                events.push(...translator.pushData(e.data));
              }
              if (translator.isDone) break;
            }
            letUpstreamBodyEnd(upstreamRes.body);
            for (const e of decoder.end()) {
              sawEvent = true;
              events.push(...translator.pushData(e.data));
            }
            if (!sawEvent)
              events.push(
                ...translator.fail({ type: 'api_error', message: noEventsMessage(upstream.url, head) }),
              );
            events.push(...translator.end());
          } else {
            const body = parseCompletionBody(await upstreamRes.body.text(), upstream.url);
            events = [
              ...translator.start(),
              ...translator.push(responseAsChunk(body as ChatCompletionResponse)),
              ...translator.end(),
            ];
          }
        } catch (err) {
          // The answer broke after its headers (reset, cut, stalled, garbage): free the upstream and
          // say which server failed, before anything reached the client. (Aborted already: the client
          // went away, or shutdown answers it; neither is the upstream's failure.)
          if (controller.signal.aborted) {
            log.error ??= 'client disconnected';
            return;
          }
          controller.abort();
          if (err instanceof BridgeError || !isUpstreamBodyError(err)) throw err;
          throw convertBodyError(err, { url: upstream.url, idleTimeoutMs: server.idleTimeoutMs });
        }
        finish();
        let message: ReturnType<typeof assembleMessage>;
        try {
          message = assembleMessage(events);
        } catch (err) {
          controller.abort();
          const failure = (err as Partial<StreamErrorEvent>).failure;
          throw new BridgeError(
            502,
            'api_error',
            nameUpstream(failure?.message ?? (err as Error).message, upstream.url),
          );
        }
        if (cacheKey && responseCache) responseCache.set(cacheKey, events);
        log.ttftMs = performance.now() - started;
        sendJson(res, 200, message, extraHeaders);
        log.status = 200;
        return;
      }

      // Streaming: from here on errors go out as an `error` event (design.md §4.4).
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        ...extraHeaders,
      });
      log.status = 200;
      let lastWrite = performance.now();
      let firstTokenAt: number | undefined;
      const collected: StreamEvent[] | undefined = cacheKey ? [] : undefined;
      metrics.streamOpened();
      // Shutdown (the upstream request is aborted by onCancel above): the bridge's own error, not
      // the upstream's, so it bypasses `write`'s naming.
      shutdown.get(res)?.onEndStream((message) => {
        log.error = message;
        if (!res.writableEnded && !res.destroyed)
          res.write(encodeSseEvents(translator.fail({ type: 'overloaded_error', message })));
      });
      const write = async (events: StreamEvent[]): Promise<void> => {
        if (events.length === 0 || res.destroyed) return;
        if (translator.isDone) {
          // The translator's failures speak of "upstream": name the server, and hide any key it echoed.
          const last = events[events.length - 1]!;
          if (last.type === 'error') {
            const message = redact(nameUpstream(last.error.message, upstream.url));
            events[events.length - 1] = { type: 'error', error: { type: last.error.type, message } };
            // The status line said 200: the log line says how the stream really ended.
            log.error = message;
          }
        }
        collected?.push(...events);
        let frame = '';
        for (const e of events) {
          frame += encodeSseEvent(e);
          if (firstTokenAt === undefined && e.type === 'content_block_delta')
            firstTokenAt = performance.now();
        }
        lastWrite = performance.now();
        if (!res.write(frame)) await drainedOrClosed(res);
      };
      const pingTimer = setInterval(
        () => {
          if (performance.now() - lastWrite >= server.pingIntervalMs) void write(translator.ping());
        },
        Math.max(50, Math.min(1000, server.pingIntervalMs / 2)),
      );
      try {
        await write(translator.start());
        try {
          if (isSse) {
            const decoder = new UpstreamSseDecoder();
            let sawEvent = false;
            let head: Uint8Array | undefined;
            // Not destroyed when the loop leaves after [DONE]: see letUpstreamBodyEnd.
            for await (const chunk of upstreamRes.body.iterator({ destroyOnReturn: false })) {
              head ??= chunk as Uint8Array;
              // Every event of one network read goes out in one write: under load the upstream's
              // chunks queue up in the socket, and a write (a syscall) per event was the bridge's
              // largest cost in the benchmark's profile.
              let batch: StreamEvent[] | undefined;
              for (const e of decoder.push(chunk as Buffer)) {
                sawEvent = true;
                const out = translator.pushData(e.data);
                if (out.length > 0) {
                  batch ??= [];
                  batch.push(...out);
                }
              }
              if (batch) await write(batch);
              if (translator.isDone) break;
              if (batch && firstTokenAt !== undefined && metrics.openStreams >= coalesce.fromStreams)
                await sleep(coalesce.windowMs);
            }
            for (const e of decoder.end()) {
              sawEvent = true;
              await write(translator.pushData(e.data));
            }
            // An HTML page or an empty body served as text/event-stream is a failure, not an empty answer.
            if (!sawEvent)
              await write(
                translator.fail({ type: 'api_error', message: noEventsMessage(upstream.url, head) }),
              );
            await write(translator.end());
          } else {
            // Some servers answer a stream request with one JSON document.
            const body = parseCompletionBody(await upstreamRes.body.text(), upstream.url);
            await write(translator.push(responseAsChunk(body as ChatCompletionResponse)));
            await write(translator.end());
          }
        } catch (err) {
          if (controller.signal.aborted) return;
          let message: string;
          if (err instanceof BridgeError) message = err.message;
          else if (isUpstreamBodyError(err))
            message = convertBodyError(err, {
              url: upstream.url,
              idleTimeoutMs: server.idleTimeoutMs,
            }).message;
          else {
            message = `internal bridge error: ${(err as Error).message}`;
            logger.warn('internal error', { path: log.path, error: (err as Error).stack });
          }
          await write(translator.fail({ type: 'api_error', message }));
        }
      } finally {
        clearInterval(pingTimer);
        metrics.streamClosed();
        // Unfinished or failed: the upstream may still be generating for nobody (frees the GPU slot).
        if (!translator.isDone || !translator.result?.stopReason) controller.abort();
        else letUpstreamBodyEnd(upstreamRes.body);
        res.end();
        finish();
        if (collected && cacheKey && responseCache && translator.result?.stopReason)
          responseCache.set(cacheKey, collected);
        if (firstTokenAt !== undefined) {
          log.ttftMs = firstTokenAt - started;
          const genSeconds = (performance.now() - firstTokenAt) / 1000;
          if (log.outputTokens && genSeconds > 0) log.tokensPerSecond = log.outputTokens / genSeconds;
        }
        if (controller.signal.aborted && !translator.isDone) log.error = 'client disconnected';
      }
    } finally {
      upstream.outstanding--;
      res.off('close', onClose);
      if (warnings.length) log.warnings = warnings;
    }
  }

  async function handleCountTokens(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const counted = await readAnthropicRequest(req, countTokensRequestSchema);
    const request = { ...counted, max_tokens: counted.max_tokens ?? 1 };
    const route = routeFor(req, request.model);
    const upstream = router.pick(route, new Set()) ?? upstreams[0]!;
    const runtime = runtimes.get(upstream)!;
    const facts = await runtime.facts();
    const model = route.model ?? (await upstream.model()) ?? facts.model ?? request.model;
    const converted = convertMessagesRequest(request, {
      model,
      thinkingStyle: runtime.profile().thinkingStyle,
      reasoningFor: (ids) => reasoningCache.recall(ids),
    });
    const count = await runtime.count(converted.request, AbortSignal.timeout(10_000));
    sendJson(res, 200, { input_tokens: count.tokens }, { 'x-dsb-token-count': count.method });
  }

  async function handleChatCompletions(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    log: RequestLogEntry,
  ): Promise<void> {
    const raw = await readBody(req, server.bodyLimitBytes);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new Error('expected a JSON object');
    } catch (err) {
      sendJson(res, 400, {
        error: {
          message: `request body is not valid JSON: ${(err as Error).message}`,
          type: 'invalid_request_error',
        },
      });
      log.status = 400;
      return;
    }
    const asked = typeof body.model === 'string' ? body.model : '';
    const route = router.resolve(asked);
    const upstream = router.pick(route, new Set()) ?? upstreams[0]!;
    log.upstream = upstream.url;
    log.modelAsked = asked || undefined;
    body.model = route.model ?? (await upstream.model()) ?? asked;
    log.modelSent = body.model as string;
    // Clamp max_tokens to what the upstream's context leaves (vLLM refuses prompt + max_tokens > max_model_len).
    const requested =
      typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : body.max_tokens;
    if (typeof requested === 'number' && Array.isArray(body.messages)) {
      const runtime = runtimes.get(upstream)!;
      const facts = await runtime.facts();
      const count = await runtime.count(body as unknown as ChatCompletionRequest);
      const plan = planOutputTokens({
        requested,
        promptTokens: count.tokens,
        method: count.method,
        contextSize: facts.contextSize,
        outputCap: upstream.config.maxOutputTokens ?? facts.outputCap,
      });
      if (plan.ok && plan.clamped) {
        if (typeof body.max_completion_tokens === 'number') body.max_completion_tokens = plan.maxTokens;
        else body.max_tokens = plan.maxTokens;
      }
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    shutdown.get(res)?.onCancel(() => controller.abort());
    upstream.outstanding++;
    try {
      const up = await upstream.request('POST', '/v1/chat/completions', JSON.stringify(body), {
        signal: controller.signal,
      });
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'retry-after']) {
        const v = up.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      log.status = up.status;
      if (up.status >= 400) {
        // An error body is small and may echo the bridge's upstream key: redact it, never pass it on.
        const text = redact(await up.body.text());
        log.error = text.slice(0, 500);
        headers['content-length'] = String(Buffer.byteLength(text));
        res.writeHead(up.status, headers);
        res.end(text);
        return;
      }
      res.writeHead(up.status, headers);
      for await (const chunk of up.body) {
        if (!res.write(chunk) && !res.destroyed) await drainedOrClosed(res);
        if (res.destroyed) break;
      }
      res.end();
    } catch (err) {
      if (controller.signal.aborted) return;
      if (!res.headersSent) {
        const e = convertConnectionError(err, { url: upstream.url });
        sendJson(res, e.status, { error: { message: e.message, type: 'upstream_error' } });
        log.status = e.status;
      } else res.destroy();
    } finally {
      upstream.outstanding--;
    }
  }

  async function handleHealth(res: http.ServerResponse): Promise<void> {
    const states = await Promise.all(
      upstreams.map(async (u) => {
        const runtime = runtimes.get(u)!;
        const [models, facts] = await Promise.all([u.getJson('/v1/models', 1_500), runtime.facts()]);
        const reachable = models !== undefined;
        if (reachable) router.markSuccess(u);
        return {
          name: u.name,
          url: u.url,
          kind: runtime.kind() ?? u.config.kind,
          reachable,
          healthy: reachable && router.isHealthy(u),
          model:
            u.config.model ??
            (models as { data?: Array<{ id?: string }> } | undefined)?.data?.[0]?.id ??
            null,
          contextSize: facts.contextSize ?? null,
          contextSource: facts.contextSource,
          outstanding: u.outstanding,
          warnings: runtime.truncationWarning ? [runtime.truncationWarning] : [],
        };
      }),
    );
    sendJson(res, 200, {
      status: states.some((s) => s.reachable) ? 'ok' : 'degraded',
      version: BRIDGE_VERSION,
      demo: Boolean(demo),
      upstreams: states,
      reasoningCache: {
        entries: reasoningCache.size,
        hits: reasoningCache.hits,
        misses: reasoningCache.misses,
      },
    });
  }

  async function handleModels(res: http.ServerResponse): Promise<void> {
    const ids = new Set<string>(Object.keys(config.models));
    for (const u of upstreams) {
      const id = await u.model();
      if (id) ids.add(id);
    }
    const created = new Date(0).toISOString();
    const data = [...ids].map((id) => ({ type: 'model', id, display_name: id, created_at: created }));
    sendJson(res, 200, {
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    });
  }

  const httpServer = http.createServer(async (req, res) => {
    const started = performance.now();
    // `new URL` throws on targets such as `http://[` that Node's parser lets through: answer 400, never crash.
    const url = URL.parse(req.url ?? '/', 'http://bridge');
    const path = url ? url.pathname.replace(/\/+$/, '') || '/' : '(malformed request target)';
    const method = req.method ?? 'GET';
    const log: RequestLogEntry = { method, path, status: 0, durationMs: 0 };
    const quiet = path === '/health' || path === '/' || path === '/api/hello' || path === '/metrics';
    const metricRoute = KNOWN_ROUTES.has(path) ? path : 'other';
    metrics.requestStarted(metricRoute);
    const release = shutdown.track(res);
    try {
      if (!url) {
        const target = JSON.stringify((req.url ?? '').slice(0, 200));
        throw new BridgeError(400, 'invalid_request_error', `malformed request target ${target}`);
      }
      if (shutdown.isClosing) throw shutdownRefusal();
      if ((path === '/' || path === '/api/hello') && (method === 'HEAD' || method === 'GET')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(method === 'HEAD' ? undefined : JSON.stringify({ status: 'ok', service: 'dsb' }));
        log.status = 200;
        return;
      }
      if (path === '/health' && method === 'GET') {
        await handleHealth(res);
        log.status = 200;
        return;
      }
      if (path === '/metrics' && method === 'GET') {
        for (const u of upstreams) metrics.setUpstreamHealth(u.name, router.isHealthy(u), u.outstanding);
        const rendered = await metrics.render();
        res.writeHead(200, { 'content-type': rendered.contentType });
        res.end(rendered.body);
        log.status = 200;
        return;
      }
      if (server.authToken && !tokenMatches(clientToken(req), server.authToken)) {
        throw new BridgeError(
          401,
          'authentication_error',
          'missing or wrong auth token: send it as x-api-key or Authorization: Bearer (ANTHROPIC_AUTH_TOKEN in Claude Code)',
          {
            'x-should-retry': 'false',
          },
        );
      }
      const route = `${method} ${path}`;
      switch (route) {
        case 'POST /v1/messages':
          await handleMessages(req, res, log, started);
          return;
        case 'POST /v1/messages/count_tokens':
          await handleCountTokens(req, res);
          log.status = 200;
          return;
        case 'POST /v1/chat/completions':
          await handleChatCompletions(req, res, log);
          return;
        case 'GET /v1/models':
          await handleModels(res);
          log.status = 200;
          return;
        default: {
          const known = [
            '/v1/messages',
            '/v1/messages/count_tokens',
            '/v1/chat/completions',
            '/v1/models',
          ].includes(path);
          throw known
            ? new BridgeError(405, 'invalid_request_error', `method ${method} is not allowed on ${path}`)
            : new BridgeError(
                404,
                'not_found_error',
                `no route ${method} ${path}: dsb serves POST /v1/messages, POST /v1/messages/count_tokens, POST /v1/chat/completions, GET /v1/models, GET /health`,
              );
        }
      }
    } catch (err) {
      let error: BridgeError;
      if (err instanceof BridgeError) error = err;
      else if (err instanceof BodyTooLargeError) {
        error = new BridgeError(
          413,
          'request_too_large',
          `request body is larger than the limit of ${server.bodyLimitBytes} bytes`,
        );
        res.setHeader('connection', 'close');
      } else {
        error = new BridgeError(500, 'api_error', `internal bridge error: ${(err as Error).message}`);
        logger.warn('internal error', { path, error: (err as Error).stack });
      }
      // Upstreams echo credentials in their error messages: none goes back to the client.
      const message = redact(error.message);
      if (message !== error.message)
        error = new BridgeError(error.status, error.type, message, error.headers);
      log.status = error.status;
      log.error = error.message;
      if (!res.headersSent) sendError(res, error);
      else if (!res.writableEnded) {
        res.write(encodeSseEvent({ type: 'error', error: { type: error.type, message: error.message } }));
        res.end();
      }
    } finally {
      release();
      log.durationMs = performance.now() - started;
      metrics.requestFinished({
        route: metricRoute,
        status: log.status,
        durationMs: log.durationMs,
        ttftMs: log.ttftMs,
        inputTokens: log.inputTokens,
        outputTokens: log.outputTokens,
        model: log.modelSent,
        upstream: log.upstream,
      });
      if (!quiet || log.status >= 400) logger.request(log);
    }
  });
  httpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Requests Node's parser rejects (bad request line or target, oversized headers): an error in the
  // Anthropic shape, then the connection closes.
  httpServer.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, reason, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'request headers are too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request headers did not arrive in time']
          : [400, 'Bad Request', `malformed HTTP request (${err.code ?? err.message})`];
    const body = JSON.stringify(errorBody(errorTypeForStatus(status), message));
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  // Long prefill: never let Node time a request out from our side (the upstream timeouts govern).
  httpServer.requestTimeout = 0;
  httpServer.headersTimeout = 60_000;
  httpServer.keepAliveTimeout = 65_000;

  // p16 hook: warm up (tokenizer, upstream facts, dead/localhost upstream warnings) before listening.
  if (options.warmUp)
    await warmUp(
      warmUpTargets(upstreams, (u) => runtimes.get(u as Upstream)!),
      logger,
    );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(server.port, server.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    host: address.address,
    upstreams: upstreams.map((u) => u.url),
    get activeRequests() {
      return shutdown.activeRequests;
    },
    close(graceMs = 0) {
      if (healthTimer) clearInterval(healthTimer);
      // A second call makes the coordinator end the requests at once; the cleanup runs once.
      const drained = shutdown.close(httpServer, sockets, graceMs);
      closed ??= drained.then(async (result) => {
        await Promise.all(upstreams.map((u) => u.close()));
        await demo?.close();
        return result;
      });
      return closed;
    },
  };
}

export { errorBody };
