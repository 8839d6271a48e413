import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/bridge/anthropic/errors.js';
import { isLoopbackPeer, normalizeOrigin, RequestGuard } from '../../src/bridge/guard.js';

const TOKEN = 'bridge-token-0123456789';

/** A request as the guard reads it: headers and the peer's address. */
const request = (headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
  ({ headers, socket: { remoteAddress } }) as unknown as http.IncomingMessage;

/** A response that records the headers set and what was written. */
function response() {
  const set: Record<string, string> = {};
  const res = {
    set,
    status: 0,
    ended: false,
    setHeader(k: string, v: string) {
      set[k] = v;
    },
    writeHead(status: number, headers: Record<string, string>) {
      res.status = status;
      Object.assign(set, headers);
    },
    end() {
      res.ended = true;
    },
  };
  return res;
}
const asRes = (r: ReturnType<typeof response>) => r as unknown as http.ServerResponse;

/** The BridgeError `fn` throws (the test fails if it throws nothing). */
function refusal(fn: () => unknown): BridgeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError);
    return err as BridgeError;
  }
  throw new Error('expected a refusal');
}

describe('/health and /metrics with a token configured', () => {
  it('ask any other peer for the token (x-api-key or Bearer)', () => {
    const guard = new RequestGuard({ bindHost: '0.0.0.0', allowedOrigins: [], authToken: TOKEN });
    guard.listening('0.0.0.0', 3000);
    const req = (remoteAddress: string, headers: Record<string, string> = {}) =>
      ({
        headers: { host: '192.168.1.5:3000', ...headers },
        socket: { remoteAddress },
      }) as unknown as http.IncomingMessage;
    const res = { setHeader() {} } as unknown as http.ServerResponse;
    for (const path of ['/health', '/metrics']) {
      expect(() => guard.screen(req('192.168.1.7'), res, path, 'GET')).toThrow(/auth token/);
      expect(() => guard.screen(req('::ffff:10.0.0.2'), res, path, 'GET')).toThrow(/auth token/);
      expect(guard.screen(req('192.168.1.7', { 'x-api-key': TOKEN }), res, path, 'GET')).toBe(false);
      expect(guard.screen(req('192.168.1.7', { authorization: `Bearer ${TOKEN}` }), res, path, 'GET')).toBe(
        false,
      );
      expect(guard.screen(req('127.0.0.1'), res, path, 'GET')).toBe(false);
      expect(guard.screen(req('::ffff:127.0.0.1'), res, path, 'GET')).toBe(false);
      expect(guard.screen(req('::1'), res, path, 'GET')).toBe(false);
    }
  });
});

