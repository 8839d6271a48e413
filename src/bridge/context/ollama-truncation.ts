// Ollama does not fail on a prompt longer than its context (num_ctx): it drops the start of the
// conversation and answers anyway (design.md §4.5). The only trace is the answer's usage: far fewer
// prompt tokens than were sent. PURE: compares the upstream's `usage.prompt_tokens` with the
// bridge's own count and explains the fix.
import { UPSTREAMS } from '../../upstreams/index.js';
import type { UpstreamKind } from '../../upstreams/kind.js';
import { ollama } from '../../upstreams/ollama.js';
import type { TokenCount } from './tokens.js';

export interface TruncationInput {
  ourCount: TokenCount;
  /** `usage.prompt_tokens` of the upstream's answer. */
  upstreamPromptTokens?: number;
  /** The upstream's discovered context, when known. */
  contextSize?: number;
  /** Tailors the advice; Ollama's when absent. */
  kind?: UpstreamKind;
}

export interface TruncationVerdict {
  truncated: boolean;
  message?: string;
}

/**
 * Below these shares of our count the upstream must have dropped tokens. An exact count differs
 * from the server's own by a few tokens; the local DeepSeek tokenizer can be ~20 % off for a model
 * with another tokenizer. An estimate is never trusted for this.
 */
export const EXACT_KEPT_SHARE = 0.9;
export const LOCAL_KEPT_SHARE = 0.75;
/** Differences smaller than this are template noise, not truncation. */
export const MIN_MISSING_TOKENS = 256;

/** A context size to suggest: at least 64K (Claude Code's practical minimum), else the next power of two. */
function suggestedContext(promptTokens: number): number {
  let size = 65_536;
  while (size < promptTokens * 1.25) size *= 2;
  return size;
}

export function detectTruncation(input: TruncationInput): TruncationVerdict {
  const { ourCount, upstreamPromptTokens: theirs, contextSize } = input;
  if (theirs === undefined || !Number.isFinite(theirs) || theirs <= 0) return { truncated: false };
  if (ourCount.method === 'estimate') return { truncated: false };
  const keptShare = ourCount.method === 'upstream' ? EXACT_KEPT_SHARE : LOCAL_KEPT_SHARE;
  const ours = ourCount.tokens;
  if (ours - theirs < MIN_MISSING_TOKENS || theirs >= ours * keptShare) return { truncated: false };
  // Tokens are only dropped when the prompt exceeds the context: if even our count fits a known
  // context, the gap is something else (an older Ollama that reported only uncached tokens).
  if (contextSize !== undefined && ours <= contextSize) return { truncated: false };

  const how = ourCount.detail ?? (ourCount.method === 'upstream' ? 'exact count' : 'local tokenizer count');
  const context =
    contextSize !== undefined ? `${contextSize} tokens` : `about ${theirs} tokens, judging by what it kept`;
  const size = suggestedContext(ours);
  // A kind known to cut prompts silently explains it in its own terms (Ollama's when the kind is unknown).
  const explain = (input.kind ? UPSTREAMS[input.kind] : ollama).silentTruncation;
  if (explain) return { truncated: true, message: explain({ theirs, ours, how, context, size }) };
  return {
    truncated: true,
    message:
      `the upstream processed ${theirs} prompt tokens but the request has ${ours} (${how}): it seems to cut ` +
      `prompts to fit its context (${context}). Start it with a larger context (at least ${size} tokens) and ` +
      'set CLAUDE_CODE_MAX_CONTEXT_TOKENS to match; run `dsb doctor upstream-context`.',
  };
}
