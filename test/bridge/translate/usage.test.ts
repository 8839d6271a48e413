// Prompt-cache accounting (issue 14 item 5): every upstream's cached-token figure becomes
// cache_read_input_tokens, input_tokens the rest, and the sum stays the whole prompt.
import { describe, expect, it } from 'vitest';
import { convertUsage, tokenCount } from '../../../src/bridge/translate/usage.js';

const fallback = { inputTokens: 100, outputTokens: 3 };

describe('convertUsage: cached prompt tokens', () => {
  it.each([
    [
      'llama.cpp / vLLM prompt_tokens_details',
      { prompt_tokens: 14533, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 14492 } },
    ],
    [
      'DeepSeek prompt_cache_hit_tokens',
      {
        prompt_tokens: 14533,
        completion_tokens: 2,
        prompt_cache_hit_tokens: 14492,
        prompt_cache_miss_tokens: 41,
      },
    ],
  ])('%s', (_name, usage) => {
    expect(convertUsage(usage, fallback)).toEqual({
      input_tokens: 41,
      cache_read_input_tokens: 14492,
      output_tokens: 2,
    });
  });

  it('llama.cpp timings.cache_n when usage has no details (older builds)', () => {
    expect(
      convertUsage({ prompt_tokens: 273, completion_tokens: 30 }, fallback, { cache_n: 272, prompt_n: 1 }),
    ).toEqual({ input_tokens: 1, cache_read_input_tokens: 272, output_tokens: 30 });
  });

  it('llama.cpp timings alone (no usage at all): the prompt is cache_n + prompt_n', () => {
    expect(convertUsage(undefined, fallback, { cache_n: 272, prompt_n: 1, predicted_n: 30 })).toEqual({
      input_tokens: 1,
      cache_read_input_tokens: 272,
      output_tokens: 3,
    });
  });

  it('usage details win over timings', () => {
    expect(
      convertUsage({ prompt_tokens: 50, prompt_tokens_details: { cached_tokens: 10 } }, fallback, {
        cache_n: 40,
        prompt_n: 10,
      }),
    ).toMatchObject({ input_tokens: 40, cache_read_input_tokens: 10 });
  });

  it('a fully cached prompt keeps one token in input_tokens (Claude Code keeps a 0 as message_start’s value)', () => {
    const usage = convertUsage(
      { prompt_tokens: 500, prompt_tokens_details: { cached_tokens: 500 } },
      fallback,
    );
    expect(usage).toMatchObject({ input_tokens: 1, cache_read_input_tokens: 499 });
  });

  it('no cache figure: the whole prompt is input, no cache_read field', () => {
    expect(convertUsage({ prompt_tokens: 500, completion_tokens: 1 }, fallback)).toEqual({
      input_tokens: 500,
      output_tokens: 1,
    });
  });

  it('junk timings are ignored', () => {
    expect(convertUsage({ prompt_tokens: 5 }, fallback, { cache_n: '4', prompt_n: -1 })).toEqual({
      input_tokens: 5,
      output_tokens: 3,
    });
    expect(convertUsage(undefined, fallback, 'x')).toEqual({ input_tokens: 100, output_tokens: 3 });
  });
});

describe('tokenCount: upstream numbers are untrusted', () => {
  it('a finite non-negative number, truncated; anything else is no figure', () => {
    expect(tokenCount(0)).toBe(0);
    expect(tokenCount(12.9)).toBe(12);
    expect(tokenCount(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    for (const v of [
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.MAX_SAFE_INTEGER + 2,
      '5',
      null,
      undefined,
      {},
    ])
      expect(tokenCount(v)).toBeUndefined();
  });
});

describe('convertUsage: fields of the wrong type fall back', () => {
  it('no usage, or a usage that is not an object: the bridge’s own counts', () => {
    for (const usage of [null, undefined, 'x', 5, []])
      expect(convertUsage(usage, fallback)).toEqual({ input_tokens: 100, output_tokens: 3 });
  });

  it('a bad prompt_tokens or completion_tokens falls back field by field', () => {
    expect(convertUsage({ prompt_tokens: -5, completion_tokens: 7 }, fallback)).toEqual({
      input_tokens: 100,
      output_tokens: 7,
    });
    expect(convertUsage({ prompt_tokens: 20, completion_tokens: '7' }, fallback)).toEqual({
      input_tokens: 20,
      output_tokens: 3,
    });
  });

  it('a cached figure larger than the prompt is capped at the prompt (less the one token kept as input)', () => {
    expect(
      convertUsage({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 50 } }, fallback),
    ).toEqual({
      input_tokens: 1,
      cache_read_input_tokens: 9,
      output_tokens: 3,
    });
  });
});
