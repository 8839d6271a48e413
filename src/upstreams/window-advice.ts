// Is an upstream's per-request context enough for Claude Code, and if not, why and what fixes it —
// PURE. `dsb serve` logs it at start-up, `/health` reports it per upstream, the bridge's refusal
// log uses it, and doctor's upstream-context check shares the numbers (issue #14). It lives here,
// outside the bridge, because both the bridge and doctor need it (issue #12).
import { UPSTREAMS } from './index.js';
import type { UpstreamFacts } from './types.js';

/**
 * The most output room the bridge ever insists on before it refuses a prompt (issue #14): a prompt
 * the server would take while leaving this much (or the request's max_tokens, if smaller) is
 * always sent. It used to be an eighth of the context up to 4096 tokens, so a 16K llama.cpp slot
 * (`-np 4 -c 65536`) refused Claude Code's ~14.3K-token prompts that the server would still have
 * answered with 2K tokens to spare, and Claude Code dead-ended ("Context limit reached",
 * "/compact: Not enough messages to compact"). The bridge's output plan (bridge/context/clamp.ts)
 * uses it; doctor's upstream-context check names it.
 */
export const MIN_OUTPUT_TOKENS = 1024;

/**
 * Claude Code 2.1.331's fixed prompt (system prompt + tool definitions) before the user's first
 * word: ~14.1K tokens, measured with the real CLI against a real llama-server (issue #14: its
 * requests were 14,314 tokens by turn 5 of a session on a 16K slot; design.md §6 "about 14K").
 */
export const CLAUDE_CODE_FIXED_PROMPT_TOKENS = 14_100;

/**
 * The smallest per-request context Claude Code can work in: its fixed prompt (~14.1K), the 33K
 * auto-compact buffer it keeps (`/context` "Autocompact buffer 33k": it compacts at window − 33K)
 * and ~16K of conversation between compactions. 14.1K + 33K + 16K ≈ 63K: a 64K server (65,536)
 * compacts at about 32K, as measured; below it Claude Code compacts after every few turns or, once
 * window − 33K is below its fixed prompt, never in time and only on `prompt is too long`.
 */
export const CLAUDE_CODE_NEEDED_CONTEXT = 64_000;

/** What `dsb launch` asks the server for when the context is too small. */
export const ADVISED_CONTEXT = 65_536;

export type WindowLevel = 'ok' | 'small' | 'dead-end' | 'unknown';

export interface WindowAdvice {
  level: WindowLevel;
  contextSize?: number;
  /** Why it is this small, naming the server's setting (`-np` splitting `-c`, Ollama's num_ctx…). */
  cause?: string;
  /** The `dsb launch` command (or config change) that fixes it. */
  fix?: string;
  /** One plain sentence for the log and /health; undefined when level is ok or unknown. */
  message?: string;
}

export type WindowFacts = Pick<
  UpstreamFacts,
  'kind' | 'contextSize' | 'contextSource' | 'slots' | 'trainContext'
>;

/** Whether Claude Code's fixed prompt alone leaves less than the minimum output: compaction cannot help. */
export function fixedPromptDoesNotFit(contextSize: number): boolean {
  return contextSize - CLAUDE_CODE_FIXED_PROMPT_TOKENS < MIN_OUTPUT_TOKENS;
}

function portOf(url: string): string {
  try {
    const u = new URL(url);
    return u.port ? ` --port ${u.port}` : '';
  } catch {
    return '';
  }
}

function causeAndFix(facts: WindowFacts, size: number, url: string): { cause: string; fix: string } {
  if (facts.trainContext !== undefined && facts.trainContext < CLAUDE_CODE_NEEDED_CONTEXT)
    return {
      cause: `the model was trained for only ${facts.trainContext} tokens`,
      fix: 'use a model with a long context (DeepSeek V3/V4, or a coder model trained for 64K or more)',
    };
  const smallWindow = UPSTREAMS[facts.kind].smallWindow;
  if (smallWindow) {
    const launch = `dsb launch ${facts.kind} --ctx-size ${ADVISED_CONTEXT}${portOf(url)}`;
    return smallWindow({ size, slots: facts.slots, advised: ADVISED_CONTEXT, launch });
  }
  return {
    cause: `the upstream serves ${size} tokens per request (${facts.contextSource})`,
    fix: `serve the model with at least ${ADVISED_CONTEXT} tokens per request, or correct "contextSize" in the dsb config if ${size} is wrong`,
  };
}

/** The advice for one upstream, from what the bridge discovered about it. */
export function adviseWindow(facts: WindowFacts, upstreamUrl: string): WindowAdvice {
  const size = facts.contextSize;
  if (size === undefined) return { level: 'unknown' };
  if (size >= CLAUDE_CODE_NEEDED_CONTEXT) return { level: 'ok', contextSize: size };
  const { cause, fix } = causeAndFix(facts, size, upstreamUrl);
  if (fixedPromptDoesNotFit(size)) {
    return {
      level: 'dead-end',
      contextSize: size,
      cause,
      fix,
      message: `${upstreamUrl}: ${size} tokens per request, but Claude Code's fixed prompt alone is ~${CLAUDE_CODE_FIXED_PROMPT_TOKENS} tokens and leaves less than ${MIN_OUTPUT_TOKENS} for an answer: every Claude Code request will be refused and compaction cannot help. Cause: ${cause}. Fix: ${fix}`,
    };
  }
  return {
    level: 'small',
    contextSize: size,
    cause,
    fix,
    message: `${upstreamUrl}: ${size} tokens per request is less than Claude Code needs (~${CLAUDE_CODE_NEEDED_CONTEXT}: its ~${CLAUDE_CODE_FIXED_PROMPT_TOKENS}-token fixed prompt plus its 33K auto-compact buffer and room to work); sessions will hit the limit within a few turns. Cause: ${cause}. Fix: ${fix}`,
  };
}

/**
 * For the log line of a `prompt is too long` refusal: said plainly when the context cannot even hold
 * Claude Code's fixed prompt with room for an answer, because compacting will not help then.
 */
export function refusalNote(contextSize: number | undefined): string | undefined {
  if (contextSize === undefined || !fixedPromptDoesNotFit(contextSize)) return undefined;
  return `prompt refused: the upstream's ${contextSize}-token context cannot hold Claude Code's ~${CLAUDE_CODE_FIXED_PROMPT_TOKENS}-token fixed prompt and ${MIN_OUTPUT_TOKENS} tokens of answer, so compaction cannot help; give the server a larger context (see GET /health)`;
}

/** The fields /health adds per upstream: the advice, and its message among the upstream's warnings. */
export function healthContextFields(
  facts: WindowFacts,
  upstreamUrl: string,
  truncationWarning: string | undefined,
): { contextAdvice: WindowAdvice; warnings: string[] } {
  const advice = adviseWindow(facts, upstreamUrl);
  const warnings = [advice.message, truncationWarning].filter((w): w is string => Boolean(w));
  return { contextAdvice: advice, warnings };
}
