import { describe, expect, it } from 'vitest';
import { detectTruncation, type TruncationInput } from '../../../src/bridge/context/ollama-truncation.js';
import { fixtureJson } from '../../support/fake-upstream/index.js';

const local = (tokens: number) => ({
  tokens,
  method: 'local' as const,
  detail: 'DeepSeek V3 tokenizer (local)',
});
const exact = (tokens: number) => ({ tokens, method: 'upstream' as const });

describe('detectTruncation', () => {
  const table: Array<[string, TruncationInput, boolean]> = [
    [
      "Ollama's 4K default under Claude Code's 20K first prompt",
      { ourCount: local(20000), upstreamPromptTokens: 4096 },
      true,
    ],
    ['exact count, 10 % short', { ourCount: exact(40000), upstreamPromptTokens: 32768 }, true],
    [
      'exact count, a few tokens of template difference',
      { ourCount: exact(10000), upstreamPromptTokens: 9950 },
      false,
    ],
    [
      'local count 20 % high: tokenizer difference, not truncation',
      { ourCount: local(10000), upstreamPromptTokens: 8000 },
      false,
    ],
    [
      'an estimate is never evidence',
      { ourCount: { tokens: 30000, method: 'estimate' }, upstreamPromptTokens: 4096 },
      false,
    ],
    ['no usage in the answer', { ourCount: local(30000) }, false],
    ['small prompts: the gap is template noise', { ourCount: local(300), upstreamPromptTokens: 60 }, false],
    [
      'our count fits the known context: nothing can have been dropped (older Ollama counted only uncached tokens)',
      { ourCount: local(20000), upstreamPromptTokens: 3000, contextSize: 32768 },
      false,
    ],
    [
      'our count exceeds the known context',
      { ourCount: local(20000), upstreamPromptTokens: 4000, contextSize: 4096 },
      true,
    ],
  ];
  it.each(table)('%s', (_name, input, truncated) => {
    expect(detectTruncation(input).truncated).toBe(truncated);
  });

  it('recorded llama-server: input_tokens (17) equals usage.prompt_tokens of the same prompt (05)', () => {
    const counted = fixtureJson('17_chat_input_tokens.body').input_tokens as number;
    const usage = fixtureJson('05_chat_greedy.body').usage as { prompt_tokens: number };
    expect(counted).toBe(usage.prompt_tokens);
    // With a cached prefix (06: cached_tokens 55) prompt_tokens is still the whole prompt.
    const cachedUsage = fixtureJson('06_chat_sampled.body').usage as { prompt_tokens: number };
    const verdict = detectTruncation({
      ourCount: exact(counted),
      upstreamPromptTokens: cachedUsage.prompt_tokens,
      contextSize: 8192,
    });
    expect(verdict.truncated).toBe(false);
  });

  it('names both numbers, the context and the fix', () => {
    const { message } = detectTruncation({
      ourCount: local(20000),
      upstreamPromptTokens: 4096,
      contextSize: 4096,
    });
    expect(message).toContain('4096');
    expect(message).toContain('20000');
    expect(message).toContain('OLLAMA_CONTEXT_LENGTH=65536');
    expect(message).toContain('PARAMETER num_ctx 65536');
    expect(message).toContain('CLAUDE_CODE_MAX_CONTEXT_TOKENS');
  });

  it('suggests a context that holds the prompt', () => {
    const { message } = detectTruncation({ ourCount: local(120000), upstreamPromptTokens: 8192 });
    expect(message).toContain('OLLAMA_CONTEXT_LENGTH=262144');
  });

  it('for another kind of server, advice without Ollama settings', () => {
    const verdict = detectTruncation({ ourCount: exact(50000), upstreamPromptTokens: 16000, kind: 'openai' });
    expect(verdict.truncated).toBe(true);
    expect(verdict.message).toContain('16000');
    expect(verdict.message).not.toContain('OLLAMA_CONTEXT_LENGTH');
  });
});
