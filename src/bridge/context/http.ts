// Small, time-boxed JSON calls to an upstream for discovery and token counting. They never throw:
// a network error, a timeout or a body that is not JSON comes back as a result the caller can
// reason about (404/501 mean "this server does not have that endpoint").
import type { Upstream } from '../upstream.js';

/** What discovery and counting need from an upstream: a real `Upstream`, or a test fake. */
export type UpstreamLike = Pick<Upstream, 'getJson' | 'request' | 'config' | 'url'>;

export type JsonResult =
  | { ok: true; status: number; json: unknown }
  /** `status` is 0 when no HTTP answer arrived (refused, reset, timed out, aborted). */
  | { ok: false; status: number; json?: unknown; timedOut?: boolean; error?: string };

/** Endpoint absent on this server (and will stay absent until it is replaced). */
export function isUnsupportedStatus(status: number): boolean {
  return status === 404 || status === 405 || status === 501;
}

/**
 * POSTs a JSON body and reads a JSON answer within `timeoutMs` (or until `signal` aborts). A string
 * `body` is taken as JSON already serialized (these calls never send a bare JSON string).
 */
export async function postJson(
  upstream: UpstreamLike,
  path: string,
  body: unknown,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<JsonResult> {
  // undici wants whole milliseconds. One timer, cleared when the answer is in: this runs before
  // every streamed request (token counting), and AbortSignal.timeout would leave a timer per call
  // running (and an AbortError built when it fires) long after the answer arrived.
  const ms = Math.max(1, Math.ceil(options.timeoutMs));
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  const outer = options.signal;
  const forwardAbort = () => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener('abort', forwardAbort, { once: true });
  try {
    const res = await upstream.request('POST', path, typeof body === 'string' ? body : JSON.stringify(body), {
      signal: controller.signal,
      headersTimeoutMs: ms,
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300 && json !== undefined)
      return { ok: true, status: res.status, json };
    return { ok: false, status: res.status, json };
  } catch (err) {
    return { ok: false, status: 0, timedOut, error: (err as Error)?.message ?? String(err) };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', forwardAbort);
  }
}

export { positiveInt } from '../../upstreams/json.js';
export { isRecord } from '../../util/is-record.js';
