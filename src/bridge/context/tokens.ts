// Prompt token counting, best method first (design.md §4.5):
// 1. exact, by the upstream itself: llama.cpp `POST /v1/chat/completions/input_tokens` (the whole
//    chat body → `{input_tokens}`), else llama.cpp `POST /apply-template` → `{prompt}` then
//    `POST /tokenize` → `{tokens: [...]}`; vLLM `POST /tokenize` with `messages` → `{count}`
//    (TokenizeChatRequest / TokenizeResponse in vllm/entrypoints/serve/tokenize/protocol.py);
// 2. the local DeepSeek tokenizer (local-tokenizer.ts);
// 3. the conservative estimate (estimate.ts).
// Each result says which method produced it. An endpoint that answers 404/405/501 (or not in its
// documented shape) is not tried again on this upstream; one that fails otherwise (timeout,
// 5xx, unreachable) is skipped for a while. Every upstream call is time-boxed.
import { UPSTREAMS } from '../../upstreams/index.js';
import type { UpstreamKind } from '../../upstreams/kind.js';
import type { TokenCountMethod } from '../../upstreams/module.js';
import type { ChatCompletionRequest } from '../openai/types.js';
import { type AnchorTicket, PromptAnchors, promptChain } from './anchor.js';
import { estimatePromptTokens } from './estimate.js';
import { isRecord, isUnsupportedStatus, type JsonResult, postJson, type UpstreamLike } from './http.js';
import { countPromptLocallyBounded, MAX_BYTES_PER_TOKEN, minimumPromptTokens } from './local-tokenizer.js';

export interface TokenCount {
  tokens: number;
  method: 'upstream' | 'local' | 'estimate';
  /** Which endpoint or tokenizer counted, for logs and /health. */
  detail?: string;
  /** Set for upstreams that count exactly: hand the server's `prompt_tokens` back to `settle`. */
  anchor?: AnchorTicket;
}

export interface TokenCounterOptions {
  /** Use the local DeepSeek tokenizer when the upstream cannot count (default true). */
  local?: boolean;
  /** Ask the upstream to count (default true); false = local tokenizer, else estimate. */
  upstream?: boolean;
  /** Time allowed for one upstream counting method, all its calls together (default 2000 ms). */
  timeoutMs?: number;
  /** How long a method that failed (timeout, 5xx, unreachable) is skipped (default 30 s). */
  retryAfterMs?: number;
  now?: () => number;
}

const METHOD_DETAIL: Record<TokenCountMethod, string> = {
  'llama-input-tokens': 'llama.cpp /v1/chat/completions/input_tokens',
  'llama-template': 'llama.cpp /apply-template + /tokenize',
  'vllm-tokenize': 'vLLM /tokenize',
};

type Attempt =
  | { outcome: 'counted'; tokens: number }
  /** The endpoint does not exist here (or answers in another shape): never try it again. */
  | { outcome: 'unsupported' }
  /** Transient (timeout, 5xx, unreachable): skip it for a while. */
  | { outcome: 'failed' }
  /** This request was refused (other 4xx): fall back for this request only. */
  | { outcome: 'refused' };

const nonNegativeInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;

function classify(res: JsonResult): Attempt | undefined {
  if (res.ok) return undefined;
  if (isUnsupportedStatus(res.status)) return { outcome: 'unsupported' };
  if (res.status === 0 || res.status >= 500 || res.status === 429) return { outcome: 'failed' };
  return { outcome: 'refused' };
}

/**
 * The chat body without streaming options and `max_tokens`: what a counting endpoint parses like a
 * completion (the prompt is the same whatever the answer's length).
 */
export function countingBody(request: ChatCompletionRequest): Record<string, unknown> {
  const { stream: _stream, stream_options: _options, max_tokens: _max, ...rest } = request;
  return rest;
}

/** The counting body serialized once, with each message's JSON (the anchor chain hashes them). */
export interface SerializedCountingBody {
  /** Byte for byte `JSON.stringify(countingBody(request))`, one flat string. */
  json: string;
  /**
   * `JSON.stringify` of each message, in order: the pieces of `json`'s messages array. Handed over
   * once (the count clears it after hashing them), so the prompt is not held twice while it waits.
   */
  messageJsons: string[] | undefined;
}

/**
 * `JSON.stringify(countingBody(request))`, built from one serialization of each message so that
 * the counting anchor (anchor.ts) can hash the messages without serializing a 40–500 KB prompt a
 * second time (that doubled the bridge's CPU per Claude Code request in the benchmark). One join of
 * all the pieces: nested joins and template literals each copied the whole prompt once more
 * (3 copies per request, measured with the sampling heap profiler), and left a cons string that
 * `completionBodyFrom`'s slice had to flatten (a 4th).
 */
