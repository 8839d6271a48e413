import { describe, expect, it } from 'vitest';
import {
  estimatePromptTokens,
  estimateTextTokens,
  IMAGE_TOKENS,
} from '../../../src/bridge/context/estimate.js';

describe('estimatePromptTokens', () => {
  it('counts ASCII at 3 characters per token and other characters as a token each', () => {
    expect(estimateTextTokens('abcdef')).toBe(2);
    expect(estimateTextTokens('abcdefg')).toBe(3);
    expect(estimateTextTokens('中文')).toBe(2);
    expect(estimateTextTokens('')).toBe(0);
  });

  it('adds template framing per message, images, tool calls, reasoning and tools', () => {
    const tokens = estimatePromptTokens({
      messages: [
        { role: 'system', content: 'abc' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'abcdef' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'abc',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'R', arguments: '{}' } }],
        },
      ],
      tools: [{ type: 'function', function: { name: 'R', parameters: {} } }],
    });
    const toolCalls = Math.ceil(
      JSON.stringify([{ id: 'c', type: 'function', function: { name: 'R', arguments: '{}' } }]).length / 3,
    );
    const tools = Math.ceil(
      JSON.stringify([{ type: 'function', function: { name: 'R', parameters: {} } }]).length / 3,
    );
    expect(tokens).toBe(1 + 2 + IMAGE_TOKENS + 1 + toolCalls + tools + 3 * 4);
  });
});
