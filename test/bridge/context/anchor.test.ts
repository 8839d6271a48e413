// The anchored bound of context/anchor.ts: a cached turn's size from the previous turn's exact size
// plus a byte bound for its new messages, only on an exact message-for-message prefix.
import { describe, expect, it } from 'vitest';
import {
  ANCHOR_TOKENS_PER_MESSAGE,
  ANCHOR_TOKENS_PER_PROMPT,
  PromptAnchors,
  promptChain,
} from '../../../src/bridge/context/anchor.js';
import type { ChatCompletionRequest, ChatMessage } from '../../../src/bridge/openai/types.js';

const turn1: ChatMessage[] = [
  { role: 'system', content: 'You are a coding assistant.' },
  { role: 'user', content: 'Read main.ts' },
];
const answer: ChatMessage = {
  role: 'assistant',
  content: null,
  tool_calls: [
    { id: 'c1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/w/main.ts"}' } },
  ],
};
const result: ChatMessage = {
  role: 'tool',
  tool_call_id: 'c1',
  content: 'export const π = 3.14159; // ünïcödé',
};
const request = (
  messages: ChatMessage[],
  extra: Partial<ChatCompletionRequest> = {},
): ChatCompletionRequest => ({
  model: 'deepseek',
  messages,
  tools: [{ type: 'function', function: { name: 'Read', parameters: { type: 'object' } } }],
  ...extra,
});
const bytes = (m: ChatMessage) => Buffer.byteLength(JSON.stringify(m), 'utf8');

describe('PromptAnchors', () => {
  it('bounds the next turn by the anchor plus UTF-8 bytes and allowances of the new messages', () => {
    const anchors = new PromptAnchors();
    const first = promptChain(request(turn1));
    anchors.remember(first.keys.at(-1)!, 500);
    const next = promptChain(request([...turn1, answer, result]));
    expect(anchors.bound(next)).toEqual({
      tokens: 500 + ANCHOR_TOKENS_PER_PROMPT + bytes(answer) + bytes(result) + 2 * ANCHOR_TOKENS_PER_MESSAGE,
      newMessages: 2,
      anchorTokens: 500,
    });
  });

  it('uses the longest anchored prefix', () => {
    const anchors = new PromptAnchors();
    anchors.remember(promptChain(request(turn1)).keys.at(-1)!, 500);
    anchors.remember(promptChain(request([...turn1, answer])).keys.at(-1)!, 540);
    expect(anchors.bound(promptChain(request([...turn1, answer, result])))?.anchorTokens).toBe(540);
  });

  it('has no bound when an earlier message, the tools or the options differ', () => {
    const anchors = new PromptAnchors();
    anchors.remember(promptChain(request(turn1)).keys.at(-1)!, 500);
    const edited: ChatMessage[] = [turn1[0]!, { role: 'user', content: 'Read main.js' }, answer];
    expect(anchors.bound(promptChain(request(edited)))).toBeUndefined();
    expect(anchors.bound(promptChain(request([...turn1, answer], { tools: [] })))).toBeUndefined();
    expect(
      anchors.bound(promptChain(request([...turn1, answer], { chat_template_kwargs: { thinking: true } }))),
    ).toBeUndefined();
    // Streaming options and max_tokens do not change the prompt: same key.
    expect(
      anchors.bound(promptChain(request([...turn1, answer], { stream: true, max_tokens: 9 }))),
    ).toBeDefined();
  });

  it('settles with the server count, and stops anchoring when a bound was exceeded', () => {
    const anchors = new PromptAnchors();
    const first = promptChain(request(turn1));
    expect(anchors.settle({ key: first.keys.at(-1)! }, 480)).toBeUndefined();
    const next = promptChain(request([...turn1, answer, result]));
    const bound = anchors.bound(next)!;
    expect(bound.anchorTokens).toBe(480);
    const warning = anchors.settle({ key: next.keys.at(-1)!, bound: bound.tokens }, bound.tokens + 1);
    expect(warning).toMatch(/counting exactly from now on/);
    expect(anchors.enabled).toBe(false);
    expect(anchors.bound(next)).toBeUndefined();
  });

  it('ignores counts that are not positive integers, and forgets everything on clear', () => {
    const anchors = new PromptAnchors();
    const key = promptChain(request(turn1)).keys.at(-1)!;
    anchors.remember(key, 0);
    anchors.remember(key, 1.5);
    const chain = promptChain(request([...turn1, answer]));
    expect(anchors.bound(chain)).toBeUndefined();
    anchors.remember(key, 10);
    expect(anchors.bound(chain)).toBeDefined();
    anchors.clear();
    expect(anchors.bound(chain)).toBeUndefined();
  });
});

describe('TokenCounter with anchors', () => {
  it('bounds only when a limit exists, and counts exactly otherwise', async () => {
    const { TokenCounter } = await import('../../../src/bridge/context/tokens.js');
    const { startFakeLlama } = await import('../../support/fake-upstream/index.js');
    const { upstreamFor } = await import('../../support/fake-upstream/index.js');
    const fake = await startFakeLlama({ nCtx: 65536, promptTokens: () => 300 });
    const upstream = upstreamFor(fake.url);
    try {
      const counter = new TokenCounter(upstream, () => 'llama.cpp');
      const first = await counter.count(request(turn1));
      expect(first).toMatchObject({ tokens: 300, method: 'upstream' });
      const next = request([...turn1, answer, result]);
      // Nothing limits the prompt (context unknown): exact.
      expect((await counter.count(next, undefined, undefined, () => true)).detail).not.toMatch(/^bound/);
      // A limit: the bound, when it proves fit.
      const bounded = await counter.count(next, undefined, undefined, (n) => n <= 60_000);
      expect(bounded.detail).toMatch(/^bound: 300 tokens/);
      expect(bounded.anchor?.bound).toBe(bounded.tokens);
      // It cannot prove fit: exact.
      expect((await counter.count(next, undefined, undefined, (n) => n <= 301)).detail).not.toMatch(/^bound/);
    } finally {
      await upstream.close();
      await fake.close();
    }
  });
});
