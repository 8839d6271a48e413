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

/** Reads an upstream `usage` object of unknown shape (null, or not an object: no usage). */
export function convertUsage(usage: unknown, fallback: { inputTokens: number; outputTokens: number }): Usage {
  const raw = typeof usage === 'object' && usage !== null ? (usage as Record<string, unknown>) : {};
  const details = raw.prompt_tokens_details;
  const cachedDetail =
    typeof details === 'object' && details !== null
      ? tokenCount((details as Record<string, unknown>).cached_tokens)
      : undefined;
  const prompt = tokenCount(raw.prompt_tokens) ?? fallback.inputTokens;
  const cached = Math.min(prompt, cachedDetail ?? tokenCount(raw.prompt_cache_hit_tokens) ?? 0);
  const out: Usage = {
    input_tokens: prompt - cached,
    output_tokens: tokenCount(raw.completion_tokens) ?? fallback.outputTokens,
  };
  if (cached > 0) out.cache_read_input_tokens = cached;
  return out;
}
