// Prometheus metrics of one bridge, served at `GET /metrics` (prom-client text exposition).
// Each BridgeMetrics has its own Registry so that several bridges in one process (tests, or one
// per upstream) never share counters; the process metrics (CPU, memory, event loop, GC), which
// describe the process and not a bridge, are collected once per process and added at render time.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** LLM requests run from a fraction of a second (count_tokens, cached) to minutes (long prefill). */
export const REQUEST_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** First token: milliseconds on a warm prefix cache, up to minutes for a long prompt on a local GPU. */
export const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

export interface RequestFinished {
  /** A route template such as `/v1/messages`, not the raw URL (labels must stay few). */
  route: string;
  status: number;
  durationMs: number;
  /** Time to the first content from the upstream, for answers that had any. */
  ttftMs?: number;
  inputTokens?: number;
  /** Of `inputTokens`, those the upstream took from its prompt cache (set when it reported usage). */
  cachedTokens?: number;
  outputTokens?: number;
  /** The upstream model name (from the bridge's config). */
  model?: string;
  /** The upstream's configured name. */
  upstream?: string;
}

const MAX_LABEL_LENGTH = 100;

/**
 * Keeps a label's values few: past `max` distinct values, new ones read `other`. A client that
 * sends random paths or model names must not grow the exposition without bound.
 */
class LabelCap {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  value(raw: string): string {
    const v = raw.length > MAX_LABEL_LENGTH ? raw.slice(0, MAX_LABEL_LENGTH) : raw;
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(v);
    return v;
  }
}

let processRegistry: Registry | undefined;

/** The process-wide metrics (prefix `dsb_`), registered once however many bridges there are. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'dsb_' });
  }
  return processRegistry;
}

const isCount = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

export interface BridgeMetricsOptions {
  /** Include the process metrics (CPU, memory, event loop, GC). Default true. */
  processMetrics?: boolean;
}

export class BridgeMetrics {
  private readonly registry = new Registry();
  private readonly includeProcess: boolean;
  private readonly routes = new LabelCap(32);
  private readonly upstreams = new LabelCap(64);
  private readonly models = new LabelCap(64);

  private readonly requests = new Counter({
    name: 'dsb_requests_total',
    help: 'Requests answered by the bridge, by route and HTTP status.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly inFlight = new Gauge({
    name: 'dsb_requests_in_flight',
    help: 'Requests being answered now, by route.',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'dsb_request_duration_seconds',
    help: 'Time from request to the end of the answer, by route.',
    labelNames: ['route'] as const,
    buckets: REQUEST_DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly ttft = new Histogram({
    name: 'dsb_time_to_first_token_seconds',
    help: 'Time from request to the first content from the upstream.',
    buckets: TTFT_BUCKETS,
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: 'dsb_tokens_total',
    help: 'Tokens of answered requests: input (prompt) and output (completion).',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  private readonly promptTokens = new Counter({
    name: 'dsb_prompt_tokens_total',
    help: 'Prompt tokens of answers whose upstream reported usage (the denominator of the prompt-cache hit ratio).',
    registers: [this.registry],
  });
  private readonly promptCachedTokens = new Counter({
    name: 'dsb_prompt_cached_tokens_total',
    help: 'Of dsb_prompt_tokens_total, those the upstream served from its prompt cache.',
    registers: [this.registry],
  });
  private readonly promptCacheHitRatio = new Gauge({
    name: 'dsb_prompt_cache_hit_ratio',
    help: 'dsb_prompt_cached_tokens_total / dsb_prompt_tokens_total since the bridge started (0 before any).',
    registers: [this.registry],
  });
  private promptSeen = 0;
  private promptCached = 0;
  private readonly upstreamRequests = new Counter({
    name: 'dsb_upstream_requests_total',
    help: 'Requests sent to an upstream, by upstream, upstream model and the status the client got.',
    labelNames: ['upstream', 'model', 'status'] as const,
    registers: [this.registry],
  });
  private readonly activeStreams = new Gauge({
    name: 'dsb_active_streams',
    help: 'Streaming answers open now.',
    registers: [this.registry],
  });
  private readonly upstreamUp = new Gauge({
    name: 'dsb_upstream_up',
    help: 'Whether the last health check of the upstream passed (1) or failed (0).',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  });
  private readonly upstreamOutstanding = new Gauge({
    name: 'dsb_upstream_outstanding_requests',
    help: 'Requests the bridge has outstanding at the upstream now.',
    labelNames: ['upstream'] as const,
    registers: [this.registry],
  });

  constructor(opts: BridgeMetricsOptions = {}) {
    this.includeProcess = opts.processMetrics ?? true;
    // Present (at 0) from the first scrape, so dashboards and alerts see the series before traffic.
    this.activeStreams.set(0);
    this.tokens.inc({ direction: 'input' }, 0);
    this.tokens.inc({ direction: 'output' }, 0);
    this.promptTokens.inc(0);
    this.promptCachedTokens.inc(0);
    this.promptCacheHitRatio.set(0);
  }

  requestStarted(route: string): void {
    this.inFlight.inc({ route: this.routes.value(route) });
  }

  requestFinished(e: RequestFinished): void {
    const route = this.routes.value(e.route);
    const status = String(e.status);
    this.inFlight.dec({ route });
    this.requests.inc({ route, status });
    if (isCount(e.durationMs)) this.duration.observe({ route }, e.durationMs / 1000);
    if (isCount(e.ttftMs)) this.ttft.observe(e.ttftMs / 1000);
    if (isCount(e.inputTokens)) this.tokens.inc({ direction: 'input' }, e.inputTokens);
    if (isCount(e.outputTokens)) this.tokens.inc({ direction: 'output' }, e.outputTokens);
    if (isCount(e.inputTokens) && isCount(e.cachedTokens) && e.cachedTokens <= e.inputTokens) {
      this.promptTokens.inc(e.inputTokens);
      this.promptCachedTokens.inc(e.cachedTokens);
      this.promptSeen += e.inputTokens;
      this.promptCached += e.cachedTokens;
      if (this.promptSeen > 0) this.promptCacheHitRatio.set(this.promptCached / this.promptSeen);
    }
    if (e.upstream !== undefined) {
      this.upstreamRequests.inc({
        upstream: this.upstreams.value(e.upstream),
        model: this.models.value(e.model ?? ''),
        status,
      });
    }
  }

  private streams = 0;

  /** Streaming answers open now: the gauge's value, read synchronously (write coalescing uses it). */
  get openStreams(): number {
    return this.streams;
  }

  streamOpened(): void {
    this.activeStreams.set(++this.streams);
  }

  streamClosed(): void {
    this.activeStreams.set(--this.streams);
  }

  setUpstreamHealth(name: string, up: boolean, outstanding: number): void {
    const upstream = this.upstreams.value(name);
    this.upstreamUp.set({ upstream }, up ? 1 : 0);
    this.upstreamOutstanding.set({ upstream }, isCount(outstanding) ? outstanding : 0);
  }

  /** The text exposition and its content type, for `GET /metrics`. */
  async render(): Promise<{ contentType: string; body: string }> {
    const registry = this.includeProcess ? Registry.merge([this.registry, processMetrics()]) : this.registry;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}
