// The bridge's client authentication (design.md §4.8): a shared token, sent the way Claude Code
// sends ANTHROPIC_AUTH_TOKEN (Authorization: Bearer) or ANTHROPIC_API_KEY (x-api-key).
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { BridgeError } from '../anthropic/errors.js';

/** Constant-time token check: hashing first makes the comparison independent of the token's length. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a client sent: `x-api-key`, else a bearer `Authorization`. */
export function clientToken(headers: http.IncomingHttpHeaders): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '');
  return undefined;
}

/** Throws the 401 when a token is configured and the request does not carry it. */
export function checkAuth(headers: http.IncomingHttpHeaders, expected: string | undefined): void {
  if (!expected || tokenMatches(clientToken(headers), expected)) return;
  throw new BridgeError(
    401,
    'authentication_error',
    'missing or wrong auth token: send it as x-api-key or Authorization: Bearer (ANTHROPIC_AUTH_TOKEN in Claude Code)',
    { 'x-should-retry': 'false' },
  );
}
