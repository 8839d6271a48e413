import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/bridge/anthropic/schema.js';
import {
  assembleMessage,
  convertChatResponse,
  responseAsChunk,
  StreamErrorEvent,
} from '../../../src/bridge/translate/response.js';
import { ToolNameMap } from '../../../src/bridge/translate/tools.js';

describe('non-streaming response of the wrong shape', () => {
  const options = () => {
    let n = 0;
    return {
      messageId: 'msg',
      model: 'claude',
      inputTokens: 5,
      names: new ToolNameMap(),
      signThinking: () => 'sig',
      newToolId: () => `toolu_new${++n}`,
    };
  };

  it('never throws on wrong types; keeps what is well formed', () => {
    for (const body of [
      null,
      5,
      { choices: 'x' },
      { choices: [null] },
      { choices: [{ message: 5 }] },
      { choices: [{ message: { content: {}, tool_calls: 5 } }] },
      {
        choices: [{ message: { tool_calls: [null, { function: 5 }] }, finish_reason: 7 }],
        usage: { prompt_tokens: 'x' },
      },
    ]) {
      const m = convertChatResponse(body as never, options());
      expect(m.content, JSON.stringify(body)).toEqual([]);
      expect(m.stop_reason).toBe('end_turn');
      expect(m.usage).toMatchObject({ input_tokens: 5 });
    }
    const m = convertChatResponse(
      {
        choices: [
          {
            message: {
              content: 'hi',
              tool_calls: [null, { id: 'c', function: { name: 'Read', arguments: '{}' } }],
            },
            finish_reason: null,
          },
        ],
      } as never,
      options(),
    );
    expect(m.content).toEqual([
      { type: 'text', text: 'hi' },
      { type: 'tool_use', id: 'toolu_c', name: 'Read', input: {} },
    ]);
    expect(m.stop_reason).toBe('tool_use');
  });
});

const start = (): StreamEvent => ({
  type: 'message_start',
  message: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'm',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 7, output_tokens: 0 },
  },
});

describe('assembleMessage', () => {
  it('orders blocks by index, joins their deltas, parses tool input, merges the final usage', () => {
    const m = assembleMessage([
      start(),
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 't', name: 'Read', input: {} },
      },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '1}' } },
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
      {
        type: 'content_block_start',
        index: 2,
        content_block: { type: 'tool_use', id: 'u', name: 'Ls', input: {} },
      },
      { type: 'ping' },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { input_tokens: 7, output_tokens: 9 },
      },
      { type: 'message_stop' },
    ]);
    expect(m.content).toEqual([
      { type: 'thinking', thinking: 'hm', signature: 'sig' },
      { type: 'tool_use', id: 't', name: 'Read', input: { a: 1 } },
      { type: 'tool_use', id: 'u', name: 'Ls', input: {} },
    ]);
    expect(m.stop_reason).toBe('tool_use');
    expect(m.usage).toEqual({ input_tokens: 7, output_tokens: 9 });
  });

  it('ignores deltas for a block never started, or of another kind than the block', () => {
    const m = assembleMessage([
      start(),
      { type: 'content_block_delta', index: 4, delta: { type: 'text_delta', text: 'lost' } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } },
    ]);
    expect(m.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(m.stop_reason).toBeNull();
  });

  it('an error event, or no message_start, throws StreamErrorEvent with a stable code', () => {
    const failure = { type: 'overloaded_error', message: 'busy' };
    let err: unknown;
    try {
      assembleMessage([start(), { type: 'error', error: failure }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StreamErrorEvent);
    expect((err as StreamErrorEvent).code).toBe('STREAM_ERROR_EVENT');
    expect((err as StreamErrorEvent).failure).toEqual(failure);
    expect(() => assembleMessage([])).toThrow(StreamErrorEvent);
    expect(() => assembleMessage([{ type: 'message_stop' }])).toThrow('no message_start');
  });

  it('does not change the message_start it was given', () => {
    const first = start();
    assembleMessage([
      first,
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: 7, output_tokens: 2 },
      },
    ]);
    expect(first).toEqual(start());
  });
});

describe('responseAsChunk', () => {
  it('a whole response as one chunk: reasoning (either field), timings, vLLM stop_reason', () => {
    const chunk = responseAsChunk({
      id: 'c1',
      model: 'x',
      usage: { prompt_tokens: 3 },
      timings: { cache_n: 1 },
      choices: [{ message: { content: 'hi', reasoning: 'r' }, finish_reason: 'stop', stop_reason: 151643 }],
    });
    expect(chunk).toMatchObject({
      id: 'c1',
      model: 'x',
      usage: { prompt_tokens: 3 },
      timings: { cache_n: 1 },
    });
    expect(chunk.choices?.[0]).toMatchObject({
      delta: { content: 'hi', reasoning_content: 'r', tool_calls: [] },
      finish_reason: 'stop',
      stop_reason: 151643,
    });
    expect(
      responseAsChunk({ choices: [{ message: { reasoning_content: 'a', reasoning: 'b' } }] }).choices?.[0]
        ?.delta,
    ).toMatchObject({
      reasoning_content: 'a',
    });
  });

  it('a response that names no finish_reason (or an empty one) has still ended: stop', () => {
    expect(responseAsChunk({ choices: [{ message: {} }] }).choices?.[0]?.finish_reason).toBe('stop');
    expect(
      responseAsChunk({ choices: [{ message: {}, finish_reason: '' }] }).choices?.[0]?.finish_reason,
    ).toBe('stop');
    expect(
      responseAsChunk({ choices: [{ message: {}, finish_reason: 'length' }] }).choices?.[0]?.finish_reason,
    ).toBe('length');
  });

  it('tool calls are numbered in order; object arguments become JSON text', () => {
    const chunk = responseAsChunk({
      choices: [
        {
          message: {
            tool_calls: [
              { id: 'a', function: { name: 'Read', arguments: { p: 1 } } },
              'junk',
              { function: {} },
            ],
          },
        },
      ],
    });
    expect(chunk.choices?.[0]?.delta?.tool_calls).toEqual([
      { index: 0, id: 'a', type: 'function', function: { name: 'Read', arguments: '{"p":1}' } },
      { index: 1, id: undefined, type: 'function', function: { name: undefined, arguments: '' } },
    ]);
  });
});
