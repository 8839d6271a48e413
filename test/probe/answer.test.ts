import { describe, expect, it } from 'vitest';
import { assembleStream, checkExpectation, checkMessageResponse } from '../../src/probe/answer.js';
import type { SseEvent } from '../../src/probe/invariants.js';

const ev = (data: Record<string, unknown> & { type: string }): SseEvent => ({ event: data.type, data });

describe('assembleStream', () => {
  it('rebuilds thinking, text and tool_use blocks like the SDK accumulator', () => {
    const answer = assembleStream([
      ev({ type: 'message_start', message: { usage: { input_tokens: 9 } } }),
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'dsb1.s' } }),
      ev({ type: 'content_block_stop', index: 0 }),
      ev({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
      ev({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } }),
      ev({ type: 'content_block_stop', index: 1 }),
      ev({
        type: 'content_block_start',
        index: 2,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} },
      }),
      ev({
        type: 'content_block_delta',
        index: 2,
        delta: { type: 'input_json_delta', partial_json: '{"a":' },
      }),
      ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '1}' } }),
      ev({ type: 'content_block_stop', index: 2 }),
      ev({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 4 } }),
      ev({ type: 'message_stop' }),
    ]);
    expect(answer).toEqual({
      inputTokens: 9,
      outputTokens: 4,
      stopReason: 'tool_use',
      content: [
        { type: 'thinking', thinking: 'hm', signature: 'dsb1.s' },
        { type: 'text', text: 'Hi' },
        { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { a: 1 } },
      ],
    });
  });

  it('keeps unparsable tool input as Claude Code does, and records an error event', () => {
    const answer = assembleStream([
      ev({
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 't', name: 'X', input: {} },
      }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{' } }),
      ev({ type: 'error', error: { type: 'api_error', message: 'boom' } }),
    ]);
    expect(answer.content).toEqual([
      { type: 'tool_use', id: 't', name: 'X', input: { __unparsedToolInput: { raw: '{' } } },
    ]);
    expect(answer.error).toBe('boom');
  });
});

describe('checkMessageResponse', () => {
  const good = {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'm',
    content: [{ type: 'text', text: 'Hello' }],
    stop_reason: 'end_turn',
    usage: { input_tokens: 3, output_tokens: 2 },
  };

  it('accepts a well-formed message', () => {
    const { answer, violations } = checkMessageResponse(good);
    expect(violations).toEqual([]);
    expect(answer).toEqual({
      content: [{ type: 'text', text: 'Hello' }],
      stopReason: 'end_turn',
      inputTokens: 3,
      outputTokens: 2,
    });
  });

  it('names what is wrong', () => {
    const bad = {
      ...good,
      role: 'user',
      content: [
        { type: 'text', text: '' },
        { type: 'tool_use', id: 't', name: 'X', input: '{}' },
      ],
      stop_reason: 'end_turn',
    };
    expect(checkMessageResponse(bad).violations.map((v) => [v.invariant, v.index])).toEqual([
      ['message-shape', -1],
      ['text-block-nonempty', 0],
      ['tool-input-valid-json', 1],
      ['stop-reason-tool-use', -1],
    ]);
    expect(checkMessageResponse('nope').violations[0]?.invariant).toBe('message-shape');
  });
});

describe('checkExpectation', () => {
  it('fails an answer without text or tool call, or with the wrong stop_reason', () => {
    expect(checkExpectation({ content: [], stopReason: 'end_turn' }, {}).problems).toEqual([
      'the answer has no text and no tool call (Claude Code retries such a reply)',
    ]);
    const r = checkExpectation(
      { content: [{ type: 'text', text: 'x' }], stopReason: 'end_turn' },
      { stopReason: 'tool_use' },
    );
    expect(r.problems).toEqual(['stop_reason "end_turn", expected "tool_use"']);
  });

  it('checks the tool calls, and only warns when parallel calls were not exercised', () => {
    const one = {
      content: [{ type: 'tool_use' as const, id: 't', name: 'Read', input: {} }],
      stopReason: 'tool_use',
    };
    expect(checkExpectation(one, { toolUse: { min: 1, toolName: 'Bash' } }).problems[0]).toMatch(
      /expected 1\+ tool_use block\(s\) for Bash, got 0/,
    );
    const r = checkExpectation(one, { toolUse: { min: 1, preferredMin: 2 } });
    expect(r.problems).toEqual([]);
    expect(r.warnings[0]).toMatch(/parallel calls not exercised/);
  });

  it('warns (preferred) or fails (required) when no thinking came back', () => {
    const a = { content: [{ type: 'text' as const, text: 'x' }], stopReason: 'end_turn' };
    expect(checkExpectation(a, { thinking: 'preferred' }).warnings[0]).toMatch(/reasoning-format deepseek/);
    expect(checkExpectation(a, { thinking: 'required' }).problems[0]).toMatch(/no thinking block/);
  });
});