export function serializeCountingBody(request: ChatCompletionRequest): SerializedCountingBody {
  const messageJsons = request.messages.map((m) => JSON.stringify(m));
  const pieces: string[] = ['{'];
  for (const [key, value] of Object.entries(countingBody(request))) {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    if (pieces.length > 1) pieces.push(',');
    if (key !== 'messages') {
      pieces.push(JSON.stringify(key), ':', JSON.stringify(value));
      continue;
    }
    pieces.push('"messages":[');
    for (const [i, json] of messageJsons.entries()) {
      if (i > 0) pieces.push(',');
      pieces.push(json);
    }
    pieces.push(']');
  }
  pieces.push('}');
  return { json: pieces.join(''), messageJsons };
}

/**
 * The completion body from the serialized counting body: the prompt is serialized once per
 * request, not twice (a Claude Code request is 40–500 KB of JSON). The slice of a flat string
 * shares its characters (no copy).
 */
export function completionBodyFrom(countingJson: string, request: ChatCompletionRequest): string {
  let tail = '';
  if (request.max_tokens !== undefined) tail += `,"max_tokens":${JSON.stringify(request.max_tokens)}`;
  if (request.stream !== undefined) tail += `,"stream":${JSON.stringify(request.stream)}`;
  if (request.stream_options !== undefined)
    tail += `,"stream_options":${JSON.stringify(request.stream_options)}`;
  if (tail === '') return countingJson;
  // countingJson is a JSON object with at least `model` and `messages`: never `{}`.
  return `${countingJson.slice(0, -1)}${tail}}`;
}

/**
 * The largest prompt size `fits` accepts (it is monotone: a prompt that fits, any smaller one fits),
 * by exponential then binary search: ~60 calls of a pure function, microseconds.
 */
export function largestFitting(fits: (tokens: number) => boolean): number {
  if (!fits(0)) return 0;
  let low = 0;
  let high = 1;
  while (fits(high)) {
    low = high;
    if (high >= Number.MAX_SAFE_INTEGER / 2) return high;
    high *= 2;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid;
  }
  return low;
}

export class TokenCounter {
  /** Exact sizes of earlier prompts, so a growing conversation's next turn is bounded, not re-counted. */
  readonly anchors = new PromptAnchors();
  private readonly unsupported = new Set<TokenCountMethod>();
  private readonly skipUntil = new Map<TokenCountMethod, number>();
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly upstream: UpstreamLike,
    private readonly kind: () => UpstreamKind | undefined,
    private readonly options: TokenCounterOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.retryAfterMs = options.retryAfterMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Upstream methods this counter will still try (for /health and tests). */
  usableMethods(): string[] {
    return this.methods()
      .filter((m) => !this.unsupported.has(m))
      .map((m) => METHOD_DETAIL[m]);
  }

  /**
   * The prompt's token count by the best method available; never throws.
   * @param serialized The counting body already serialized (serializeCountingBody), when the caller has it.
   * @param fits Whether a prompt of this many tokens is one the bridge would send (the output plan).
   *   Given, an upstream that counts exactly is not asked when a bound from an earlier turn of the
   *   same conversation already proves the prompt fits (anchor.ts): the count is then that bound.
   */
  async count(
    request: ChatCompletionRequest,
    signal?: AbortSignal,
    serialized?: SerializedCountingBody,
    fits?: (tokens: number) => boolean,
  ): Promise<TokenCount> {
    try {
      if (this.options.upstream !== false) {
        const methods = this.methods().filter((m) => !this.unsupported.has(m));
        const messageJsons = serialized?.messageJsons;
        if (serialized) serialized.messageJsons = undefined;
        const chain =
          methods.length > 0 && this.anchors.enabled ? promptChain(request, messageJsons) : undefined;
        const key = chain?.keys[chain.keys.length - 1];
        // Only when something limits the prompt (a known context): a bound is for proving fit, and
        // where nothing is checked the exact size is worth more (the truncation check compares it).
        if (chain && key && fits && !fits(Number.MAX_SAFE_INTEGER)) {
          const bound = this.anchors.bound(chain);
          if (bound && fits(bound.tokens)) {
            return {
              tokens: bound.tokens,
              method: 'upstream',
              detail: `bound: ${bound.anchorTokens} tokens the upstream counted for an earlier turn + ${bound.newMessages} new message(s)`,
              anchor: { key, bound: bound.tokens },
            };
          }
        }
        for (const method of methods) {
          if (signal?.aborted) break;
          if ((this.skipUntil.get(method) ?? 0) > this.now()) continue;
          const attempt = await this.attempt(method, request, signal, serialized?.json);
          if (attempt.outcome === 'counted') {
            if (key) this.anchors.remember(key, attempt.tokens);
            return {
              tokens: attempt.tokens,
              method: 'upstream',
              detail: METHOD_DETAIL[method],
              ...(key ? { anchor: { key } } : {}),
            };
          }
          if (attempt.outcome === 'unsupported') this.unsupported.add(method);
          else if (attempt.outcome === 'failed' && !signal?.aborted) {
            this.skipUntil.set(method, this.now() + this.retryAfterMs);
          }
        }
      }
      if (this.options.local !== false && !signal?.aborted) {
        const limit = fits ? largestFitting(fits) : undefined;
        const local = await countPromptLocallyBounded(request, { signal, limit });
        if (local?.kind === 'counted')
          return { tokens: local.tokens, method: 'local', detail: 'DeepSeek V3 tokenizer (local)' };
        if (local?.kind === 'over-limit') {
          return {
            tokens: local.tokens,
            method: 'local',
            detail: `DeepSeek V3 tokenizer (local): at least ${local.tokens}, counting stopped past ${limit}`,
          };
        }
      }
    } catch {
      // fall through to the estimate
    }
    // The client left: nothing will be sent, so spend nothing more on this prompt.
    if (signal?.aborted)
      return { tokens: 0, method: 'estimate', detail: 'not counted: the request was aborted' };
    return {
      tokens: estimatePromptTokens(request),
      method: 'estimate',
      detail: 'estimate (~3 characters per token)',
    };
  }

