// Drives a running bridge over HTTP the way Claude Code does: its headers, its request bodies,
// GET /health, count_tokens and /v1/messages with each SSE event's arrival time. Also asks the
// upstream for its context when /health does not say. Judging what comes back is elsewhere.
import { performance } from 'node:perf_hooks';
import { isRecord } from '../util/is-record.js';
import {
  contextFromModels,
  contextFromProps,
  errorMessageOf,
  type HealthInfo,
  parseJson,
  readHealthBody,
} from './bodies.js';
import type { OpenedResponse } from './http.js';
import { ProbeHttpClient } from './http.js';
import type { SseEvent } from './invariants.js';
import type { ProbeOptions } from './options.js';
import { CLAUDE_CODE_TOOLS, claudeCodeSystem, type Message, type MessagesRequestSpec } from './scenarios.js';
import { SseParser } from './sse.js';

type Obj = Record<string, unknown>;

export const ANTHROPIC_VERSION = '2023-06-01';
/** Betas of the kind Claude Code sends; the bridge must ignore what it does not know (design.md §4.4). */
export const ANTHROPIC_BETAS = [
  'claude-code-20250219',
  'interleaved-thinking-2025-05-14',
  'fine-grained-tool-streaming-2025-05-14',
  'context-management-2025-06-27',
].join(',');

/** One POST /v1/messages as the probe saw it: the answer and when each part of it arrived. */
export interface Exchange {
  status?: number;
  headers: Record<string, string>;
  events: SseEvent[];
  /** Arrival time of each event (the clock read when its chunk came in), parallel to `events`. */
  times: number[];
  json?: unknown;
  text: string;
  transportError?: string;
  /** The probe stopped reading on purpose (see BridgeClient.messages `limit`). */
  abandoned?: boolean;
  startMs: number;
  endMs: number;
}

export interface TokenCount {
  tokens?: number;
  /** The bridge's `x-dsb-token-count` header (exact / estimate). */
  kind?: string;
  error?: string;
}

export interface UpstreamContext {
  size?: number;
  source?: string;
}

export class BridgeClient {
  readonly http: ProbeHttpClient;
  readonly now: () => number;
  private healthPromise: Promise<HealthInfo> | undefined;
  private contextPromise: Promise<UpstreamContext> | undefined;

  constructor(readonly options: ProbeOptions) {
    this.http = new ProbeHttpClient(options.timeoutMs);
    this.now = options.now ?? (() => performance.now());
  }

  endpoint(path: string): string {
    return `${this.options.url.replace(/\/+$/, '')}${path}`;
  }

