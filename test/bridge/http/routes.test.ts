// The route table and the front door's error handling, without a socket.
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/bridge/anthropic/errors.js';
import { bodyTooLarge } from '../../../src/bridge/http/io.js';
import { findRoute, noRoute, ROUTES, requestPath, toBridgeError } from '../../../src/bridge/http/routes.js';
import { testState } from '../../support/bridge-state.js';

describe('route table', () => {
  it('has one entry per method and path the bridge serves; the admin endpoints need no token', () => {
    const table = ROUTES.flatMap((r) => r.methods.map((m) => `${m} ${r.path}${r.auth ? '' : ' (open)'}`));
    expect(table.sort()).toEqual(
      [
        'GET / (open)',
        'HEAD / (open)',
        'GET /api/hello (open)',
        'HEAD /api/hello (open)',
        'GET /health (open)',
        'GET /metrics (open)',
        'POST /v1/messages',
        'POST /v1/messages/count_tokens',
        'POST /v1/chat/completions',
        'GET /v1/models',
      ].sort(),
    );
  });

  it('finds a route by method and path', () => {
    expect(findRoute('POST', '/v1/messages')?.path).toBe('/v1/messages');
    expect(findRoute('GET', '/v1/messages')).toBeUndefined();
    expect(findRoute('POST', '/health')).toBeUndefined();
  });

  it('another method on an API path is a 405; anything else a 404 that lists the routes', () => {
    expect(noRoute('GET', '/v1/messages').status).toBe(405);
    const notFound = noRoute('POST', '/health');
    expect([notFound.status, notFound.type]).toEqual([404, 'not_found_error']);
    expect(notFound.message).toContain('POST /v1/messages');
  });

  it('reads the path without trailing slashes or query; a target URL cannot parse is undefined', () => {
    expect(requestPath('/v1/messages/?beta=true')).toBe('/v1/messages');
    expect(requestPath('/health/')).toBe('/health');
    expect(requestPath(undefined)).toBe('/');
    expect(requestPath('http://[')).toBeUndefined();
  });
});

describe('toBridgeError', () => {
  const t = testState([{ url: 'http://127.0.0.1:1' }]);

  it('keeps a BridgeError, with any secret in its message redacted, status, headers and code kept', () => {
    const e = toBridgeError(
      t.state,
      new BridgeError(429, 'rate_limit_error', 'key sk-test-secret is rate limited', { 'retry-after': '5' }),
      '/v1/messages',
    );
    expect([e.status, e.type, e.message, e.headers['retry-after'], e.code]).toEqual([
      429,
      'rate_limit_error',
      'key [redacted] is rate limited',
      '5',
      'BRIDGE_ERROR',
    ]);
  });

  it('turns BODY_TOO_LARGE into a 413 that closes the connection', () => {
    const e = toBridgeError(t.state, bodyTooLarge(1024), '/v1/messages');
    expect([e.status, e.type, e.headers.connection]).toEqual([413, 'request_too_large', 'close']);
    expect(e.message).toBe('request body is larger than the limit of 1024 bytes');
  });

  it('answers anything else as a 500 internal error, and logs its stack', () => {
    const e = toBridgeError(t.state, new TypeError('x is undefined'), '/v1/messages');
    expect([e.status, e.message]).toEqual([500, 'internal bridge error: x is undefined']);
    expect(t.lines.at(-1)).toMatchObject({ level: 'warn', message: 'internal error' });
  });
});