  /**
   * When this counter would count locally (the upstream cannot), a prompt whose characters alone
   * prove it cannot fit: its lower bound of tokens, labelled `local`. Undefined otherwise.
   */
  refusalByCharacters(
    request: ChatCompletionRequest,
    fits: (tokens: number) => boolean,
  ): TokenCount | undefined {
    if (this.options.local === false) return undefined;
    if (this.options.upstream !== false && this.methods().some((m) => !this.unsupported.has(m)))
      return undefined;
    const floor = minimumPromptTokens(request);
    if (fits(floor)) return undefined;
    return {
      tokens: floor,
      method: 'local',
      detail: `at least ${floor} tokens: ${MAX_BYTES_PER_TOKEN} bytes per token at most (DeepSeek V3 tokenizer)`,
    };
  }

  /**
   * The server's `usage.prompt_tokens` for a request counted with an anchor ticket: the next
   * turn's anchor. A warning when it shows a bound was wrong (anchoring is then switched off).
   */
  settle(ticket: AnchorTicket | undefined, serverPromptTokens: number | undefined): string | undefined {
    return ticket ? this.anchors.settle(ticket, serverPromptTokens) : undefined;
  }

  private methods(): readonly TokenCountMethod[] {
    const configured = this.upstream.config.kind;
    const kind = this.kind() ?? (configured !== 'auto' ? configured : undefined);
    return kind ? UPSTREAMS[kind].tokenCounting : [];
  }

  private async attempt(
    method: TokenCountMethod,
    request: ChatCompletionRequest,
    signal?: AbortSignal,
    countingJson?: string,
  ): Promise<Attempt> {
    const chatBody = () => countingJson ?? countingBody(request);
    const deadline = performance.now() + this.timeoutMs;
    const left = () => Math.max(1, deadline - performance.now());
    switch (method) {
      case 'llama-input-tokens': {
        const res = await postJson(this.upstream, '/v1/chat/completions/input_tokens', chatBody(), {
          timeoutMs: left(),
          signal,
        });
        const failure = classify(res);
        if (failure) return failure;
        const tokens = isRecord(res.json) ? nonNegativeInt(res.json.input_tokens) : undefined;
        return tokens === undefined ? { outcome: 'unsupported' } : { outcome: 'counted', tokens };
      }
      case 'llama-template': {
        const rendered = await postJson(this.upstream, '/apply-template', chatBody(), {
          timeoutMs: left(),
          signal,
        });
        const failure = classify(rendered);
        if (failure) return failure;
        const prompt = isRecord(rendered.json) ? rendered.json.prompt : undefined;
        if (typeof prompt !== 'string') return { outcome: 'unsupported' };
        // As llama-server tokenizes a chat prompt: special tokens added and parsed.
        const tokenized = await postJson(
          this.upstream,
          '/tokenize',
          { content: prompt, add_special: true, parse_special: true },
          { timeoutMs: left(), signal },
        );
        const failed = classify(tokenized);
        if (failed) return failed;
        const tokens = isRecord(tokenized.json) ? tokenized.json.tokens : undefined;
        return Array.isArray(tokens)
          ? { outcome: 'counted', tokens: tokens.length }
          : { outcome: 'unsupported' };
      }
      case 'vllm-tokenize': {
        const body: Record<string, unknown> = {
          model: request.model,
          messages: request.messages,
          add_generation_prompt: true,
        };
        if (request.tools && request.tools.length > 0) body.tools = request.tools;
        if (request.chat_template_kwargs) body.chat_template_kwargs = request.chat_template_kwargs;
        const res = await postJson(this.upstream, '/tokenize', body, { timeoutMs: left(), signal });
        const failure = classify(res);
        if (failure) return failure;
        const tokens = isRecord(res.json) ? nonNegativeInt(res.json.count) : undefined;
        return tokens === undefined ? { outcome: 'unsupported' } : { outcome: 'counted', tokens };
      }
    }
  }
}
