// The bridge's front door: every request is matched against ONE route table, guarded (shutdown,
// auth), handled, and every failure answered in the Anthropic error shape (or as an `error` event
// once a stream has begun), redacted. Metrics and the request log line are written here, once.
import type http from 'node:http';
import { isDsbError } from '../../errors.js';
import { BridgeError } from '../anthropic/errors.js';
import { encodeSseEvent } from '../anthropic/sse.js';
import { drainLimitFor, drainRequest } from '../limits.js';
import type { RequestLogEntry } from '../log.js';
import { shutdownRefusal } from '../shutdown.js';
import { handleHealth, handleHello, handleMetrics, handleModels } from './admin.js';
import { checkAuth } from './auth.js';
import { handleCountTokens } from './count-tokens.js';
import { sendJson } from './io.js';
import { handleMessages } from './messages.js';
import { handleChatCompletions } from './passthrough.js';
import type { BridgeState } from './state.js';

/** One request as the handlers see it. */
export interface RequestContext {
  state: BridgeState;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  method: string;
  log: RequestLogEntry;
  /** performance.now() when the request arrived. */
  started: number;
}

export interface RouteSpec {
  methods: readonly string[];
  path: string;
  /** Needs the auth token (when one is configured). The admin endpoints do not. */
  auth: boolean;
  /** Logged only when it fails (health checks and probes would drown the log). */
  quiet?: boolean;
  handle(ctx: RequestContext): Promise<void> | void;
}

/** For handlers that answer 200 whenever they return: the log line says so. */
const answers200 =
  (handle: (ctx: RequestContext) => Promise<void> | void) =>
  async (ctx: RequestContext): Promise<void> => {
    await handle(ctx);
    ctx.log.status = 200;
  };

export const ROUTES: readonly RouteSpec[] = [
  {
    methods: ['HEAD', 'GET'],
    path: '/',
    auth: false,
    quiet: true,
    handle: answers200((c) => handleHello(c.method, c.res)),
  },
  {
    methods: ['HEAD', 'GET'],
    path: '/api/hello',
    auth: false,
    quiet: true,
    handle: answers200((c) => handleHello(c.method, c.res)),
  },
  {
    methods: ['GET'],
    path: '/health',
    auth: false,
    quiet: true,
    handle: answers200((c) => handleHealth(c.state, c.res)),
  },
  {
    methods: ['GET'],
    path: '/metrics',
    auth: false,
    quiet: true,
    handle: answers200((c) => handleMetrics(c.state, c.res)),
  },
  {
    methods: ['POST'],
    path: '/v1/messages',
    auth: true,
    handle: (c) => handleMessages(c.state, c.req, c.res, c.log, c.started),
  },
  {
    methods: ['POST'],
    path: '/v1/messages/count_tokens',
    auth: true,
    handle: answers200((c) => handleCountTokens(c.state, c.req, c.res)),
  },
  {
    methods: ['POST'],
    path: '/v1/chat/completions',
    auth: true,
    handle: (c) => handleChatCompletions(c.state, c.req, c.res, c.log),
  },
  {
    methods: ['GET'],
    path: '/v1/models',
    auth: true,
    handle: answers200((c) => handleModels(c.state, c.res)),
  },
];

const KNOWN_PATHS = new Set(ROUTES.map((r) => r.path));
const QUIET_PATHS = new Set(ROUTES.filter((r) => r.quiet).map((r) => r.path));
/** Paths of the API: another method there is a 405, not a 404. */
const API_PATHS = new Set(ROUTES.filter((r) => r.auth).map((r) => r.path));

export function findRoute(method: string, path: string): RouteSpec | undefined {
  return ROUTES.find((r) => r.path === path && r.methods.includes(method));
}

/** The 405 or 404 for a request no route takes. */
export function noRoute(method: string, path: string): BridgeError {
  return API_PATHS.has(path)
    ? new BridgeError(405, 'invalid_request_error', `method ${method} is not allowed on ${path}`)
    : new BridgeError(
        404,
        'not_found_error',
        `no route ${method} ${path}: dsb serves POST /v1/messages, POST /v1/messages/count_tokens, POST /v1/chat/completions, GET /v1/models, GET /health`,
      );
}

