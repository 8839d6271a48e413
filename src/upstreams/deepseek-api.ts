// DeepSeek's hosted API (design.md §5): recognized by its host name; the context is known per model;
// the bridge replays reasoning and switches thinking the API's way.
import type { UpstreamKindModule } from './module.js';
import { parseModelList } from './openai.js';
import type { Discovered, DiscoveryIo } from './types.js';

/**
 * DeepSeek API context by model id. Only what design.md §5 states: the V4 models have a 1M-token
 * context (read as 1,000,000, the smaller reading of "1M", so the bridge never lets a prompt
 * through that the API would refuse). `deepseek-chat` / `deepseek-reasoner` are aliases whose
 * context has changed over time (64K, then 128K, then V4-Flash): not encoded, left unknown.
 */
export const DEEPSEEK_V4_CONTEXT = 1_000_000;
const DEEPSEEK_API_CONTEXT: Readonly<Record<string, number>> = {
  'deepseek-v4-pro': DEEPSEEK_V4_CONTEXT,
  'deepseek-v4-flash': DEEPSEEK_V4_CONTEXT,
};

export function deepseekApiContext(model: string | undefined): number | undefined {
  return model ? DEEPSEEK_API_CONTEXT[model.toLowerCase()] : undefined;
}

export function isDeepSeekApiUrl(url: string): boolean {
  try {
    return new URL(url).hostname.toLowerCase() === 'api.deepseek.com';
  } catch {
    return false;
  }
}

export async function discoverDeepseekApi(
  { get }: DiscoveryIo,
  wanted: string | undefined,
): Promise<Discovered> {
  const model = wanted ?? parseModelList(await get('/v1/models'))[0]?.id;
  const contextSize = deepseekApiContext(model);
  return {
    facts: {
      kind: 'deepseek-api',
      contextSize,
      contextSource: contextSize
        ? 'DeepSeek API known model table'
        : `unknown: no known context for DeepSeek API model ${model ?? '(none configured)'}`,
      model,
    },
    complete: model !== undefined,
  };
}

export interface DeepseekApiModule extends UpstreamKindModule<'deepseek-api'> {
  url: string;
  /** The models `dsb init` offers, the default first. */
  models: readonly string[];
  /** The context `dsb init` offers (design.md §5: 1M, read as the smaller value). */
  context: number;
}

const DEEPSEEK_API_URL = 'https://api.deepseek.com';

export const deepseekApi: DeepseekApiModule = {
  kind: 'deepseek-api',
  title: 'DeepSeek API',
  label: 'DeepSeek API',
  modelQuestion: 'DeepSeek API model',
  url: DEEPSEEK_API_URL,
  models: ['deepseek-v4-flash', 'deepseek-v4-pro'],
  context: DEEPSEEK_V4_CONTEXT,
  defaultUrl: () => DEEPSEEK_API_URL,
  apiKey: { env: 'DEEPSEEK_API_KEY' },
  profileDefaults: {
    thinkingStyle: 'deepseek-api',
    // In thinking mode the API needs a tool-call turn's reasoning back: a placeholder when it is lost.
    reasoningReplay: 'placeholder',
    // In thinking mode it rejects a forced tool_choice: thinking is switched off for that request.
    forcedToolChoice: 'disable-thinking',
  },
  discover: discoverDeepseekApi,
  tokenCounting: [],
};
