import { describe, expect, it } from 'vitest';
import {
  messageStartProblems,
  describe as quote,
  readBlockStart,
  toolInputProblem,
} from '../../src/probe/event-shapes.js';

describe('event shapes', () => {
  it('quotes a value as JSON, cut at 80 characters', () => {
    expect(quote(undefined)).toBe('undefined');
    expect(quote({ a: 1 })).toBe('{"a":1}');
    expect(quote('x'.repeat(100))).toBe(`"${'x'.repeat(76)}...`);
  });

  it("names each missing part of message_start's message", () => {
    expect(
      messageStartProblems({
        id: 'm',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'x',
        usage: { input_tokens: 0 },
      }),
    ).toEqual([]);
    expect(messageStartProblems(null)).toEqual(['no message object']);
    expect(messageStartProblems({ type: 'msg', role: 'user', content: [{}] })).toEqual([
      'message.id missing',
      'message.type is "msg", not "message"',
      'message.role is "user", not "assistant"',
      'message.content is [{}], not []',
      'message.model missing',
      'message.usage.input_tokens missing',
    ]);
  });

  it('reads the kind and starting text of a block, and what is wrong with its shape', () => {
    expect(readBlockStart({ type: 'text', text: 'hi' }, 0)).toEqual({
      kind: 'text',
      text: 'hi',
      findings: [],
    });
    expect(readBlockStart({ type: 'text' }, 0).findings).toEqual([
      { invariant: 'block-start-shape', message: 'text block without a text string' },
    ]);
    expect(readBlockStart({ type: 'thinking', thinking: '' }, 1)).toEqual({
      kind: 'thinking',
      text: '',
      findings: [],
    });
    expect(readBlockStart({ type: 'redacted_thinking' }, 1).kind).toBe('redacted_thinking');
    expect(readBlockStart({ type: 'tool_use', id: 't', name: 'Read', input: {} }, 2)).toEqual({
      kind: 'tool_use',
      text: '',
      findings: [],
    });
    expect(readBlockStart({ type: 'tool_use', input: { a: 1 } }, 2).findings).toEqual([
      {
        invariant: 'tool-use-start-shape',
        message:
          'tool_use block 2: no id; no name; input is {"a":1}, must be {} (stream it as input_json_delta)',
      },
    ]);
    expect(readBlockStart({ type: 'image' }, 3)).toEqual({
      kind: 'other',
      text: '',
      findings: [{ invariant: 'block-start-shape', message: 'unexpected content block type "image"' }],
    });
    expect(readBlockStart('text', 3).findings[0]?.message).toBe('content_block is "text"');
  });

  it("judges a tool_use block's joined input: none, an object, or what is wrong", () => {
    expect(toolInputProblem('', 0)).toBeUndefined();
    expect(toolInputProblem('{"path":"a"}', 0)).toBeUndefined();
    expect(toolInputProblem('{"path":', 4)).toBe(
      'tool_use block 4: input_json_delta fragments do not form valid JSON: "{\\"path\\":"',
    );
    expect(toolInputProblem('[1]', 4)).toBe('tool_use block 4: input is [1], not a JSON object');
  });
});