/** The request's path without trailing slashes; undefined for a target `new URL` cannot parse. */
export function requestPath(target: string | undefined): string | undefined {
  // `new URL` throws on targets such as `http://[` that Node's parser lets through: answer 400, never crash.
  const url = URL.parse(target ?? '/', 'http://bridge');
  return url ? url.pathname.replace(/\/+$/, '') || '/' : undefined;
}

/** Guards, then the route's handler; throws what the client should be answered. */
async function dispatch(ctx: RequestContext, path: string | undefined): Promise<void> {
  const { state, req, method } = ctx;
  if (path === undefined) {
    const target = JSON.stringify((req.url ?? '').slice(0, 200));
    throw new BridgeError(400, 'invalid_request_error', `malformed request target ${target}`);
  }
  // Web pages are attackers too (DNS rebinding, simple POSTs): screened before anything else.
  if (state.guard.screen(req, ctx.res, path, method)) {
    ctx.log.status = 204;
    return;
  }
  if (state.shutdown.isClosing) throw shutdownRefusal();
  const route = findRoute(method, path);
  if (route?.auth !== false) checkAuth(req.headers, state.server.authToken);
  if (!route) throw noRoute(method, path);
  await route.handle(ctx);
}

/** Every request of the bridge's HTTP server goes through here. */
export async function handleRequest(
  state: BridgeState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const started = performance.now();
  const parsedPath = requestPath(req.url);
  const path = parsedPath ?? '(malformed request target)';
  const method = req.method ?? 'GET';
  const log: RequestLogEntry = { method, path, status: 0, durationMs: 0 };
  const metricRoute = KNOWN_PATHS.has(path) ? path : 'other';
  state.metrics.requestStarted(metricRoute);
  const release = state.shutdown.track(res);
  try {
    await dispatch({ state, req, res, method, log, started }, parsedPath);
  } catch (err) {
    await answerError(state, err, req, res, log);
  } finally {
    release();
    log.durationMs = performance.now() - started;
    state.metrics.requestFinished({
      route: metricRoute,
      status: log.status,
      durationMs: log.durationMs,
      ttftMs: log.ttftMs,
      inputTokens: log.inputTokens,
      cachedTokens: log.cachedTokens,
      outputTokens: log.outputTokens,
      model: log.modelSent,
      upstream: log.upstream,
    });
    if (!QUIET_PATHS.has(path) || log.status >= 400) state.logger.request(log);
  }
}

/** What a thrown error means for the client, as a BridgeError (internal errors are logged). */
export function toBridgeError(
  state: Pick<BridgeState, 'logger' | 'redact' | 'server'>,
  err: unknown,
  path: string,
): BridgeError {
  let error: BridgeError;
  if (err instanceof BridgeError) error = err;
  else if (isDsbError(err, 'BODY_TOO_LARGE'))
    error = new BridgeError(413, 'request_too_large', err.message, { connection: 'close' }, err.code);
  else {
    error = new BridgeError(500, 'api_error', `internal bridge error: ${(err as Error).message}`);
    state.logger.warn('internal error', { path, error: (err as Error).stack });
  }
  // Upstreams echo credentials in their error messages: none goes back to the client.
  return error.withMessage(state.redact(error.message));
}

/** Answers a failed request: an error document, or an `error` event when a stream has begun. */
async function answerError(
  state: BridgeState,
  err: unknown,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: RequestLogEntry,
): Promise<void> {
  const error = toBridgeError(state, err, log.path);
  log.status = error.status;
  log.error = error.message;
  // A refused upload is read to its end (up to a bound) first, so that the client, still sending
  // it, gets to read the 413 instead of a reset; past the bound the connection is cut.
  if (
    isDsbError(err, 'BODY_TOO_LARGE') &&
    !(await drainRequest(req, drainLimitFor(state.server.bodyLimitBytes)))
  )
    res.destroy();
  if (!res.headersSent && !res.destroyed) sendJson(res, error.status, error.toBody(), error.headers);
  else if (!res.writableEnded) {
    res.write(encodeSseEvent({ type: 'error', error: { type: error.type, message: error.message } }));
    res.end();
  }
}
