// Non-streaming OpenAI response → Anthropic message. It goes through the same state machine as a
// stream (one synthetic chunk), so both paths repair, order and map exactly alike. Pure.
import type { MessageResponse, ResponseBlock, StreamEvent } from '../anthropic/schema.js';
import type { ChatCompletionChunk, ChatCompletionResponse } from '../openai/types.js';
import { type StreamFailure, StreamTranslator, type StreamTranslatorOptions } from './stream.js';

/** A whole response as the single chunk a stream would have carried. */
export function responseAsChunk(response: ChatCompletionResponse): ChatCompletionChunk {
  const choice = response.choices?.[0];
  const message = choice?.message ?? {};
  return {
    id: response.id,
    model: response.model,
    usage: response.usage ?? null,
    choices: [
      {
        index: 0,
        delta: {
          content: message.content ?? null,
          reasoning_content: message.reasoning_content ?? message.reasoning ?? null,
          tool_calls: (message.tool_calls ?? []).map((call, index) => ({
            index,
            id: call.id,
            type: 'function',
            function: { name: call.function?.name, arguments: call.function?.arguments ?? '' },
          })),
        },
        finish_reason: choice?.finish_reason ?? 'stop',
        stop_reason: choice?.stop_reason ?? null,
      },
    ],
  };
}

export class StreamErrorEvent extends Error {
  constructor(readonly failure: StreamFailure) {
    super(failure.message);
    this.name = 'StreamErrorEvent';
  }
}

/** Folds a complete event list into the message it describes (throws on an `error` event). */
export function assembleMessage(events: readonly StreamEvent[]): MessageResponse {
  let message: MessageResponse | undefined;
  const blocks = new Map<number, ResponseBlock & { json?: string }>();
  for (const event of events) {
    switch (event.type) {
      case 'message_start':
        message = { ...event.message, content: [], usage: { ...event.message.usage } };
        break;
      case 'content_block_start': {
        const b = event.content_block;
        blocks.set(event.index, b.type === 'tool_use' ? { ...b, input: {}, json: '' } : { ...b });
        break;
      }
      case 'content_block_delta': {
        const block = blocks.get(event.index);
        if (!block) break;
        const d = event.delta;
        if (d.type === 'text_delta' && block.type === 'text') block.text += d.text;
        else if (d.type === 'thinking_delta' && block.type === 'thinking') block.thinking += d.thinking;
        else if (d.type === 'signature_delta' && block.type === 'thinking') block.signature = d.signature;
        else if (d.type === 'input_json_delta' && block.type === 'tool_use') block.json += d.partial_json;
        break;
      }
      case 'message_delta':
        if (message) {
          message.stop_reason = event.delta.stop_reason;
          message.stop_sequence = event.delta.stop_sequence;
          message.usage = { ...message.usage, ...event.usage };
        }
        break;
      case 'error':
        throw new StreamErrorEvent(event.error);
      default:
        break;
    }
  }
  if (!message) throw new StreamErrorEvent({ type: 'api_error', message: 'no message_start' });
  message.content = [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, block]) => {
      if (block.type !== 'tool_use') return block;
      const { json, ...rest } = block;
      return { ...rest, input: json ? JSON.parse(json) : {} };
    });
  return message;
}

export function convertChatResponse(
  response: ChatCompletionResponse,
  options: StreamTranslatorOptions,
): MessageResponse {
  const translator = new StreamTranslator(options);
  const events = [...translator.start(), ...translator.push(responseAsChunk(response)), ...translator.end()];
  return assembleMessage(events);
}
