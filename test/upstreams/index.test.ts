// The registry of server kinds: one module per kind, found under its own name, and the facts other
// parts look up in it (default ports, token counting, profile defaults) as the kinds really have them.
import { describe, expect, it } from 'vitest';
import { upstreamProfile } from '../../src/bridge/profile.js';
import { configSchema } from '../../src/config/schema.js';
import { LOCAL_UPSTREAMS, localKindByDefaultPort, UPSTREAMS } from '../../src/upstreams/index.js';
import {
  isLocalUpstreamKind,
  isUpstreamKind,
  LOCAL_UPSTREAM_KINDS,
  UPSTREAM_KINDS,
} from '../../src/upstreams/kind.js';

describe('the registry', () => {
  it('has one module per kind, under its own name', () => {
    expect(Object.keys(UPSTREAMS).sort()).toEqual([...UPSTREAM_KINDS].sort());
    for (const kind of UPSTREAM_KINDS) expect(UPSTREAMS[kind].kind).toBe(kind);
    expect(Object.keys(LOCAL_UPSTREAMS).sort()).toEqual([...LOCAL_UPSTREAM_KINDS].sort());
    for (const kind of LOCAL_UPSTREAM_KINDS) expect(UPSTREAMS[kind]).toBe(LOCAL_UPSTREAMS[kind]);
  });

  it('tells the kinds and the local kinds apart', () => {
    expect(isUpstreamKind('sglang')).toBe(true);
    expect(isUpstreamKind('auto')).toBe(false);
    expect(isLocalUpstreamKind('ollama')).toBe(true);
    expect(isLocalUpstreamKind('deepseek-api')).toBe(false);
    expect(isLocalUpstreamKind('openai')).toBe(false);
  });

  it('the config takes every kind, and auto', () => {
    for (const kind of [...UPSTREAM_KINDS, 'auto']) {
      const parsed = configSchema.parse({ upstreams: [{ url: 'http://127.0.0.1:8080', kind }] });
      expect(parsed.upstreams[0]!.kind).toBe(kind);
    }
  });

  it('finds a local kind by its default port', () => {
    expect(localKindByDefaultPort(8080)).toBe('llama.cpp');
    expect(localKindByDefaultPort(8000)).toBe('vllm');
    expect(localKindByDefaultPort(11434)).toBe('ollama');
    expect(localKindByDefaultPort(30000)).toBe('sglang');
    expect(localKindByDefaultPort(3000)).toBeUndefined();
    expect(localKindByDefaultPort(undefined)).toBeUndefined();
  });

  it('offers a default URL for the local kinds and the DeepSeek API only', () => {
    expect(UPSTREAMS['llama.cpp'].defaultUrl('127.0.0.1')).toBe('http://127.0.0.1:8080');
    expect(UPSTREAMS.ollama.defaultUrl('127.0.0.1')).toBe('http://127.0.0.1:11434');
    expect(UPSTREAMS['deepseek-api'].defaultUrl('127.0.0.1')).toBe('https://api.deepseek.com');
    expect(UPSTREAMS.openai.defaultUrl('127.0.0.1')).toBeUndefined();
  });

  it('counts tokens through the upstream only where the server has an endpoint for it', () => {
    expect(UPSTREAMS['llama.cpp'].tokenCounting).toEqual(['llama-input-tokens', 'llama-template']);
    expect(UPSTREAMS.vllm.tokenCounting).toEqual(['vllm-tokenize']);
    for (const kind of ['sglang', 'ollama', 'deepseek-api', 'openai'] as const)
      expect(UPSTREAMS[kind].tokenCounting).toEqual([]);
  });
});

describe('profile defaults per kind (bridge/profile.ts)', () => {
  const config = configSchema.parse({ upstreams: [{ url: 'http://127.0.0.1:8080' }] }).upstreams[0]!;

  it.each([
    ['llama.cpp', 'chat-template', 'off', 'keep'],
    ['vllm', 'chat-template', 'off', 'keep'],
    ['sglang', 'chat-template', 'off', 'keep'],
    ['ollama', 'none', 'off', 'keep'],
    ['openai', 'none', 'off', 'keep'],
    ['deepseek-api', 'deepseek-api', 'placeholder', 'disable-thinking'],
    [undefined, 'chat-template', 'off', 'keep'],
  ] as const)('%s', (kind, thinkingStyle, reasoningReplay, forcedToolChoice) => {
    expect(upstreamProfile(config, kind)).toEqual({
      thinkingStyle,
      reasoningReplay,
      forcedToolChoice,
      salvageToolCalls: false,
    });
  });

  it('the upstream config wins over the kind', () => {
    const own = {
      ...config,
      thinkingStyle: 'none',
      reasoningReplay: 'off',
      forcedToolChoice: 'relax',
    } as const;
    expect(upstreamProfile(own, 'deepseek-api')).toMatchObject({
      thinkingStyle: 'none',
      reasoningReplay: 'off',
      forcedToolChoice: 'relax',
    });
  });
});
