// Step 3 of POST /v1/messages: pick an upstream of the route, prepare the request for it and send
// it; on a connection failure or a retryable status try the next replica, and when the upstream
// says max_tokens does not fit, ask it again once with what it says is left. Nothing has reached
// the client yet, so all of this is invisible to it. The upstream counts the request as
// outstanding from the send until the call's `release` (its lease).
import { BridgeError } from '../anthropic/errors.js';
import type { MessagesRequest } from '../anthropic/schema.js';
import { readBoundedText } from '../limits.js';
import type { RequestLogEntry } from '../log.js';
import type { Route } from '../router.js';
import type { UpstreamRuntime } from '../runtime.js';
import { convertUpstreamError, detectOutputTooLarge } from '../translate/errors.js';
import type { ToolNameMap } from '../translate/tools.js';
import { convertConnectionError, type Upstream, type UpstreamResponse } from '../upstream.js';
import { type PreparedRequest, prepare } from './prepare.js';
import type { BridgeState } from './state.js';

/** Upstream statuses worth trying another replica for (before the first byte only). */
export const FAILOVER_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * An upstream request under way, and the little its answer's relay needs from the request: the
 * request itself (parsed, converted, serialized: several times its size on the heap) is garbage
 * once the upstream has it, so 200 open streams stay small (issue 7's memory target).
 */
export interface UpstreamCall {
  upstream: Upstream;
  response: UpstreamResponse;
  /** Ends the upstream's count of this request (idempotent). */
  release: () => void;
  runtime: UpstreamRuntime;
  promptTokens: number;
  countMethod: PreparedRequest['countMethod'];
  contextSize: number | undefined;
  names: ToolNameMap;
  toolNames: string[] | undefined;
  warnings: string[];
  /** Settled with the server's prompt_tokens once it answers (context/anchor.ts). */
  anchor: PreparedRequest['anchor'];
  /** performance.now() when the request went upstream: the bridge's own time ends there. */
  sentAt: number;
}

export interface CallOptions {
  signal: AbortSignal;
  log: RequestLogEntry;
  /**
   * Runs once a request is prepared, before it is sent; true when it answered the client itself
   * (a response-cache hit): then nothing is sent and callUpstream returns undefined.
   */
  beforeSend?: (prepared: PreparedRequest) => boolean;
}

/** What one attempt at one upstream came to. */
type Attempt =
  | { kind: 'sent'; response: UpstreamResponse; release: () => void; sentAt: number }
  | { kind: 'aborted' }
  | { kind: 'next-upstream'; error: BridgeError }
  | { kind: 'smaller-output'; outputLimit: number };

/** Undefined when the client went away or `beforeSend` answered it. */
export async function callUpstream(
  state: BridgeState,
  request: MessagesRequest,
  route: Route,
  options: CallOptions,
): Promise<UpstreamCall | undefined> {
  const { log } = options;
  const tried = new Set<Upstream>();
  const warnings: string[] = [];
  let lastError: BridgeError | undefined;
  let outputLimit: number | undefined;
  for (;;) {
    const upstream = state.router.pick(route, tried);
    if (!upstream)
      throw lastError ?? new BridgeError(503, 'overloaded_error', 'no upstream is configured for this model');
    tried.add(upstream);
    log.upstream = upstream.url;
    const prepared = await prepare(state, request, route, upstream, options.signal, outputLimit);
    log.modelSent = prepared.model;
    log.inputTokens = prepared.promptTokens;
    if (options.beforeSend?.(prepared)) return undefined;
    const attempt = await attemptCall(state, upstream, prepared, request.stream === true, {
      signal: options.signal,
      mayRetrySmaller: outputLimit === undefined,
    });
    switch (attempt.kind) {
      case 'aborted':
        return undefined;
      case 'next-upstream':
        lastError = attempt.error;
        continue;
      case 'smaller-output':
        outputLimit = attempt.outputLimit;
        tried.delete(upstream);
        warnings.push(
          `upstream refused max_tokens ${prepared.converted.request.max_tokens}; retried with ${outputLimit}`,
        );
        continue;
      case 'sent': {
        const tools = prepared.converted.request.tools;
        return {
          upstream,
          response: attempt.response,
          release: attempt.release,
          runtime: prepared.runtime,
          promptTokens: prepared.promptTokens,
          countMethod: prepared.countMethod,
          contextSize: prepared.contextSize,
          names: prepared.converted.names,
          toolNames: tools ? tools.map((t) => t.function.name) : undefined,
          warnings: [...warnings, ...prepared.warnings],
          anchor: prepared.anchor,
          sentAt: attempt.sentAt,
        };
      }
    }
  }
}

/** Sends a prepared request to one upstream; throws the errors no other replica can fix. */
export async function attemptCall(
  state: Pick<BridgeState, 'router' | 'limits'>,
  upstream: Upstream,
  prepared: PreparedRequest,
  stream: boolean,
  options: { signal: AbortSignal; mayRetrySmaller: boolean },
): Promise<Attempt> {
  const errorContext = {
    url: upstream.url,
    model: prepared.model,
    promptTokens: prepared.promptTokens,
    contextSize: prepared.contextSize,
  };
  let sent: Awaited<ReturnType<Upstream['call']>>;
  const sentAt = performance.now();
  try {
    sent = await upstream.call(prepared.body, {
      signal: options.signal,
      accept: stream ? 'text/event-stream' : 'application/json',
    });
  } catch (err) {
    if (options.signal.aborted) return { kind: 'aborted' };
    state.router.markFailure(upstream);
    return { kind: 'next-upstream', error: convertConnectionError(err, errorContext) };
  }
  const { release, ...response } = sent;
  if (response.status >= 200 && response.status < 300) {
    state.router.markSuccess(upstream);
    return { kind: 'sent', response, release, sentAt };
  }
  release();
  const text = await readBoundedText(response.body, state.limits.maxResponseBytes).catch(() => '');
  const tooLarge =
    response.status === 400 && options.mayRetrySmaller ? detectOutputTooLarge(text) : undefined;
  if (tooLarge) {
    // The prompt fits but max_tokens does not (our count was low): ask again, once, with what the
    // upstream says is left.
    prepared.runtime.discovery.invalidate();
    return {
      kind: 'smaller-output',
      outputLimit: Math.max(1, tooLarge.contextSize - tooLarge.inputTokens - 16),
    };
  }
  const error = convertUpstreamError(response.status, text, response.headers, errorContext);
  if (error.code === 'PROMPT_TOO_LONG') {
    // The server's context may have changed (restarted with another -c): look again next time.
    prepared.runtime.discovery.invalidate();
    throw error;
  }
  if (FAILOVER_STATUSES.has(response.status)) {
    state.router.markFailure(upstream);
    return { kind: 'next-upstream', error };
  }
  throw error;
}
