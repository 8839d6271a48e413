// OpenAI usage → Anthropic usage. Anthropic's input_tokens excludes cache reads; Claude Code adds
// input + cache_read (+ cache_creation) to size the conversation, so the split must be right.
import type { Usage } from '../anthropic/schema.js';
import type { ChatUsage } from '../openai/types.js';

export function convertUsage(
  usage: ChatUsage | null | undefined,
  fallback: { inputTokens: number; outputTokens: number },
): Usage {
  const prompt = usage?.prompt_tokens ?? fallback.inputTokens;
  const cached = Math.min(
    prompt,
    usage?.prompt_tokens_details?.cached_tokens ?? usage?.prompt_cache_hit_tokens ?? 0,
  );
  const out: Usage = {
    input_tokens: prompt - cached,
    output_tokens: usage?.completion_tokens ?? fallback.outputTokens,
  };
  if (cached > 0) out.cache_read_input_tokens = cached;
  return out;
}
