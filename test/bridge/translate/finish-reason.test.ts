import { describe, expect, it } from 'vitest';
import { convertFinishReason } from '../../../src/bridge/translate/finish-reason.js';

const none = { hasToolCalls: false };

describe('convertFinishReason', () => {
  it('length, tool_calls / function_call and content_filter map whatever else the turn held', () => {
    expect(convertFinishReason('length', { hasToolCalls: true })).toEqual({
      stopReason: 'max_tokens',
      stopSequence: null,
    });
    expect(convertFinishReason('tool_calls', none)).toEqual({ stopReason: 'tool_use', stopSequence: null });
    expect(convertFinishReason('function_call', none)).toEqual({
      stopReason: 'tool_use',
      stopSequence: null,
    });
    expect(convertFinishReason('content_filter', none)).toEqual({
      stopReason: 'refusal',
      stopSequence: null,
    });
  });

  it('stop (or nothing, or something unknown) after tool calls is tool_use', () => {
    for (const reason of ['stop', null, undefined, 'eos'])
      expect(convertFinishReason(reason, { hasToolCalls: true }).stopReason).toBe('tool_use');
  });

  it('a matched stop string is a stop_sequence only when the client asked for it', () => {
    expect(convertFinishReason('stop', { ...none, matchedStop: 'END', stopSequences: ['END'] })).toEqual({
      stopReason: 'stop_sequence',
      stopSequence: 'END',
    });
    // vLLM reports an EOS token id, or a stop string of its own: a plain end of turn.
    expect(
      convertFinishReason('stop', { ...none, matchedStop: 151643, stopSequences: ['END'] }).stopReason,
    ).toBe('end_turn');
    expect(
      convertFinishReason('stop', { ...none, matchedStop: 'OTHER', stopSequences: ['END'] }).stopReason,
    ).toBe('end_turn');
    expect(convertFinishReason('stop', { ...none, matchedStop: 'END' }).stopReason).toBe('end_turn');
  });

  it('anything else ends the turn', () => {
    for (const reason of ['stop', null, undefined, 'eos'])
      expect(convertFinishReason(reason, none)).toEqual({ stopReason: 'end_turn', stopSequence: null });
  });
});