  headers(): Record<string, string> {
    const h: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
      'anthropic-beta': ANTHROPIC_BETAS,
      'user-agent': 'dsb-probe (claude-cli compatible)',
      'x-app': 'cli',
    };
    if (this.options.token) h.authorization = `Bearer ${this.options.token}`;
    return h;
  }

  health(): Promise<HealthInfo> {
    this.healthPromise ??= (async () => {
      try {
        const res = await this.http.open(this.endpoint('/health'), { headers: this.headers() });
        const text = await res.text();
        const body = parseJson(text) ?? text;
        return { status: res.status, body, ...readHealthBody(body) };
      } catch (err) {
        return { error: (err as Error).message, unhealthy: [] };
      }
    })();
    return this.healthPromise;
  }

  /**
   * The upstream's per-request context: GET /health `upstreams[0].contextSize` first; else asked of
   * the upstream itself (llama.cpp `/props` default_generation_settings.n_ctx, `/v1/models`
   * data[0].meta.n_ctx or vLLM's max_model_len). Undefined when nobody says.
   */
  context(): Promise<UpstreamContext> {
    this.contextPromise ??= this.discoverContext();
    return this.contextPromise;
  }

  private async discoverContext(): Promise<UpstreamContext> {
    const health = await this.health();
    if (health.contextSize) return { size: health.contextSize, source: 'bridge GET /health' };
    const base = (this.options.upstream?.url ?? health.upstreamUrl)?.replace(/\/+$/, '').replace(/\/v1$/, '');
    if (!base) return {};
    const headers: Record<string, string> = this.options.upstream?.apiKey
      ? { authorization: `Bearer ${this.options.upstream.apiKey}` }
      : {};
    const fromProps = contextFromProps(await this.getJson(`${base}/props`, headers));
    if (fromProps) return { size: fromProps, source: 'upstream GET /props' };
    const fromModels = contextFromModels(await this.getJson(`${base}/v1/models`, headers));
    if (fromModels) return { size: fromModels, source: 'upstream GET /v1/models' };
    return {};
  }

  /** GET `url` as JSON; undefined for anything but a 200 with a JSON body, or a failed request. */
  async getJson(url: string, headers: Record<string, string>): Promise<unknown> {
    try {
      const res = await this.http.open(url, { headers });
      const text = await res.text();
      return res.status === 200 ? parseJson(text) : undefined;
    } catch {
      return undefined;
    }
  }

  messagesBody(
    spec: Pick<MessagesRequestSpec, 'tools' | 'toolChoice' | 'thinking' | 'effort'>,
    messages: Message[],
    stream: boolean,
  ): Obj {
    return messagesRequestBody(this.options, spec, messages, stream);
  }

  /** POST /v1/messages/count_tokens with the parts of `body` the endpoint takes. */
  async countTokens(body: Obj): Promise<TokenCount> {
    const countBody: Obj = { model: body.model, messages: body.messages, system: body.system };
    if (body.tools) countBody.tools = body.tools;
    if (body.thinking) countBody.thinking = body.thinking;
    try {
      const res = await this.http.open(this.endpoint('/v1/messages/count_tokens?beta=true'), {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(countBody),
      });
      return readTokenCount(res.status, await res.text(), res.headers['x-dsb-token-count']);
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /**
   * POST /v1/messages?beta=true, recording each SSE event's arrival time. With `limit`, a stream is
   * abandoned after that many events or milliseconds (`ex.abandoned`): the overflow scenario only
   * needs to see that an oversized prompt was accepted, not wait for a long answer to it.
   */
  async messages(body: Obj, limit?: { maxEvents: number; maxMs: number }): Promise<Exchange> {
    const ex: Exchange = { headers: {}, events: [], times: [], text: '', startMs: this.now(), endMs: 0 };
    const abort = limit ? new AbortController() : undefined;
    const timer = limit ? setTimeout(() => abort?.abort(), limit.maxMs) : undefined;
    try {
      return await this.exchange(body, ex, limit?.maxEvents, abort);
    } finally {
      clearTimeout(timer);
    }
  }

  private async exchange(
    body: Obj,
    ex: Exchange,
    maxEvents: number | undefined,
    abort: AbortController | undefined,
  ): Promise<Exchange> {
    let res: OpenedResponse;
    try {
      res = await this.http.open(this.endpoint('/v1/messages?beta=true'), {
        method: 'POST',
        headers: { ...this.headers(), ...(body.stream ? { accept: 'text/event-stream' } : {}) },
        body: JSON.stringify(body),
        ...(abort ? { signal: abort.signal } : {}),
      });
    } catch (err) {
      if (abort?.signal.aborted) {
        ex.abandoned = true;
        ex.transportError = 'no response within the time allowed';
      } else ex.transportError = (err as Error).message;
      ex.endMs = this.now();
      return ex;
    }
    try {
      await readExchange(res, ex, { stream: Boolean(body.stream), now: this.now, maxEvents });
    } catch (err) {
      if (abort?.signal.aborted) ex.abandoned = true;
      else ex.transportError = (err as Error).message;
    }
    ex.endMs = this.now();
    return ex;
  }
}

/** The /v1/messages body Claude Code would send for `spec` and `messages`. */
export function messagesRequestBody(
  options: Pick<ProbeOptions, 'model' | 'maxTokens'>,
  spec: Pick<MessagesRequestSpec, 'tools' | 'toolChoice' | 'thinking' | 'effort'>,
  messages: Message[],
  stream: boolean,
): Obj {
  const body: Obj = {
    model: options.model,
    max_tokens: options.maxTokens,
    system: claudeCodeSystem(),
    messages,
    metadata: { user_id: 'dsb-probe' },
  };
  if (spec.tools === 'claude-code') body.tools = CLAUDE_CODE_TOOLS;
  if (spec.toolChoice) body.tool_choice = spec.toolChoice;
  if (spec.thinking) body.thinking = spec.thinking;
  if (spec.effort) body.output_config = { effort: spec.effort };
  body.stream = stream;
  return body;
}

/** Judges a count_tokens answer: an integer `input_tokens` ≥ 0 in a 200, else an error line. */
export function readTokenCount(status: number, text: string, kind: string | undefined): TokenCount {
  const json = parseJson(text);
  if (status !== 200) return { error: `HTTP ${status}: ${errorMessageOf(json, text)}` };
  if (
    !isRecord(json) ||
    typeof json.input_tokens !== 'number' ||
    !Number.isInteger(json.input_tokens) ||
    json.input_tokens < 0
  ) {
    return { error: `the answer has no integer input_tokens: ${text.slice(0, 120)}` };
  }
  return { tokens: json.input_tokens, ...(kind ? { kind } : {}) };
}

/**
 * Reads an opened /v1/messages answer into `ex`: a 200 stream (asked for, or labelled SSE) as events
 * stamped with `now()` at their chunk's arrival, stopping after `maxEvents` (`ex.abandoned`);
 * anything else as text and JSON. Throws what reading the body throws; the caller records it.
 */
export async function readExchange(
  res: OpenedResponse,
  ex: Exchange,
  opts: { stream: boolean; now: () => number; maxEvents?: number | undefined },
): Promise<void> {
  ex.status = res.status;
  ex.headers = res.headers;
  const isSse = (res.headers['content-type'] ?? '').includes('text/event-stream');
  if (res.status !== 200 || !(opts.stream || isSse)) {
    ex.text = await res.text();
    ex.json = parseJson(ex.text);
    return;
  }
  const parser = new SseParser();
  const record = (events: SseEvent[], at: number) => {
    for (const e of events) {
      ex.events.push(e);
      ex.times.push(at);
    }
  };
  for await (const chunk of res.chunks()) {
    const at = opts.now();
    record(parser.push(chunk), at);
    if (opts.maxEvents !== undefined && ex.events.length >= opts.maxEvents) {
      ex.abandoned = true;
      break; // returning from the iterator destroys the body: the connection is freed
    }
  }
  const at = opts.now();
  record(parser.end(), at);
}
