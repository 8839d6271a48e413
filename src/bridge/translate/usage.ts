// OpenAI usage → Anthropic usage. Anthropic's input_tokens excludes cache reads; Claude Code adds
// input + cache_read (+ cache_creation) to size the conversation, so the split must be right.
// Upstream usage is untrusted: a field of the wrong type (`{}`, a string, a negative or fractional
// number) is ignored, never passed on — Claude Code does arithmetic on these numbers.
import type { Usage } from '../anthropic/schema.js';

/** A token count from an upstream field: a finite non-negative number (truncated), else undefined. */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER
    ? Math.trunc(value)
    : undefined;
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

/**
 * Reads an upstream `usage` object of unknown shape (null, or not an object: no usage), and
 * llama.cpp's `timings` beside it. Prompt tokens the server took from its prompt cache — llama.cpp
 * and vLLM `usage.prompt_tokens_details.cached_tokens`, DeepSeek `prompt_cache_hit_tokens`,
 * llama.cpp `timings.cache_n` (older builds report only that) — become `cache_read_input_tokens`,
 * and `input_tokens` the rest, as Anthropic reports them.
 */
export function convertUsage(
  usage: unknown,
  fallback: { inputTokens: number; outputTokens: number },
  timings?: unknown,
): Usage {
  const raw = asRecord(usage);
  const cachedDetail = tokenCount(asRecord(raw.prompt_tokens_details).cached_tokens);
  const t = asRecord(timings);
  const timingCached = tokenCount(t.cache_n);
  const timingEvaluated = tokenCount(t.prompt_n);
  const timingPrompt =
    timingCached !== undefined && timingEvaluated !== undefined ? timingCached + timingEvaluated : undefined;
  const prompt = tokenCount(raw.prompt_tokens) ?? timingPrompt ?? fallback.inputTokens;
  let cached = Math.min(prompt, cachedDetail ?? tokenCount(raw.prompt_cache_hit_tokens) ?? timingCached ?? 0);
  // Claude Code merges message_delta's usage over message_start's and keeps message_start's
  // input_tokens when the final one is 0: a fully cached prompt would then be counted twice
  // (the whole prompt as input plus the cache read). One token moves to input_tokens instead; the
  // sum, which Claude Code sizes its context from, stays exact.
  if (cached > 0 && cached === prompt) cached--;
  const out: Usage = {
    input_tokens: prompt - cached,
    output_tokens: tokenCount(raw.completion_tokens) ?? fallback.outputTokens,
  };
  if (cached > 0) out.cache_read_input_tokens = cached;
  return out;
}
