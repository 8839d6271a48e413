// Context discovery (design.md §4.5): which kind of server the upstream is, and how many tokens one
// request may hold there. What each kind serves, and its pure parsers, live in src/upstreams/ (one
// file per kind); `ContextDiscovery` runs them against an upstream once, caches the result and
// looks again after `invalidate()` (an overflow error means the server may have been restarted with
// another context size).
//
// The parsers and `recognizeUpstreamKind` are also how `dsb doctor` (src/checks/upstream-info.ts)
// and `dsb init` / `dsb launch --run` (src/launch/context-probe.ts) read these bodies, straight from
// src/upstreams/; the `…Detail` variants add what only those report (model path and size, tool support).
import { isDeepSeekApiUrl } from '../../upstreams/deepseek-api.js';
import { UPSTREAMS } from '../../upstreams/index.js';
import type { UpstreamKind } from '../../upstreams/kind.js';
import { recognizeUpstreamKind } from '../../upstreams/recognize.js';
import type { Discovered, DiscoveryIo, UpstreamFacts } from '../../upstreams/types.js';
import { postJson, type UpstreamLike } from './http.js';

export type { UpstreamFacts } from '../../upstreams/types.js';
export type { UpstreamLike } from './http.js';

export interface ContextDiscoveryOptions {
  /** Upper bound of one whole discovery, in ms. */
  budgetMs?: number;
  /** Upper bound of one call, in ms. */
  callTimeoutMs?: number;
  /**
   * How long an incomplete result is kept before looking again (upstream unreachable, Ollama
   * model not loaded yet): the first real request usually makes the missing fact available.
   */
  retryMs?: number;
}

const DEFAULT_BUDGET_MS = 3_000;
const DEFAULT_CALL_TIMEOUT_MS = 1_500;
const DEFAULT_RETRY_MS = 30_000;
/** Below this, a call would time out before a real server could answer: skip it. */
const MIN_CALL_MS = 50;

export class ContextDiscovery {
  private cached: { facts: UpstreamFacts; expiresAt: number } | undefined;
  private last: UpstreamFacts | undefined;
  private inflight: Promise<UpstreamFacts> | undefined;
  private generation = 0;
  private readonly budgetMs: number;
  private readonly callTimeoutMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly upstream: UpstreamLike,
    private readonly now: () => number = Date.now,
    options: ContextDiscoveryOptions = {},
  ) {
    this.budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  }

  /** The upstream's facts: cached; concurrent callers share one discovery; never throws. */
  get(): Promise<UpstreamFacts> {
    if (this.cached && this.now() < this.cached.expiresAt) return Promise.resolve(this.cached.facts);
    if (this.inflight) return this.inflight;
    const generation = this.generation;
    const run = this.discover()
      .catch((): Discovered => ({ facts: this.unknown(), complete: false }))
      .then(({ facts, complete }) => {
        const full: UpstreamFacts = { ...facts, discoveredAt: this.now() };
        if (generation === this.generation) {
          this.cached = {
            facts: full,
            expiresAt: complete ? Number.POSITIVE_INFINITY : this.now() + this.retryMs,
          };
          this.last = full;
        }
        return full;
      })
      .finally(() => {
        if (this.inflight === run) this.inflight = undefined;
      });
    this.inflight = run;
    return run;
  }

  /** Forget the cached facts (after an overflow error): the next `get()` discovers again. */
  invalidate(): void {
    this.generation++;
    this.cached = undefined;
    this.inflight = undefined;
  }

  /** The last facts discovered, without waiting (still the previous ones after `invalidate()`). */
  peek(): UpstreamFacts | undefined {
    return this.last;
  }

  private unknown(): Discovered['facts'] {
    const config = this.upstream.config;
    const kind: UpstreamKind =
      config.kind !== 'auto' ? config.kind : isDeepSeekApiUrl(this.upstream.url) ? 'deepseek-api' : 'openai';
    return this.withConfig({ kind, contextSource: 'unknown' });
  }

  /** A config `contextSize` / `maxOutputTokens` / `model` always wins over what was discovered. */
  private withConfig(facts: Discovered['facts']): Discovered['facts'] {
    const config = this.upstream.config;
    const out = { ...facts };
    if (config.contextSize) {
      out.contextSize = config.contextSize;
      out.contextSource = 'config';
    }
    if (config.maxOutputTokens) out.outputCap = config.maxOutputTokens;
    if (config.model) out.model = config.model;
    return out;
  }

  private async discover(): Promise<Discovered> {
    const config = this.upstream.config;
    const started = performance.now();
    const remaining = () => this.budgetMs - (performance.now() - started);
    // Whole milliseconds: AbortSignal.timeout throws on fractions.
    const timeout = () => Math.floor(Math.min(this.callTimeoutMs, remaining()));
    // Each endpoint is read at most once per discovery, shared by detection and the kind's parser.
    const seen = new Map<string, Promise<unknown>>();
    let answered = false;
    const get = (path: string): Promise<unknown> => {
      let pending = seen.get(path);
      if (!pending) {
        const ms = timeout();
        pending =
          ms < MIN_CALL_MS
            ? Promise.resolve(undefined)
            : this.upstream.getJson(path, ms).then(
                (json) => {
                  if (json !== undefined) answered = true;
                  return json;
                },
                () => undefined,
              );
        seen.set(path, pending);
      }
      return pending;
    };
    const post = async (path: string, body: unknown): Promise<unknown> => {
      const ms = timeout();
      if (ms < MIN_CALL_MS) return undefined;
      const res = await postJson(this.upstream, path, body, { timeoutMs: ms });
      if (res.status > 0) answered = true;
      return res.ok ? res.json : undefined;
    };

    let kind: UpstreamKind | undefined = config.kind === 'auto' ? undefined : config.kind;
    if (!kind && isDeepSeekApiUrl(this.upstream.url)) kind = 'deepseek-api';
    if (!kind) {
      // /props and /v1/models tell llama.cpp, vLLM and SGLang apart; Ollama's and SGLang's own
      // endpoints are asked only when they do not (recognizeUpstreamKind puts llama.cpp first:
      // llama-server also answers Ollama-style endpoints).
      const [props, models] = await Promise.all([get('/props'), get('/v1/models')]);
      kind = recognizeUpstreamKind({ props, models })?.kind;
      if (!kind) {
        const [ollamaVersion, sglangModelInfo] = await Promise.all([
          get('/api/version'),
          get('/get_model_info'),
        ]);
        kind = recognizeUpstreamKind({ ollamaVersion, sglangModelInfo })?.kind ?? 'openai';
      }
    }

    const io: DiscoveryIo = { get, post };
    const found = await UPSTREAMS[kind].discover(io, config.model);
    // Nothing answered at all: the upstream is down or unreachable; try again soon.
    const complete = found.complete && (answered || kind === 'deepseek-api');
    return { facts: this.withConfig(found.facts), complete };
  }
}
