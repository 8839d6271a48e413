import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/probe/bridge-client.js';
import { judgeOverflowAnswer, PROMPT_TOO_LONG, refusalCounts } from '../../src/probe/overflow.js';

const exchange = (over: Partial<Exchange>): Exchange => ({
  headers: {},
  events: [],
  times: [],
  text: '',
  startMs: 0,
  endMs: 1,
  ...over,
});
const NOTE = '9000-token prompt (context 4096, from bridge GET /health)';
const REFUSAL = 'prompt is too long: 9000 tokens > 4096 maximum';

describe('refusalCounts', () => {
  it('reads N and M of "prompt is too long: N tokens > M maximum"', () => {
    expect(refusalCounts('prompt is too long: 61321 tokens > 58270 maximum')).toEqual({
      tokens: 61321,
      limit: 58270,
    });
    expect(refusalCounts('context length exceeded')).toBeUndefined();
    expect(PROMPT_TOO_LONG.test(REFUSAL)).toBe(true);
  });
});

describe('judgeOverflowAnswer', () => {
  it('accepts a 400 invalid_request_error in the wording Claude Code compacts on', () => {
    const json = { type: 'error', error: { type: 'invalid_request_error', message: REFUSAL } };
    expect(judgeOverflowAnswer(exchange({ status: 400, json }), NOTE)).toEqual({
      problems: [],
      refusal: REFUSAL,
    });
  });

  it('names a wrong status, a wrong error type and a wrong wording', () => {
    const json = { type: 'error', error: { type: 'api_error', message: 'too big' } };
    expect(judgeOverflowAnswer(exchange({ status: 413, json }), NOTE)).toEqual({
      problems: [
        'HTTP 413 (expected 400): too big',
        'message "too big" is not "prompt is too long: N tokens > M maximum" (Claude Code compacts only on that wording)',
      ],
      refusal: 'too big',
    });
    expect(judgeOverflowAnswer(exchange({ status: 400, json }), NOTE).problems[0]).toBe(
      'error type "api_error", expected invalid_request_error',
    );
  });

  it('a refusal sent as an error event after HTTP 200, and an accepted prompt, both fail', () => {
    const errorEvent = {
      event: 'error',
      data: { type: 'error', error: { type: 'invalid_request_error', message: REFUSAL } },
    };
    expect(judgeOverflowAnswer(exchange({ status: 200, events: [errorEvent] }), NOTE).problems[0]).toMatch(
      /^the refusal came as an error event after HTTP 200/,
    );
    expect(judgeOverflowAnswer(exchange({ status: 200 }), NOTE).problems[0]).toBe(
      `the bridge did not refuse a ${NOTE}: HTTP 200. It must answer 400 "prompt is too long: N tokens > M maximum" (Claude Code compacts only on that)`,
    );
  });

  it('no answer: abandoned after the wait, or the transport error', () => {
    expect(judgeOverflowAnswer(exchange({ abandoned: true }), NOTE).problems[0]).toMatch(
      /^no answer within 20 s to a 9000-token/,
    );
    expect(judgeOverflowAnswer(exchange({ transportError: 'reset' }), NOTE)).toEqual({ problems: ['reset'] });
  });
});
