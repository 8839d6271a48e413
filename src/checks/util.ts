// Small helpers shared by the checks: HTTP probes that never throw, JSON access, URL parts.
import type { HttpRequestOptions, HttpResponse } from '../system/context.js';
import { isRecord as isObject } from '../util/is-record.js';
import type { CheckContext } from './types.js';

export type HttpAttempt =
  | { ok: true; response: HttpResponse; ms: number }
  | { ok: false; reason: 'refused' | 'timeout' | 'dns' | 'reset' | 'other'; message: string; ms: number };

/** Short timeout for "is anything there" probes: a refused connection is instant, a black hole is not. */
export const PROBE_TIMEOUT_MS = 2_000;

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; name?: string; cause?: unknown; errors?: unknown[] };
  if (!e || typeof e !== 'object') return undefined;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'TIMEOUT';
  if (typeof e.code === 'string' && e.code !== 'ERR_INVALID_ARG_TYPE') return e.code;
  if (e.cause) return errorCode(e.cause);
  if (Array.isArray(e.errors) && e.errors.length) return errorCode(e.errors[0]);
  return undefined;
}

export function describeNetworkError(err: unknown): {
  reason: Exclude<HttpAttempt, { ok: true }>['reason'];
  message: string;
} {
  const code = errorCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return { reason: 'refused', message: 'connection refused (nothing listens on that port)' };
    case 'TIMEOUT':
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { reason: 'timeout', message: 'no answer before the timeout' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { reason: 'dns', message: 'host name does not resolve' };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return { reason: 'reset', message: 'connection closed by the other side' };
    default:
      return { reason: 'other', message: err instanceof Error ? err.message : String(err) };
  }
}

export async function tryHttp(
  ctx: CheckContext,
  url: string,
  options: HttpRequestOptions = {},
): Promise<HttpAttempt> {
  const started = ctx.system.now();
  try {
    const response = await ctx.system.http(url, { timeoutMs: PROBE_TIMEOUT_MS, ...options });
    return { ok: true, response, ms: ctx.system.now() - started };
  } catch (err) {
    return { ok: false, ...describeNetworkError(err), ms: ctx.system.now() - started };
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function jsonOf(attempt: HttpAttempt): unknown {
  return attempt.ok && attempt.response.status < 400 ? parseJson(attempt.response.body) : undefined;
}

export type Json = Record<string, unknown>;
export { isObject };
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Follows a path of keys / indices; undefined when any step is missing. */
export function pick(value: unknown, ...path: Array<string | number>): unknown {
  let cur: unknown = value;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[key];
    } else {
      if (!isObject(cur)) return undefined;
      cur = cur[key];
    }
  }
  return cur;
}

/** An upstream error body's message (OpenAI `{error:{message}}`, Ollama `{error:"…"}`, vLLM `{message}`). */
export function errorMessageOf(body: string): string | undefined {
  const json = parseJson(body);
  return (
    str(pick(json, 'error', 'message')) ??
    str(pick(json, 'error')) ??
    str(pick(json, 'message')) ??
    str(pick(json, 'detail'))
  );
}

/** Base URL without trailing slashes and without a trailing `/v1` (users often paste the OpenAI base). */
export function normalizeBaseUrl(raw: string): string {
  let url = raw.trim().replace(/\/+$/, '');
  if (/\/v1$/i.test(url)) url = url.slice(0, -3);
  return url;
}

export interface UrlParts {
  host: string;
  port: number;
  protocol: 'http:' | 'https:';
}

export function urlParts(url: string): UrlParts | undefined {
  try {
    const u = new URL(url);
    const protocol = u.protocol === 'https:' ? 'https:' : 'http:';
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = u.port ? Number(u.port) : protocol === 'https:' ? 443 : 80;
    return { host, port, protocol };
  } catch {
    return undefined;
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function formatTokens(n: number): string {
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K (${n})`;
  return n >= 1000 ? `${Math.round(n / 100) / 10}K (${n})` : String(n);
}

export function formatBytes(n: number): string {
  const gib = n / 1024 ** 3;
  if (gib >= 1) return `${gib.toFixed(1)} GiB`;
  return `${(n / 1024 ** 2).toFixed(0)} MiB`;
}

/** The executable's search on PATH: `which -a` on POSIX, `where.exe` on Windows. */
export async function whichAll(ctx: CheckContext, name: string): Promise<string[]> {
  const win = ctx.system.platform === 'win32';
  const r = await ctx.system.exec(win ? 'where.exe' : 'which', win ? [name] : ['-a', name], {
    timeoutMs: 3_000,
  });
  if (r.exitCode !== 0) return [];
  return [
    ...new Set(
      r.stdout
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
}
