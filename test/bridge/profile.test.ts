import { describe, expect, it } from 'vitest';
import { upstreamProfile } from '../../src/bridge/profile.js';
import { upstreamSchema } from '../../src/config/schema.js';

const config = (extra: Record<string, unknown> = {}) =>
  upstreamSchema.parse({ url: 'http://127.0.0.1:8080', ...extra });

describe('upstreamProfile', () => {
  it("DeepSeek's API: its own thinking switch, reasoning placeholders, thinking off for a forced tool", () => {
    expect(upstreamProfile(config(), 'deepseek-api')).toEqual({
      thinkingStyle: 'deepseek-api',
      reasoningReplay: 'placeholder',
      forcedToolChoice: 'disable-thinking',
      salvageToolCalls: false,
    });
  });

  it('OpenAI and Ollama take no chat-template switch; llama.cpp, vLLM, SGLang and unknown ones do', () => {
    expect(upstreamProfile(config(), 'openai').thinkingStyle).toBe('none');
    expect(upstreamProfile(config(), 'ollama').thinkingStyle).toBe('none');
    for (const kind of ['llama.cpp', 'vllm', 'sglang', undefined] as const)
      expect(upstreamProfile(config(), kind)).toEqual({
        thinkingStyle: 'chat-template',
        reasoningReplay: 'off',
        forcedToolChoice: 'keep',
        salvageToolCalls: false,
      });
  });

  it('every configured setting wins over the kind’s default', () => {
    const set = config({
      thinkingStyle: 'none',
      reasoningReplay: 'off',
      forcedToolChoice: 'relax',
      salvageToolCalls: true,
    });
    expect(upstreamProfile(set, 'deepseek-api')).toEqual({
      thinkingStyle: 'none',
      reasoningReplay: 'off',
      forcedToolChoice: 'relax',
      salvageToolCalls: true,
    });
  });
});
