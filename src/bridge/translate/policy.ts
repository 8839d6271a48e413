// Request policy that depends on what the upstream accepts (design.md §4.6): what the bridge changes
// in a request before converting it, and why. Pure and total: every input gives a request and the
// warnings to log and to send back in `x-dsb-warnings`.
import type { MessagesRequest } from '../anthropic/schema.js';
import type { UpstreamProfile } from '../profile.js';
import type { ConvertMessagesOptions } from './messages.js';

export interface PolicyResult {
  request: MessagesRequest;
  warnings: string[];
}

/**
 * DeepSeek in thinking mode rejects a forced tool_choice (`any` or a named tool). Depending on the
 * upstream's profile the bridge keeps it, turns thinking off for this request, or relaxes the choice
 * to `auto`.
 */
export function applyForcedToolChoicePolicy(
  request: MessagesRequest,
  forcedToolChoice: UpstreamProfile['forcedToolChoice'],
): PolicyResult {
  const thinkingOn = request.thinking?.type === 'enabled' || request.thinking?.type === 'adaptive';
  const forced = request.tool_choice?.type === 'any' || request.tool_choice?.type === 'tool';
  if (!thinkingOn || !forced || forcedToolChoice === 'keep') return { request, warnings: [] };
  if (forcedToolChoice === 'disable-thinking') {
    return {
      request: { ...request, thinking: { type: 'disabled' } },
      warnings: ['forced tool_choice: thinking turned off for this request'],
    };
  }
  return {
    request: { ...request, tool_choice: { type: 'auto' } },
    warnings: ['forced tool_choice relaxed to auto (thinking mode)'],
  };
}

/** How a request's earlier tool-call turns get their reasoning back, and how many had to be made up. */
export interface ReasoningReplay {
  reasoningFor: NonNullable<ConvertMessagesOptions['reasoningFor']>;
  /** Turns whose reasoning was not remembered and got the placeholder so far. */
  readonly placeholders: number;
  /** The warning for the placeholders sent, if any. */
  warnings(): string[];
}

/**
 * Reasoning for the tool-call turns of a request: what `recall` remembers, else (when the upstream
 * needs it, `reasoningReplay: 'placeholder'`) the placeholder text, counted.
 */
export function reasoningReplay(
  recall: (toolUseIds: string[]) => string | undefined,
  mode: UpstreamProfile['reasoningReplay'],
  placeholder: string,
): ReasoningReplay {
  let placeholders = 0;
  return {
    reasoningFor: (ids) => {
      const hit = recall(ids);
      if (hit !== undefined || mode === 'off') return hit;
      placeholders++;
      return placeholder;
    },
    get placeholders() {
      return placeholders;
    },
    warnings: () =>
      placeholders > 0
        ? [`reasoning of ${placeholders} tool-call turn(s) not in the cache: placeholder sent`]
        : [],
  };
}
