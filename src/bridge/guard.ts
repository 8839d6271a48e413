// What a web page must not be able to do with the bridge (issue 13, design.md §4.8). A page in the
// user's browser can reach 127.0.0.1: by DNS rebinding (its own name resolving to 127.0.0.1, so
// the browser sends `Host: attacker.example`), or by a cross-origin "simple" request (a form POST
// with `Content-Type: text/plain`, which needs no CORS preflight). Claude Code and the SDKs send
// neither an `Origin` header nor a foreign `Host`, and always send `application/json`. So, before
// any route runs:
//   - on a loopback bind, a `Host` that is not the bound address, 127.0.0.1, localhost or [::1]
//     with the bridge's port is refused (403);
//   - a request carrying an `Origin` (or a browser's cross-site `Sec-Fetch-Site`) is refused unless
//     that origin is in `server.allowedOrigins`; allowed origins get CORS headers and preflights;
//   - a POST must be `application/json` (415);
//   - with an auth token configured, /health and /metrics answer loopback peers without it and
//     everyone else only with it.
import type http from 'node:http';
import { isLoopbackHost } from '../config/schema.js';
import { hostForUrl } from '../util/host-for-url.js';
import { BridgeError } from './anthropic/errors.js';
import { clientToken, tokenMatches } from './http/auth.js';

export interface GuardOptions {
  /** The address the bridge was asked to bind (`server.host`). */
  bindHost: string;
  /** Origins (`https://app.example:8443`) allowed to call the bridge from a browser. */
  allowedOrigins: readonly string[];
  authToken: string | undefined;
}

const MONITORING_PATHS = new Set(['/health', '/metrics']);
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** What a browser client of the Anthropic or OpenAI API sends besides the CORS-safelisted headers. */
const ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'x-api-key',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'x-model-override',
  'x-stainless-arch',
  'x-stainless-lang',
  'x-stainless-os',
  'x-stainless-package-version',
  'x-stainless-retry-count',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-timeout',
].join(', ');
const EXPOSED_HEADERS = 'x-dsb-overhead-ms, x-dsb-token-count, x-dsb-warnings, x-dsb-cache, retry-after';

/** `scheme://host[:port]` in the form browsers send in `Origin` (lower case, no default port). */
export function normalizeOrigin(origin: string): string | undefined {
  const parsed = URL.parse(origin.trim());
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) return undefined;
  return parsed.origin;
}

/** Whether the connection comes from this machine (IPv4, IPv6 or IPv4-mapped loopback). */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return plain === '::1' || /^127\.\d+\.\d+\.\d+$/.test(plain);
}

const forbidden = (message: string) => new BridgeError(403, 'permission_error', message);

export class RequestGuard {
  private readonly origins: Set<string>;
  private readonly loopbackBind: boolean;
  private hostNames = new Set<string>();
  private port = 0;

  constructor(private readonly options: GuardOptions) {
    this.origins = new Set(
      options.allowedOrigins.map((o) => normalizeOrigin(o)).filter((o): o is string => o !== undefined),
    );
    this.loopbackBind = isLoopbackHost(options.bindHost);
  }

  /** Called once the server listens: the port (port 0 binds a free one) and address Host must name. */
  listening(address: string, port: number): void {
    this.port = port;
    const names = ['127.0.0.1', 'localhost', '[::1]', this.options.bindHost, address];
    this.hostNames = new Set(names.map((n) => hostForUrl(n.toLowerCase())));
  }

  /**
   * Screens a request before routing: throws a BridgeError (403, 401, 415) to refuse it; returns
   * true when it answered the request itself (a CORS preflight of an allowed origin).
   */
  screen(req: http.IncomingMessage, res: http.ServerResponse, path: string, method: string): boolean {
    this.checkHost(req.headers.host);
    const origin = this.checkOrigin(req);
    if (origin) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      if (method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': ALLOWED_METHODS,
          'access-control-allow-headers': ALLOWED_HEADERS,
          'access-control-max-age': '600',
          'content-length': '0',
        });
        res.end();
        return true;
      }
      res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    }
    if (method === 'POST') checkJson(req.headers['content-type']);
    if (MONITORING_PATHS.has(path) && this.options.authToken && !isLoopbackPeer(req.socket.remoteAddress)) {
      if (!tokenMatches(clientToken(req.headers), this.options.authToken))
        throw new BridgeError(
          401,
          'authentication_error',
          `${path} needs the auth token from another machine`,
        );
    }
    return false;
  }

  private checkHost(host: string | undefined): void {
    // A rebinding page always sends Host; only an HTTP/1.0 client may leave it out.
    if (!this.loopbackBind || host === undefined) return;
    const parsed = URL.parse(`http://${host}`);
    const port = parsed ? (parsed.port === '' ? 80 : Number(parsed.port)) : -1;
    if (!parsed || port !== this.port || !this.hostNames.has(parsed.hostname.toLowerCase())) {
      throw forbidden(
        `Host ${JSON.stringify(host.slice(0, 100))} is not this bridge: on a loopback address dsb answers only requests for 127.0.0.1:${this.port}, localhost:${this.port} or [::1]:${this.port} (a web page using DNS rebinding sends its own name)`,
      );
    }
  }

  /** The allowed origin of a browser request, undefined for a non-browser client; throws if not allowed. */
  private checkOrigin(req: http.IncomingMessage): string | undefined {
    const raw = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if (raw === undefined) {
      if (site === 'cross-site' || site === 'same-site')
        throw forbidden('cross-site browser requests are refused: allow the page with server.allowedOrigins');
      return undefined;
    }
    const origin = normalizeOrigin(raw);
    if (origin === undefined || !this.origins.has(origin)) {
      throw forbidden(
        `requests from the web page origin ${JSON.stringify(raw.slice(0, 200))} are refused: to allow a browser client, add its origin to server.allowedOrigins (or DSB_ALLOWED_ORIGINS)`,
      );
    }
    return origin;
  }
}

function checkJson(contentType: string | undefined): void {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json') return;
  throw new BridgeError(
    415,
    'invalid_request_error',
    `the request body must be sent as Content-Type: application/json${contentType ? ` (got ${JSON.stringify(contentType.slice(0, 100))})` : ''}`,
  );
}
