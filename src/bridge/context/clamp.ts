// The max_tokens plan of design.md §4.5 — PURE.
//   sent = min(requested, output cap, context − prompt − margin)
//   prompt > context − minimum output (− margin unless counted exactly)  →  refuse:
//   `prompt is too long: N tokens > M maximum`; the minimum output is at most MIN_OUTPUT_TOKENS.
// (Claude Code compacts its conversation only on an error worded that way.)
//
// Why a plan is needed at all: Claude Code asks for 32000–128000 output tokens whatever the prompt;
// vLLM and SGLang refuse prompt + max_tokens > context with a 400, and llama.cpp silently runs into
// the end of its context.
import { MIN_OUTPUT_TOKENS } from '../../upstreams/window-advice.js';
import type { TokenCount } from './tokens.js';

export interface OutputPlanInput {
  /** The client's max_tokens (a positive integer). */
  requested: number;
  promptTokens: number;
  method: TokenCount['method'];
  /** Tokens one request may hold; unknown → only min(requested, outputCap). */
  contextSize?: number;
  outputCap?: number;
  /** Tokens kept free besides prompt and output; default by counting method (see `defaultMargin`). */
  margin?: number;
  /** Fewest output tokens worth sending a request for; default `defaultMinOutput(contextSize)`. */
  minOutput?: number;
}

export type OutputPlan =
  | { ok: true; maxTokens: number; clamped: boolean }
  /** `maximum`: the largest prompt that fits (context − margin − minimum output). */
  | { ok: false; promptTokens: number; maximum: number };

/**
 * Margin for an exact count (the upstream tokenized the very request). Small: llama.cpp's
 * apply-template + tokenize path may differ from the server's own tokenization by a BOS token or
 * two, and a few servers add tokens of their own (a thinking prefix) after rendering.
 */
export const EXACT_MARGIN = 64;
/**
 * Margin for the local DeepSeek tokenizer: its per-message template allowance is approximate, and
 * for a model with another tokenizer the content count itself can be off by several percent.
 */
export const LOCAL_MARGIN_BASE = 256;
export const LOCAL_MARGIN_SHARE = 0.05;
/** Margin for the estimate; it already over-counts ASCII text (≈3 characters per token vs 3–4). */
export const ESTIMATE_MARGIN = 64;
/**
 * The estimate is only a guess (it can be 30 % high on code): a prompt is refused on its strength
 * only when the estimate exceeds the context by this factor — the upstream's own overflow error
 * (translated by the bridge) covers the cases in between.
 */
export const ESTIMATE_REFUSAL_FACTOR = 1.5;

export function defaultMargin(method: TokenCount['method'], promptTokens: number): number {
  if (method === 'upstream') return EXACT_MARGIN;
  if (method === 'local') return LOCAL_MARGIN_BASE + Math.ceil(promptTokens * LOCAL_MARGIN_SHARE);
  return ESTIMATE_MARGIN;
}

// The most output room the bridge ever insists on before it refuses a prompt: shared with doctor, so
// it lives with the window advice outside the bridge.
export { MIN_OUTPUT_TOKENS };

/**
 * The fewest output tokens worth a request: an eighth of the context between 256 and
 * MIN_OUTPUT_TOKENS (an 8K test server still answers short prompts). Less room than this makes the
 * bridge refuse with `prompt is too long` so that Claude Code compacts now, instead of a DeepSeek
 * answer stopping at max_tokens and continuations growing the prompt.
 */
export function defaultMinOutput(contextSize: number): number {
  return Math.max(256, Math.min(MIN_OUTPUT_TOKENS, Math.floor(contextSize / 8)));
}

export function planOutputTokens(input: OutputPlanInput): OutputPlan {
  const asked =
    Number.isFinite(input.requested) && input.requested >= 1
      ? Math.floor(input.requested)
      : Number.POSITIVE_INFINITY;
  const cap =
    input.outputCap !== undefined && input.outputCap >= 1
      ? Math.floor(input.outputCap)
      : Number.POSITIVE_INFINITY;
  const bound = Math.min(asked, cap);
  const prompt = Math.max(0, Math.ceil(input.promptTokens));
  const finish = (maxTokens: number): OutputPlan =>
    Number.isFinite(maxTokens)
      ? { ok: true, maxTokens, clamped: maxTokens < asked }
      : // Nothing bounds it (no valid request value, cap or context): pass the request through.
        { ok: true, maxTokens: input.requested, clamped: false };

  const context = input.contextSize;
  if (context === undefined || !Number.isFinite(context) || context < 1) return finish(bound);

  const margin = Math.max(0, input.margin ?? defaultMargin(input.method, prompt));
  // Never demand more room than the client asked for (a `max_tokens: 1` probe must not be refused).
  const minOutput = Math.max(1, Math.min(input.minOutput ?? defaultMinOutput(context), bound));
  // The largest prompt that fits. With the local count the margin grows with the prompt, so it is
  // taken at that boundary prompt, not at this one: M stays the same whatever N is.
  // An exact count is the server's own tokenization: the margin is kept while there is room, but a
  // prompt is refused only when the server itself could not give it the minimum output.
  const exact = input.method === 'upstream' && input.margin === undefined;
  const maximum = exact
    ? Math.max(0, context - minOutput)
    : input.margin === undefined && input.method === 'local'
      ? Math.max(0, Math.floor((context - LOCAL_MARGIN_BASE - minOutput) / (1 + LOCAL_MARGIN_SHARE)))
      : Math.max(0, context - margin - minOutput);
  const room = context - prompt - margin;

  if (input.method === 'estimate') {
    if (prompt > context * ESTIMATE_REFUSAL_FACTOR) return { ok: false, promptTokens: prompt, maximum };
    // The estimate over-counts, so `room` understates what is left; never go below the minimum.
    return finish(Math.min(bound, Math.max(room, minOutput)));
  }
  if (prompt > maximum) return { ok: false, promptTokens: prompt, maximum };
  return finish(Math.min(bound, exact ? Math.max(room, minOutput) : room));
}
