// Per-upstream behaviour that depends on the server kind (design.md §4.6): the upstream's config
// wins, else its kind's defaults (src/upstreams/<kind>.ts). Pure.
import type { UpstreamConfig } from '../config/schema.js';
import { UPSTREAMS } from '../upstreams/index.js';
import type { UpstreamKind } from '../upstreams/kind.js';
import { CHAT_TEMPLATE_PROFILE } from '../upstreams/module.js';
import type { ThinkingStyle } from './translate/request.js';

export interface UpstreamProfile {
  thinkingStyle: ThinkingStyle;
  reasoningReplay: 'placeholder' | 'off';
  forcedToolChoice: 'disable-thinking' | 'relax' | 'keep';
  salvageToolCalls: boolean;
}

/** Text sent as reasoning_content when DeepSeek's API needs it and the real text is gone. */
export const REASONING_PLACEHOLDER = '(The reasoning for this step is not available.)';

export function upstreamProfile(config: UpstreamConfig, kind: UpstreamKind | undefined): UpstreamProfile {
  // Not known yet (discovery pending): a server with DeepSeek's chat template.
  const defaults = kind ? UPSTREAMS[kind].profileDefaults : CHAT_TEMPLATE_PROFILE;
  return {
    thinkingStyle: config.thinkingStyle ?? defaults.thinkingStyle,
    reasoningReplay: config.reasoningReplay ?? defaults.reasoningReplay,
    forcedToolChoice: config.forcedToolChoice ?? defaults.forcedToolChoice,
    salvageToolCalls: config.salvageToolCalls ?? false,
  };
}
