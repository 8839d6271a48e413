import { describe, expect, it } from 'vitest';
import { BridgeError, promptTooLongError } from '../src/bridge/anthropic/errors.js';
import { SseLineTooLongError } from '../src/bridge/openai/sse-decoder.js';
import { DsbError, exitCodeFor, isDsbError } from '../src/errors.js';

describe('DsbError', () => {
  it('carries a stable code, the message, an optional cause and details', () => {
    const cause = new Error('low level');
    const e = new DsbError('CONFIG_INVALID', 'server.port: expected number', {
      cause,
      details: { file: 'x' },
    });
    expect([e.code, e.message, e.cause, e.details, e instanceof Error]).toEqual([
      'CONFIG_INVALID',
      'server.port: expected number',
      cause,
      { file: 'x' },
      true,
    ]);
  });

  it('isDsbError checks the class and, when given, the code', () => {
    expect(isDsbError(new DsbError('USAGE', 'x'))).toBe(true);
    expect(isDsbError(new DsbError('USAGE', 'x'), 'CONFIG_INVALID', 'USAGE')).toBe(true);
    expect(isDsbError(new DsbError('USAGE', 'x'), 'CONFIG_INVALID')).toBe(false);
    expect(isDsbError(Object.assign(new Error('x'), { code: 'USAGE' }))).toBe(false);
  });

  it("the bridge's errors are DsbErrors: decisions go by code, not by message text", () => {
    expect(promptTooLongError(10, 5).code).toBe('PROMPT_TOO_LONG');
    expect(new BridgeError(502, 'api_error', 'prompt is too long: fake').code).toBe('BRIDGE_ERROR');
    expect(isDsbError(new SseLineTooLongError(10), 'SSE_LINE_TOO_LONG')).toBe(true);
  });

  it('maps codes to exit codes in one place: input errors 2, failures 1, anything else not ours', () => {
    expect(exitCodeFor(new DsbError('CONFIG_INVALID', 'x'))).toBe(2);
    expect(exitCodeFor(new DsbError('USAGE', 'x'))).toBe(2);
    expect(exitCodeFor(new DsbError('UNKNOWN_CHECK', 'x'))).toBe(2);
    expect(exitCodeFor(new DsbError('LAUNCH_USAGE', 'x'))).toBe(2);
    expect(exitCodeFor(new DsbError('LAUNCH_FAILED', 'x'))).toBe(1);
    expect(exitCodeFor(new TypeError('bug'))).toBeUndefined();
  });
});
