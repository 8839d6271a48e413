// The vocabulary of the stream invariants (design.md §4.3): the frames checked, the violations
// reported, and every invariant's id with the sentence a report shows for it.

/** One SSE frame: its `event:` line (undefined when absent) and its data, parsed as JSON when it is. */
export interface SseEvent {
  event: string | undefined;
  data: unknown;
}

export interface InvariantViolation {
  /** A stable id from `INVARIANTS`, e.g. `event-line-matches-type`. */
  invariant: string;
  /** Index of the offending event in the list (for a stream that ends too early: its last event). */
  index: number;
  message: string;
}

export interface StreamCheckOptions {
  /** When set, the message_delta's stop_reason must be exactly this. */
  expectedStopReason?: string;
}

/** Every invariant the checker knows, with the sentence a report shows for it. */
export const INVARIANTS = {
  'event-line-matches-type':
    'every frame has an `event:` line equal to its data.type (the Anthropic SDK drops frames without it)',
  'data-is-event-object': 'every frame carries a JSON object whose `type` is a Messages API stream event',
  'message-start-first': '`message_start` comes first, exactly once (only an `error` may precede it)',
  'message-start-shape':
    'message_start.message has id, type "message", role "assistant", content [], model and usage.input_tokens',
  'message-stop-last': 'the stream ends with `message_stop` (or an `error` event), and nothing follows it',
  'error-event-shape': 'an `error` event carries {type:"error", error:{type, message}}',
  'one-open-block': 'at most one content block is open at a time',
  'block-index-contiguous': 'content block indices count up from 0 without gaps or repeats',
  'block-start-stop-paired':
    'each content_block_start is closed by exactly one content_block_stop, before message_delta',
  'block-start-shape': 'content_block_start carries a text, thinking or tool_use block of the right shape',
  'delta-targets-open-block': 'deltas only go to the block that is open',
  'delta-kind-matches-block':
    'text_delta only in text blocks, input_json_delta only in tool_use, thinking/signature_delta only in thinking',
  'thinking-signed': 'a thinking block gets its signature_delta before it closes',
  'text-block-nonempty': 'a text block opens only at the first non-empty text (no empty text blocks)',
  'tool-use-start-shape':
    'tool_use content_block_start has an id, a name and `input: {}` (Claude Code drops input put there)',
  'tool-input-valid-json': 'input_json_delta fragments concatenate to a JSON object by the block’s stop',
  'message-delta-once': 'exactly one `message_delta`, after every block closed and before message_stop',
  'stop-reason-valid':
    'message_delta has a stop_reason (end_turn, max_tokens, stop_sequence, tool_use, pause_turn, refusal)',
  'message-delta-usage': 'message_delta carries usage.output_tokens',
  'stop-reason-tool-use':
    'stop_reason is tool_use if and only if a tool_use block was sent (unless the stop is max_tokens)',
  'stop-reason-expected': 'the stop_reason is the one the scenario expects',
} as const satisfies Record<string, string>;

export type InvariantId = keyof typeof INVARIANTS;

export const STOP_REASONS = [
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
] as const;

/** The event types of the Messages API stream. */
export const EVENT_TYPES: ReadonlySet<string> = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
  'error',
]);

/** "tool-input-valid-json at event #7: …" — one line per violation, for reports and test messages. */
export function formatViolation(v: InvariantViolation): string {
  return `${v.invariant} at event #${v.index}: ${v.message}`;
}