describe('normalizeOrigin and isLoopbackPeer', () => {
  it('an origin in the form browsers send: lower case, default port dropped, http(s) only', () => {
    expect(normalizeOrigin(' HTTPS://App.Example:443/path ')).toBe('https://app.example');
    expect(normalizeOrigin('http://app.example:8080')).toBe('http://app.example:8080');
    expect(normalizeOrigin('file:///etc/passwd')).toBeUndefined();
    expect(normalizeOrigin('null')).toBeUndefined();
  });

  it('loopback peers: 127/8, ::1 and IPv4-mapped; nothing else', () => {
    for (const a of ['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackPeer(a)).toBe(true);
    for (const a of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '127.0.0.1.evil', '::2'])
      expect(isLoopbackPeer(a)).toBe(false);
  });
});

describe('RequestGuard.screen', () => {
  const loopback = (allowedOrigins: string[] = []) => {
    const guard = new RequestGuard({ bindHost: '127.0.0.1', allowedOrigins, authToken: undefined });
    guard.listening('127.0.0.1', 4000);
    return guard;
  };

  it('on a loopback bind, accepts the loopback names with its port; a missing Host (HTTP/1.0) passes', () => {
    const guard = loopback();
    for (const host of ['127.0.0.1:4000', 'localhost:4000', 'LOCALHOST:4000', '[::1]:4000']) {
      expect(guard.screen(request({ host }), asRes(response()), '/health', 'GET')).toBe(false);
    }
    expect(guard.screen(request({}), asRes(response()), '/health', 'GET')).toBe(false);
  });

  it('refuses a foreign Host, another port, or an implied port 80 with a 403', () => {
    const guard = loopback();
    for (const host of ['attacker.example:4000', '127.0.0.1:4001', '127.0.0.1', 'a b']) {
      const err = refusal(() => guard.screen(request({ host }), asRes(response()), '/health', 'GET'));
      expect(err.status).toBe(403);
      expect(err.type).toBe('permission_error');
    }
  });

  it('an IPv6 bind address is accepted in brackets', () => {
    const guard = new RequestGuard({ bindHost: '::1', allowedOrigins: [], authToken: undefined });
    guard.listening('::1', 4000);
    expect(guard.screen(request({ host: '[::1]:4000' }), asRes(response()), '/', 'GET')).toBe(false);
  });

  it('a non-loopback bind does not check Host', () => {
    const guard = new RequestGuard({ bindHost: '0.0.0.0', allowedOrigins: [], authToken: undefined });
    guard.listening('0.0.0.0', 4000);
    expect(guard.screen(request({ host: 'box.lan:4000' }), asRes(response()), '/', 'GET')).toBe(false);
  });

  it('refuses an Origin not allowed, and a cross-site or same-site fetch without one', () => {
    const guard = loopback(['https://app.example:8443']);
    const host = '127.0.0.1:4000';
    expect(
      refusal(() =>
        guard.screen(request({ host, origin: 'https://evil.example' }), asRes(response()), '/', 'GET'),
      ).status,
    ).toBe(403);
    expect(
      refusal(() => guard.screen(request({ host, origin: 'garbage' }), asRes(response()), '/', 'GET')).status,
    ).toBe(403);
    for (const site of ['cross-site', 'same-site'])
      expect(
        refusal(() => guard.screen(request({ host, 'sec-fetch-site': site }), asRes(response()), '/', 'GET'))
          .status,
      ).toBe(403);
    // same-origin and none (typed in the address bar) are the user's own requests.
    expect(guard.screen(request({ host, 'sec-fetch-site': 'none' }), asRes(response()), '/', 'GET')).toBe(
      false,
    );
  });

  it('an allowed origin (matched in normalized form) gets CORS headers, and its preflight is answered', () => {
    const guard = loopback(['HTTPS://APP.EXAMPLE:8443/']);
    const host = '127.0.0.1:4000';
    const res = response();
    const origin = 'https://app.example:8443';
    expect(
      guard.screen(
        request({ host, origin, 'content-type': 'application/json' }),
        asRes(res),
        '/v1/messages',
        'POST',
      ),
    ).toBe(false);
    expect(res.set['access-control-allow-origin']).toBe(origin);
    expect(res.set.vary).toBe('Origin');
    expect(res.set['access-control-expose-headers']).toContain('x-dsb-warnings');
    expect(res.ended).toBe(false);
    const pre = response();
    expect(guard.screen(request({ host, origin }), asRes(pre), '/v1/messages', 'OPTIONS')).toBe(true);
    expect(pre.status).toBe(204);
    expect(pre.ended).toBe(true);
    expect(pre.set['access-control-allow-headers']).toContain('x-api-key');
    expect(pre.set['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
  });

  it('a POST must be application/json (parameters allowed), else 415 naming what was sent', () => {
    const guard = loopback();
    const host = '127.0.0.1:4000';
    expect(
      guard.screen(
        request({ host, 'content-type': 'Application/JSON; charset=utf-8' }),
        asRes(response()),
        '/v1/messages',
        'POST',
      ),
    ).toBe(false);
    const plain = refusal(() =>
      guard.screen(
        request({ host, 'content-type': 'text/plain' }),
        asRes(response()),
        '/v1/messages',
        'POST',
      ),
    );
    expect(plain.status).toBe(415);
    expect(plain.message).toContain('(got "text/plain")');
    const none = refusal(() => guard.screen(request({ host }), asRes(response()), '/v1/messages', 'POST'));
    expect(none.status).toBe(415);
    expect(none.message).not.toContain('got');
    // GET carries no body: no content type needed.
    expect(guard.screen(request({ host }), asRes(response()), '/v1/models', 'GET')).toBe(false);
  });

  it('without a token, /health answers any peer; with one, only other paths are left to the routes', () => {
    const open = new RequestGuard({ bindHost: '0.0.0.0', allowedOrigins: [], authToken: undefined });
    open.listening('0.0.0.0', 3000);
    expect(open.screen(request({ host: 'x:3000' }, '10.0.0.9'), asRes(response()), '/health', 'GET')).toBe(
      false,
    );
    const locked = new RequestGuard({ bindHost: '0.0.0.0', allowedOrigins: [], authToken: TOKEN });
    locked.listening('0.0.0.0', 3000);
    expect(
      locked.screen(request({ host: 'x:3000' }, '10.0.0.9'), asRes(response()), '/v1/models', 'GET'),
    ).toBe(false);
    expect(
      refusal(() =>
        locked.screen(request({ host: 'x:3000' }, '10.0.0.9'), asRes(response()), '/metrics', 'GET'),
      ).status,
    ).toBe(401);
  });
});
