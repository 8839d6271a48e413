// The warm-up loads the local tokenizer (~90 MB) only where an upstream cannot count for the bridge.
import { describe, expect, it } from 'vitest';
import type { TokenCount } from '../../src/bridge/context/tokens.js';
import { type WarmUpTarget, warmUp } from '../../src/bridge/warmup.js';

function target(method: TokenCount['method']): WarmUpTarget & { counted: number } {
  const t = {
    name: 'u',
    url: 'http://127.0.0.1:1',
    counted: 0,
    models: async () => ({ data: [] }),
    facts: async () => ({
      kind: 'llama.cpp' as const,
      contextSize: 65_536,
      contextSource: 'test',
      discoveredAt: 0,
    }),
    count: async () => {
      t.counted++;
      return { tokens: 3, method };
    },
    countsTokens: true,
  };
  return t;
}

const quiet = () => {
  const infos: string[] = [];
  return { infos, logger: { info: (m: string) => infos.push(m), warn: () => {} } };
};

describe('warmUp', () => {
  it('an upstream that counts exactly: the count goes upstream, no tokenizer is loaded', async () => {
    const { infos, logger } = quiet();
    const exact = target('upstream');
    const result = await warmUp([exact], logger);
    expect(exact.counted).toBe(1);
    expect(result.tokenizerLoaded).toBe(false);
    expect(infos.some((m) => /tokenizer/.test(m))).toBe(false);
  });

  it('an upstream that cannot count: the warm-up count loads the local tokenizer, and says so', async () => {
    const { infos, logger } = quiet();
    const result = await warmUp([target('local')], logger);
    expect(result.tokenizerLoaded).toBe(true);
    expect(infos.some((m) => /^warm-up: local tokenizer loaded/.test(m))).toBe(true);
  });
});
