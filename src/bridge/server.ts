// The bridge's HTTP server (design.md §4.1, §4.4, §4.8): builds the shared state, listens, answers
// requests Node's parser rejects, and shuts down. Everything a request does lives in http/: the
// route table and its guards (routes.ts), POST /v1/messages read top to bottom (messages.ts →
// prepare.ts → call.ts → relay.ts → sse-sink.ts / collecting-sink.ts), the OpenAI pass-through
// (passthrough.ts) and the admin endpoints (admin.ts). Translation itself is pure, in translate/.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DsbConfig } from '../config/schema.js';
import { isLoopbackHost } from '../config/schema.js';
import { adviseWindow, type WindowAdvice } from '../upstreams/window-advice.js';
import { hostForUrl } from '../util/host-for-url.js';
import { BridgeError, errorBody, errorTypeForStatus } from './anthropic/errors.js';
import { startDemoUpstream } from './demo-upstream.js';
import { handleRequest } from './http/routes.js';
import { type BridgeState, type CoalesceOptions, createBridgeState, runtimeOf } from './http/state.js';
import { type AnswerLimits, applyRequestTimeouts, httpServerOptions } from './limits.js';
import { type BridgeLogger, createLogger } from './log.js';
import { createRedactor, redactingLogger } from './redact.js';
import type { ShutdownResult } from './shutdown.js';
import type { Upstream } from './upstream.js';
import { warmUp, warmUpTargets } from './warmup.js';

export { BRIDGE_VERSION } from './version.js';

export interface BridgeOptions {
  config: DsbConfig;
  /** Run the built-in demo upstream in-process and send every request there. */
  demo?: boolean;
  logger?: BridgeLogger;
  /** Write coalescing under load (default: COALESCE_WINDOW_MS from COALESCE_FROM_STREAMS streams). */
  coalesce?: CoalesceOptions;
  /** Overrides of `server.limits` (bounds on an upstream answer and a request's JSON). */
  limits?: Partial<AnswerLimits>;
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
  /** Per upstream: is its per-request context enough for Claude Code (discovers it if needed). */
  contextAdvice(): Promise<WindowAdvice[]>;
  /**
   * Stops accepting, gives the requests in flight `graceMs` (default 0) to finish, ends the rest
   * with an `error` event or a 503, and frees everything. Called again while it waits, it ends the
   * requests at once.
   */
  close(graceMs?: number): Promise<ShutdownResult>;
}

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const { config } = options;
  const server = config.server;
  if (!isLoopbackHost(server.host) && !server.authToken) {
    throw new BridgeError(
      500,
      'api_error',
      `refusing to listen on ${server.host} without an auth token: set DSB_AUTH_TOKEN (or server.authToken) so that only your clients can use the upstream`,
      {},
      'BRIDGE_UNSAFE_LISTEN',
    );
  }
  const demo = options.demo ? await startDemoUpstream({ host: '127.0.0.1', port: 0 }) : undefined;
  // Every key and token the bridge knows is kept out of its logs and its error messages (§4.8).
  const redact = createRedactor([server.authToken, ...config.upstreams.map((u) => u.apiKey)]);
  const state = createBridgeState({
    config,
    // The demo upstream behaves like llama-server (chat-template thinking switch, recorded chunk shapes).
    upstreamConfigs: demo ? [{ url: demo.url, kind: 'llama.cpp' as const, name: 'demo' }] : config.upstreams,
    demo: Boolean(demo),
    logger: redactingLogger(options.logger ?? createLogger(server.logFormat), redact),
    redact,
    coalesce: options.coalesce,
    limits: options.limits,
  });
  const healthTimer = startHealthChecks(state);
  const sockets = new Set<Socket>();
  let closed: Promise<ShutdownResult> | undefined;
  const httpServer = http.createServer(
    httpServerOptions(server),
    (req, res) => void handleRequest(state, req, res),
  );
  httpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  httpServer.on('clientError', answerClientError);
  // Slow or stalled uploads are cut; responses (long prefill, long streams) never are.
  applyRequestTimeouts(httpServer, server);

  // Warm up (tokenizer, upstream facts, dead or localhost upstream warnings) before listening.
  if (options.warmUp)
    await warmUp(
      warmUpTargets(state.upstreams, (u) => runtimeOf(state, u as Upstream)),
      state.logger,
    );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(server.port, server.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  state.guard.listening(address.address, address.port);
  return {
    url: `http://${hostForUrl(address.address)}:${address.port}`,
    port: address.port,
    host: address.address,
    upstreams: state.upstreams.map((u) => u.url),
    get activeRequests() {
      return state.shutdown.activeRequests;
    },
    // What `dsb serve` warns about at start-up (window-advice.ts).
    contextAdvice: () =>
      Promise.all(state.upstreams.map(async (u) => adviseWindow(await runtimeOf(state, u).facts(), u.url))),
    close(graceMs = 0) {
      if (healthTimer) clearInterval(healthTimer);
      // A second call makes the coordinator end the requests at once; the cleanup runs once.
      const drained = state.shutdown.close(httpServer, sockets, graceMs);
      closed ??= drained.then(async (result) => {
        await Promise.all(state.upstreams.map((u) => u.close()));
        await demo?.close();
        return result;
      });
      return closed;
    },
  };
}

/** With replicas, check them in the background so a dead one is skipped before a request fails on it. */
function startHealthChecks(state: BridgeState): NodeJS.Timeout | undefined {
  const { upstreams, router } = state;
  if (upstreams.length < 2) return undefined;
  const timer = setInterval(() => {
    for (const u of upstreams) {
      void u.getJson('/v1/models', 2_000).then((ok) => {
        if (ok === undefined) router.markFailure(u);
        else router.markSuccess(u);
      });
    }
  }, state.server.healthCheckIntervalMs);
  timer.unref();
  return timer;
}

/**
 * Requests Node's parser rejects (bad request line or target, oversized headers): an error in the
 * Anthropic shape, then the connection closes.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
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
}

export { errorBody };
