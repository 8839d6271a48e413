// What the bridge's request handlers share, built once by startBridge and passed to each step
// explicitly (no handler closes over another's state): config, upstreams and their run-time facts,
// the router, caches, metrics, the logger, id and signature makers, and the shutdown coordinator.
import { createHmac, randomBytes } from 'node:crypto';
import type { DsbConfig, ServerConfig } from '../../config/schema.js';
import { RequestGuard } from '../guard.js';
import { UpstreamHealthCache } from '../health-cache.js';
import type { AnswerLimits } from '../limits.js';
import type { BridgeLogger } from '../log.js';
import { BridgeMetrics } from '../metrics.js';
import { ReasoningCache } from '../reasoning-cache.js';
import { ResponseCache } from '../response-cache.js';
import { Router } from '../router.js';
import { UpstreamRuntime } from '../runtime.js';
import { ShutdownCoordinator } from '../shutdown.js';
import { Upstream } from '../upstream.js';

/**
 * With many streams open, a stream's writes to its client are spaced at least this far apart once
 * its first token is out, and what the upstream sends meanwhile goes out in one write. A fast
 * upstream sends a chunk per token, and a write (a syscall, and a read for the client) per chunk
 * was the bridge's largest cost at full load in the benchmark; this window cut its CPU per request
 * by about an eighth there. Tokens that arrive further apart (any real model: 10 ms and more)
 * are not held back at all; no token waits much longer than the window (a timer, so plus any
 * event-loop delay).
 */
export const COALESCE_WINDOW_MS = 5;
/** Streams open at once from which writes are coalesced: one user's stream is never held back. */
export const COALESCE_FROM_STREAMS = 8;

export interface CoalesceOptions {
  windowMs: number;
  fromStreams: number;
}

export interface BridgeState {
  config: DsbConfig;
  server: ServerConfig;
  /** Whether the built-in demo upstream answers (shown by /health). */
  demo: boolean;
  logger: BridgeLogger;
  /** Hides every key and token the bridge knows (design.md §4.8). */
  redact: (text: string) => string;
  upstreams: Upstream[];
  runtimes: Map<Upstream, UpstreamRuntime>;
  router: Router;
  reasoningCache: ReasoningCache;
  responseCache: ResponseCache | undefined;
  metrics: BridgeMetrics;
  coalesce: CoalesceOptions;
  /** Bounds on an upstream answer and a request's JSON (server.limits, with the caller's overrides). */
  limits: AnswerLimits;
  /** Screens every request: Host (DNS rebinding), Origin, Sec-Fetch-Site, content type. */
  guard: RequestGuard;
  /** /health reads cached reachability, refreshed at most every 2 s, never once per request. */
  healthCache: UpstreamHealthCache<Upstream>;
  shutdown: ShutdownCoordinator;
  /** Signs a thinking block's text (design.md §4.6). */
  signThinking: (thinking: string) => string;
  /** A fresh id with the given prefix (`msg_`, `toolu_`). */
  newId: (prefix: string) => string;
  /** Models asked for that fell back to the default route, logged once each. */
  loggedFallbacks: Set<string>;
}

export interface BridgeStateInput {
  config: DsbConfig;
  /** The upstreams to use (the demo upstream's when `demo`). */
  upstreamConfigs: DsbConfig['upstreams'];
  demo: boolean;
  logger: BridgeLogger;
  redact: (text: string) => string;
  coalesce?: CoalesceOptions;
  /** Overrides of server.limits (tests set them small to make faults cheap). */
  limits?: Partial<AnswerLimits>;
}

export function createBridgeState(input: BridgeStateInput): BridgeState {
  const { config, demo } = input;
  const server = config.server;
  const upstreams = input.upstreamConfigs.map((u) => new Upstream(u, server));
  const signingKey = randomBytes(32);
  const router = new Router(demo ? {} : config.models, upstreams);
  return {
    config,
    server,
    demo,
    logger: input.logger,
    redact: input.redact,
    upstreams,
    runtimes: new Map(upstreams.map((u) => [u, new UpstreamRuntime(u)])),
    router,
    reasoningCache: new ReasoningCache(),
    responseCache: server.cache.enabled
      ? new ResponseCache({ maxEntries: server.cache.maxEntries, maxBytes: server.cache.maxBytes })
      : undefined,
    metrics: new BridgeMetrics(),
    coalesce: input.coalesce ?? { windowMs: COALESCE_WINDOW_MS, fromStreams: COALESCE_FROM_STREAMS },
    limits: { ...server.limits, ...input.limits },
    guard: new RequestGuard({
      bindHost: server.host,
      allowedOrigins: server.allowedOrigins,
      authToken: server.authToken,
    }),
    healthCache: new UpstreamHealthCache((u: Upstream) => u.getJson('/v1/models', 1_500), {
      maxAgeMs: 2_000,
      onReading: (u, reading) => {
        if (reading.models !== undefined) router.markSuccess(u);
      },
    }),
    shutdown: new ShutdownCoordinator(),
    signThinking: (thinking) =>
      `dsb1.${createHmac('sha256', signingKey).update(thinking).digest('base64url')}`,
    newId: (prefix) => `${prefix}${randomBytes(12).toString('base64url')}`,
    loggedFallbacks: new Set(),
  };
}

/** The bounds on a request body the bridge reads. */
export function requestBounds(state: Pick<BridgeState, 'server' | 'limits'>) {
  return { bodyBytes: state.server.bodyLimitBytes, jsonDepth: state.limits.maxRequestJsonDepth };
}

/** The run-time facts of an upstream of this bridge (every upstream has one). */
export function runtimeOf(state: Pick<BridgeState, 'runtimes'>, upstream: Upstream): UpstreamRuntime {
  const runtime = state.runtimes.get(upstream);
  if (!runtime) throw new Error(`no runtime for upstream ${upstream.url}`);
  return runtime;
}
