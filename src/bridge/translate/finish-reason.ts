// OpenAI finish_reason → Anthropic stop_reason (design.md §4.3). Pure.
import type { StopReason } from '../anthropic/schema.js';

export interface StopInfo {
  stopReason: StopReason;
  stopSequence: string | null;
}

export function convertFinishReason(
  finishReason: string | null | undefined,
  options: { hasToolCalls: boolean; matchedStop?: unknown; stopSequences?: readonly string[] },
): StopInfo {
  switch (finishReason) {
    case 'length':
      return { stopReason: 'max_tokens', stopSequence: null };
    case 'tool_calls':
    case 'function_call':
      return { stopReason: 'tool_use', stopSequence: null };
    case 'content_filter':
      return { stopReason: 'refusal', stopSequence: null };
    default: {
      // Some servers say `stop` even when the turn ended in tool calls.
      if (options.hasToolCalls) return { stopReason: 'tool_use', stopSequence: null };
      // vLLM names the stop string that matched; other servers do not say.
      const matched = options.matchedStop;
      if (typeof matched === 'string' && options.stopSequences?.includes(matched)) {
        return { stopReason: 'stop_sequence', stopSequence: matched };
      }
      return { stopReason: 'end_turn', stopSequence: null };
    }
  }
}
