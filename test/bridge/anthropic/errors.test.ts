import { describe, expect, it } from 'vitest';
import {
  BridgeError,
  errorBody,
  errorTypeForStatus,
  promptTooLongError,
} from '../../../src/bridge/anthropic/errors.js';

describe('errorTypeForStatus', () => {
  it.each([
    [400, 'invalid_request_error'],
    [422, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [429, 'rate_limit_error'],
    [503, 'overloaded_error'],
    [529, 'overloaded_error'],
    [409, 'invalid_request_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [200, 'api_error'],
  ])('%i → %s', (status, type) => {
    expect(errorTypeForStatus(status)).toBe(type);
  });
});

describe('BridgeError', () => {
  it('its body is the Messages API error shape', () => {
    const err = new BridgeError(429, 'rate_limit_error', 'slow down', { 'retry-after': '3' });
    expect(err.toBody()).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'slow down' },
    });
    expect(errorBody('api_error', 'x')).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'x' },
    });
    expect(err.code).toBe('BRIDGE_ERROR');
    expect(err.name).toBe('BridgeError');
  });

  it('withMessage keeps status, type, headers and code; the same message gives the same error', () => {
    const err = promptTooLongError(10, 5);
    expect(err.withMessage(err.message)).toBe(err);
    const other = err.withMessage('[redacted]');
    expect(other).not.toBe(err);
    expect(other).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'PROMPT_TOO_LONG',
      message: '[redacted]',
    });
    expect(other.headers).toEqual(err.headers);
  });

  it('prompt-too-long uses the exact wording Claude Code compacts on', () => {
    expect(promptTooLongError(70000, 65536).message).toBe('prompt is too long: 70000 tokens > 65536 maximum');
  });
});
