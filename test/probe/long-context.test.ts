import { describe, expect, it } from 'vitest';
import { countLines, fitOutcome } from '../../src/probe/long-context.js';

describe('countLines', () => {
  it('counts lines as an editor does, whatever the line ends', () => {
    expect(countLines('')).toBe(0);
    expect(countLines('one')).toBe(1);
    expect(countLines('one\n')).toBe(1);
    expect(countLines('a\r\nb\rc\n')).toBe(3);
    expect(countLines('a\n\n')).toBe(2);
  });
});

describe('fitOutcome', () => {
  it('fit when the answer ended on its own and prompt + max_tokens fits the context', () => {
    expect(fitOutcome({ stopReason: 'end_turn', outputTokens: 12 }, 1000, 8192, 4096)).toEqual({
      outcome: 'fit',
      okSummary: 'fit (1000 prompt tokens / 8192 context), answered in 12 tokens',
    });
  });

  it('clamped when the answer stopped at max_tokens', () => {
    expect(fitOutcome({ stopReason: 'max_tokens', outputTokens: 7 }, undefined, undefined, 4096)).toEqual({
      outcome: 'clamped',
      okSummary: 'clamped (? prompt tokens / ? context): the answer stopped at max_tokens after 7 tokens',
    });
  });

  it('clamped when prompt + max_tokens exceeds the context', () => {
    expect(fitOutcome({ stopReason: 'end_turn' }, 6000, 8192, 4096)).toEqual({
      outcome: 'clamped',
      okSummary:
        'fit with max_tokens clamped (6000 prompt tokens / 8192 context: prompt + max_tokens 4096 > context)',
    });
  });
});
