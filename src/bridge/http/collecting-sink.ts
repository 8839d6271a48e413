// The sink of a non-streaming answer: keeps every event and assembles the message at the end.
import type { MessageResponse, StreamEvent } from '../anthropic/schema.js';
import { assembleMessage } from '../translate/response.js';
import type { EventSink } from './relay.js';

export class CollectingSink implements EventSink {
  readonly events: StreamEvent[] = [];

  write(events: StreamEvent[]): void {
    for (const e of events) this.events.push(e);
  }

  /** The message the events describe; throws StreamErrorEvent (STREAM_ERROR_EVENT) on an `error` event. */
  message(): MessageResponse {
    return assembleMessage(this.events);
  }
}
