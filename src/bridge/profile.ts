// Per-upstream behaviour that depends on the server kind (design.md §4.6). Pure.
import type { UpstreamConfig } from '../config/schema.js';
import type { ThinkingStyle } from './translate/request.js';

export type KnownKind = 'llama.cpp' | 'vllm' | 'ollama' | 'sglang' | 'deepseek-api' | 'openai';

export interface UpstreamProfile {
  thinkingStyle: ThinkingStyle;
  reasoningReplay: 'placeholder' | 'off';
  forcedToolChoice: 'disable-thinking' | 'relax' | 'keep';
  salvageToolCalls: boolean;
}

/** Text sent as reasoning_content when DeepSeek's API needs it and the real text is gone. */
export const REASONING_PLACEHOLDER = '(The reasoning for this step is not available.)';

export function upstreamProfile(config: UpstreamConfig, kind: KnownKind | undefined): UpstreamProfile {
  const deepseekApi = kind === 'deepseek-api';
  const defaultThinking: ThinkingStyle = deepseekApi
    ? 'deepseek-api'
    : kind === 'openai' || kind === 'ollama'
      ? 'none' // neither takes DeepSeek's chat-template switch; the model decides
      : 'chat-template';
  return {
    thinkingStyle: config.thinkingStyle ?? defaultThinking,
    reasoningReplay: config.reasoningReplay ?? (deepseekApi ? 'placeholder' : 'off'),
    forcedToolChoice: config.forcedToolChoice ?? (deepseekApi ? 'disable-thinking' : 'keep'),
    salvageToolCalls: config.salvageToolCalls ?? false,
  };
}
