// Encodes Anthropic stream events as SSE frames. Every frame carries an `event:` line equal to
// `data.type`: the Anthropic SDK (and so Claude Code) drops frames without it (design.md §4.3).
import type { StreamEvent } from './schema.js';

export function encodeSseEvent(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function encodeSseEvents(events: readonly StreamEvent[]): string {
  let out = '';
  for (const e of events) out += encodeSseEvent(e);
  return out;
}
