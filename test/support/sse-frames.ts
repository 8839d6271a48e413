// Well-formed Messages API stream frames for the stream-invariant tests (the event line equals
// data.type, as a correct bridge sends them).
import type { SseEvent } from '../../src/probe/invariants.js';

export const ev = (data: Record<string, unknown> & { type: string }): SseEvent => ({
  event: data.type,
  data,
});
export const start = (extra: Record<string, unknown> = {}) =>
  ev({
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-sonnet-4-5',
      stop_reason: null,
      usage: { input_tokens: 42, output_tokens: 0 },
      ...extra,
    },
  });
export const blockStart = (index: number, content_block: Record<string, unknown>) =>
  ev({ type: 'content_block_start', index, content_block });
export const text = (index: number, t: string) =>
  ev({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: t } });
export const json = (index: number, partial_json: string) =>
  ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
export const think = (index: number, thinking: string) =>
  ev({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } });
export const sign = (index: number) =>
  ev({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'dsb1.abc' } });
export const stop = (index: number) => ev({ type: 'content_block_stop', index });
export const delta = (stop_reason: unknown, usage: unknown = { output_tokens: 5 }) =>
  ev({ type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage });
export const end = () => ev({ type: 'message_stop' });
export const ping = () => ev({ type: 'ping' });
export const toolStart = (index: number, name = 'Read', id = `toolu_${index}`) =>
  blockStart(index, { type: 'tool_use', id, name, input: {} });

export const TEXT_STREAM = () => [
  start(),
  blockStart(0, { type: 'text', text: '' }),
  text(0, 'Hello'),
  text(0, ' there.'),
  stop(0),
  delta('end_turn'),
  end(),
];
