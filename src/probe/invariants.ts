// The stream invariants of design.md §4.3, checked over a list of parsed SSE frames. Pure and
// synchronous: `dsb probe` runs it on what a bridge sent, and the bridge's own tests run it on what
// the translator emits. Each violation names a stable invariant id and the index of the event where
// the stream went wrong, so a failure reads "tool-input-valid-json at event #7", not "it broke".
// The catalog of invariants is invariant-catalog.ts; the per-event checkers are stream-checker.ts.
import type { InvariantViolation, SseEvent, StreamCheckOptions } from './invariant-catalog.js';
import { StreamChecker } from './stream-checker.js';

export {
  EVENT_TYPES,
  formatViolation,
  INVARIANTS,
  type InvariantId,
  type InvariantViolation,
  type SseEvent,
  STOP_REASONS,
  type StreamCheckOptions,
} from './invariant-catalog.js';

/** Checks a whole event stream. Returns no violations for a stream Claude Code can consume. */
export function checkStreamInvariants(
  events: SseEvent[],
  options: StreamCheckOptions = {},
): InvariantViolation[] {
  const checker = new StreamChecker(options);
  events.forEach((frame, i) => {
    checker.feed(frame, i);
  });
  return checker.finish();
}
