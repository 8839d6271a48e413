// Non-streaming OpenAI response → Anthropic message. It goes through the same state machine as a
// stream (one synthetic chunk), so both paths repair, order and map exactly alike. Pure.
import { DsbError } from '../../errors.js';
import { isRecord } from '../../util/is-record.js';
import type { MessageResponse, ResponseBlock, StreamEvent } from '../anthropic/schema.js';
import type { ChatCompletionChunk, ChatCompletionResponse } from '../openai/types.js';
import {
  type StreamFailure,
  StreamTranslator,
  type StreamTranslatorOptions,
  toolArguments,
} from './stream.js';

/**
 * A whole response as the single chunk a stream would have carried. The body is untrusted JSON:
 * fields of the wrong type are left out here or ignored by the translator, never thrown on.
 */
export function responseAsChunk(response: unknown): ChatCompletionChunk {
  const body = isRecord(response) ? response : {};
  const choice = Array.isArray(body.choices) && isRecord(body.choices[0]) ? body.choices[0] : {};
  const message = isRecord(choice.message) ? choice.message : {};
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    id: typeof body.id === 'string' ? body.id : undefined,
    model: typeof body.model === 'string' ? body.model : undefined,
    usage: isRecord(body.usage) ? (body.usage as ChatCompletionChunk['usage']) : null,
    ...(isRecord(body.timings) ? { timings: body.timings } : {}),
    choices: [
      {
        index: 0,
        delta: {
          content: text(message.content),
          reasoning_content: text(message.reasoning_content) ?? text(message.reasoning),
          tool_calls: calls.filter(isRecord).map((call, index) => {
            const fn = isRecord(call.function) ? call.function : {};
            return {
              index,
              id: typeof call.id === 'string' ? call.id : undefined,
              type: 'function',
              function: {
                name: typeof fn.name === 'string' ? fn.name : undefined,
                arguments: toolArguments(fn.arguments) ?? '',
              },
            };
          }),
        },
        // A whole response has ended, whatever it says (or does not say) about why.
        finish_reason:
          typeof choice.finish_reason === 'string' && choice.finish_reason ? choice.finish_reason : 'stop',
        stop_reason:
          typeof choice.stop_reason === 'string' || typeof choice.stop_reason === 'number'
            ? choice.stop_reason
            : null,
      },
    ],
  };
}

/** An `error` event met while assembling a message: the failure the stream reported. */
export class StreamErrorEvent extends DsbError {
  constructor(readonly failure: StreamFailure) {
    super('STREAM_ERROR_EVENT', failure.message);
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

/**
 * The events of a whole (non-streamed) response after `message_start`: the one path by which the
 * bridge's relay and convertChatResponse turn a JSON answer into events.
 */
export function completionEvents(translator: StreamTranslator, response: unknown): StreamEvent[] {
  return [...translator.push(responseAsChunk(response)), ...translator.end()];
}

export function convertChatResponse(
  response: ChatCompletionResponse,
  options: StreamTranslatorOptions,
): MessageResponse {
  const translator = new StreamTranslator(options);
  return assembleMessage([...translator.start(), ...completionEvents(translator, response)]);
}
