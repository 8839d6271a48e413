import { describe, expect, it } from 'vitest';
import { checkAuth, clientToken, tokenMatches } from '../../../src/bridge/http/auth.js';

describe('auth', () => {
  it('takes the token from x-api-key, else from a bearer Authorization header', () => {
    expect(clientToken({ 'x-api-key': 'k1', authorization: 'Bearer k2' })).toBe('k1');
    expect(clientToken({ authorization: 'bearer   k2' })).toBe('k2');
    expect(clientToken({ authorization: 'Basic abc' })).toBeUndefined();
    expect(clientToken({})).toBeUndefined();
  });

  it('compares tokens of any length without throwing', () => {
    expect(tokenMatches('secret', 'secret')).toBe(true);
    expect(tokenMatches('secre', 'secret')).toBe(false);
    expect(tokenMatches(undefined, 'secret')).toBe(false);
  });

  it('lets everything through without a configured token; else a 401 that Claude Code does not retry', () => {
    expect(() => checkAuth({}, undefined)).not.toThrow();
    expect(() => checkAuth({ 'x-api-key': 'tok' }, 'tok')).not.toThrow();
    try {
      checkAuth({ 'x-api-key': 'nope' }, 'tok');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({
        status: 401,
        type: 'authentication_error',
        headers: { 'x-should-retry': 'false' },
      });
    }
  });
});
