// The stream invariants of design.md §4.3, checked over a list of parsed SSE frames. Pure and
// synchronous: `dsb probe` runs it on what a bridge sent, and the bridge's own tests run it on what
// the translator emits. Each violation names a stable invariant id and the index of the event where
// the stream went wrong, so a failure reads "tool-input-valid-json at event #7", not "it broke".
import { isRecord as isObj } from '../util/is-record.js';

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

const EVENT_TYPES = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
  'error',
]);

type BlockKind = 'text' | 'thinking' | 'tool_use' | 'redacted_thinking' | 'other';

interface OpenBlock {
  index: number;
  kind: BlockKind;
  startedAt: number;
  text: string;
  json: string;
  signed: boolean;
  sawDelta: boolean;
}

const describe = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** Checks a whole event stream. Returns no violations for a stream Claude Code can consume. */
export function checkStreamInvariants(
  events: SseEvent[],
  options: StreamCheckOptions = {},
): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const fail = (invariant: InvariantId, index: number, message: string) =>
    out.push({ invariant, index, message });

  if (events.length === 0) {
    fail('message-start-first', 0, 'the stream carried no events at all');
    return out;
  }

  let started = false;
  let stopped = false; // message_stop seen
  let errored = false; // error event seen
  let open: OpenBlock | undefined;
  const openedIndices = new Set<number>();
  const closedIndices = new Set<number>();
  let nextIndex = 0;
  let toolUseBlocks = 0;
  let messageDeltas = 0;
  let stopReason: unknown;
  let stopReasonIndex = -1;

  const closeCheck = (block: OpenBlock, at: number) => {
    if (block.kind === 'text' && block.text === '') {
      fail('text-block-nonempty', at, `text block ${block.index} closed without any text`);
    }
    if (block.kind === 'thinking' && !block.signed) {
      fail('thinking-signed', at, `thinking block ${block.index} closed without a signature_delta`);
    }
    if (block.kind === 'tool_use') {
      // No fragment at all is how a tool without arguments streams; Claude Code reads it as {}.
      if (block.json !== '') {
        let parsed: unknown;
        let ok = true;
        try {
          parsed = JSON.parse(block.json);
        } catch {
          ok = false;
        }
        if (!ok) {
          fail(
            'tool-input-valid-json',
            at,
            `tool_use block ${block.index}: input_json_delta fragments do not form valid JSON: ${describe(block.json)}`,
          );
        } else if (!isObj(parsed)) {
          fail(
            'tool-input-valid-json',
            at,
            `tool_use block ${block.index}: input is ${describe(parsed)}, not a JSON object`,
          );
        }
      }
    }
  };

  events.forEach((frame, i) => {
    const data = frame.data;
    if (!isObj(data) || typeof data.type !== 'string') {
      fail(
        'data-is-event-object',
        i,
        `frame data is not a JSON object with a "type": ${describe(data)}${frame.event ? ` (event: ${frame.event})` : ''}`,
      );
      return;
    }
    const type = data.type;
    if (frame.event === undefined) {
      fail('event-line-matches-type', i, `frame of type "${type}" has no "event:" line`);
    } else if (frame.event !== type) {
      fail('event-line-matches-type', i, `"event: ${frame.event}" but data.type is "${type}"`);
    }
    if (!EVENT_TYPES.has(type)) {
      fail('data-is-event-object', i, `unknown stream event type "${type}"`);
      return;
    }

    if (stopped || errored) {
      fail(
        'message-stop-last',
        i,
        `"${type}" after ${errored ? 'an error event' : 'message_stop'}: nothing may follow the end of the stream`,
      );
      return;
    }

    if (type === 'error') {
      errored = true;
      const err = data.error;
      if (!isObj(err) || typeof err.type !== 'string' || typeof err.message !== 'string') {
        fail('error-event-shape', i, `error event without {error:{type, message}}: ${describe(data)}`);
      }
      if (open) {
        fail(
          'block-start-stop-paired',
          i,
          `error event while block ${open.index} is still open (close it first, design.md §4.4)`,
        );
        open = undefined;
      }
      return;
    }

    if (type === 'message_start') {
      if (started) {
        fail('message-start-first', i, 'a second message_start');
        return;
      }
      started = true;
      if (i !== 0) fail('message-start-first', i, `message_start is event #${i}, not the first`);
      const m = data.message;
      const problems: string[] = [];
      if (!isObj(m)) problems.push('no message object');
      else {
        if (typeof m.id !== 'string' || m.id === '') problems.push('message.id missing');
        if (m.type !== 'message') problems.push(`message.type is ${describe(m.type)}, not "message"`);
        if (m.role !== 'assistant') problems.push(`message.role is ${describe(m.role)}, not "assistant"`);
        if (!Array.isArray(m.content) || m.content.length !== 0)
          problems.push(`message.content is ${describe(m.content)}, not []`);
        if (typeof m.model !== 'string' || m.model === '') problems.push('message.model missing');
        if (!isObj(m.usage) || typeof m.usage.input_tokens !== 'number')
          problems.push('message.usage.input_tokens missing');
      }
      if (problems.length) fail('message-start-shape', i, problems.join('; '));
      return;
    }

    if (!started) {
      fail('message-start-first', i, `"${type}" before message_start`);
      // Keep checking the rest as if the message had started, to report more than one thing.
      started = true;
    }

    switch (type) {
      case 'ping':
        return;
      case 'content_block_start': {
        const index = data.index;
        const block = data.content_block;
        if (messageDeltas > 0) {
          fail('block-start-stop-paired', i, 'content_block_start after message_delta');
        }
        if (typeof index !== 'number' || !Number.isInteger(index)) {
          fail(
            'block-index-contiguous',
            i,
            `content_block_start without an integer index: ${describe(index)}`,
          );
          return;
        }
        if (open) {
          fail('one-open-block', i, `block ${index} starts while block ${open.index} is still open`);
        }
        if (openedIndices.has(index)) {
          fail('block-index-contiguous', i, `block index ${index} was already used`);
        } else if (index !== nextIndex) {
          fail('block-index-contiguous', i, `block index ${index}, expected ${nextIndex}`);
        }
        openedIndices.add(index);
        nextIndex = Math.max(nextIndex, index + 1);
        let kind: BlockKind = 'other';
        let text = '';
        if (!isObj(block) || typeof block.type !== 'string') {
          fail('block-start-shape', i, `content_block is ${describe(block)}`);
        } else if (block.type === 'text') {
          kind = 'text';
          if (typeof block.text !== 'string')
            fail('block-start-shape', i, 'text block without a text string');
          else text = block.text;
        } else if (block.type === 'thinking') {
          kind = 'thinking';
          if (typeof block.thinking !== 'string')
            fail('block-start-shape', i, 'thinking block without a thinking string');
        } else if (block.type === 'redacted_thinking') {
          kind = 'redacted_thinking';
        } else if (block.type === 'tool_use') {
          kind = 'tool_use';
          toolUseBlocks++;
          const problems: string[] = [];
          if (typeof block.id !== 'string' || block.id === '') problems.push('no id');
          if (typeof block.name !== 'string' || block.name === '') problems.push('no name');
          if (!isObj(block.input) || Object.keys(block.input).length > 0)
            problems.push(`input is ${describe(block.input)}, must be {} (stream it as input_json_delta)`);
          if (problems.length)
            fail('tool-use-start-shape', i, `tool_use block ${index}: ${problems.join('; ')}`);
        } else {
          fail('block-start-shape', i, `unexpected content block type "${block.type}"`);
        }
        open = { index, kind, startedAt: i, text, json: '', signed: false, sawDelta: false };
        return;
      }
      case 'content_block_delta': {
        const index = data.index;
        const delta = data.delta;
        if (!open || open.index !== index) {
          fail(
            'delta-targets-open-block',
            i,
            open
              ? `delta for block ${describe(index)} while block ${open.index} is open`
              : `delta for block ${describe(index)} while no block is open`,
          );
          return;
        }
        if (!isObj(delta) || typeof delta.type !== 'string') {
          fail('delta-kind-matches-block', i, `delta is ${describe(delta)}`);
          return;
        }
        const wrongKind = () =>
          fail('delta-kind-matches-block', i, `${delta.type} inside a ${open?.kind} block (block ${index})`);
        switch (delta.type) {
          case 'text_delta':
            if (open.kind !== 'text') {
              wrongKind();
              return;
            }
            if (typeof delta.text !== 'string') {
              fail('delta-kind-matches-block', i, 'text_delta without a text string');
              return;
            }
            if (!open.sawDelta && open.text === '' && delta.text === '') {
              fail(
                'text-block-nonempty',
                i,
                `text block ${index} opened before any text: its first text_delta is empty`,
              );
            }
            open.text += delta.text;
            break;
          case 'input_json_delta':
            if (open.kind !== 'tool_use') {
              wrongKind();
              return;
            }
            if (typeof delta.partial_json !== 'string') {
              fail('delta-kind-matches-block', i, 'input_json_delta without a partial_json string');
              return;
            }
            open.json += delta.partial_json;
            break;
          case 'thinking_delta':
            if (open.kind !== 'thinking') {
              wrongKind();
              return;
            }
            if (typeof delta.thinking !== 'string') {
              fail('delta-kind-matches-block', i, 'thinking_delta without a thinking string');
              return;
            }
            if (open.signed) {
              fail('thinking-signed', i, `thinking_delta after the signature_delta of block ${index}`);
            }
            break;
          case 'signature_delta':
            if (open.kind !== 'thinking') {
              wrongKind();
              return;
            }
            if (typeof delta.signature !== 'string' || delta.signature === '') {
              fail('thinking-signed', i, `signature_delta of block ${index} has no signature`);
              return;
            }
            open.signed = true;
            break;
          default:
            fail('delta-kind-matches-block', i, `unknown delta type "${delta.type}"`);
            return;
        }
        open.sawDelta = true;
        return;
      }
      case 'content_block_stop': {
        const index = data.index;
        if (!open) {
          fail(
            'block-start-stop-paired',
            i,
            typeof index === 'number' && closedIndices.has(index)
              ? `block ${index} stopped twice`
              : `content_block_stop for block ${describe(index)}, which never started`,
          );
          return;
        }
        if (open.index !== index) {
          fail(
            'block-start-stop-paired',
            i,
            `content_block_stop for block ${describe(index)} while block ${open.index} is the open one`,
          );
          return;
        }
        closeCheck(open, i);
        closedIndices.add(open.index);
        open = undefined;
        return;
      }
      case 'message_delta': {
        messageDeltas++;
        if (messageDeltas > 1) {
          fail('message-delta-once', i, `message_delta #${messageDeltas}: there must be exactly one`);
          return;
        }
        if (open) {
          fail(
            'block-start-stop-paired',
            i,
            `message_delta while block ${open.index} (started at event #${open.startedAt}) was never stopped`,
          );
          closeCheck(open, i);
          open = undefined;
        }
        const delta = data.delta;
        stopReason = isObj(delta) ? delta.stop_reason : undefined;
        stopReasonIndex = i;
        if (typeof stopReason !== 'string' || !(STOP_REASONS as readonly string[]).includes(stopReason)) {
          fail(
            'stop-reason-valid',
            i,
            `stop_reason is ${describe(stopReason)}, expected one of ${STOP_REASONS.join(', ')}`,
          );
        }
        const usage = data.usage;
        if (!isObj(usage) || typeof usage.output_tokens !== 'number') {
          fail('message-delta-usage', i, `message_delta without usage.output_tokens: ${describe(usage)}`);
        }
        return;
      }
      case 'message_stop': {
        stopped = true;
        if (open) {
          fail(
            'block-start-stop-paired',
            i,
            `message_stop while block ${open.index} (started at event #${open.startedAt}) was never stopped`,
          );
          closeCheck(open, i);
          open = undefined;
        }
        if (messageDeltas === 0)
          fail('message-delta-once', i, 'message_stop without a message_delta before it');
        return;
      }
    }
  });

  const last = events.length - 1;
  if (!stopped && !errored) {
    if (open) {
      fail(
        'block-start-stop-paired',
        last,
        `the stream ended while block ${open.index} (started at event #${open.startedAt}) was still open`,
      );
    }
    if (messageDeltas === 0) {
      fail('message-delta-once', last, 'the stream ended without a message_delta');
    }
    fail(
      'message-stop-last',
      last,
      `the stream ended after event #${last} (${eventType(events[last])}) without message_stop`,
    );
  }

  if (messageDeltas > 0 && typeof stopReason === 'string') {
    if (stopReason !== 'max_tokens') {
      if (toolUseBlocks > 0 && stopReason !== 'tool_use') {
        fail(
          'stop-reason-tool-use',
          stopReasonIndex,
          `stop_reason "${stopReason}" but ${toolUseBlocks} tool_use block(s) were sent: it must be "tool_use"`,
        );
      } else if (toolUseBlocks === 0 && stopReason === 'tool_use') {
        fail(
          'stop-reason-tool-use',
          stopReasonIndex,
          'stop_reason "tool_use" but no tool_use block was sent',
        );
      }
    }
    if (options.expectedStopReason !== undefined && stopReason !== options.expectedStopReason) {
      fail(
        'stop-reason-expected',
        stopReasonIndex,
        `stop_reason "${stopReason}", expected "${options.expectedStopReason}"`,
      );
    }
  } else if (options.expectedStopReason !== undefined && !errored && messageDeltas > 0) {
    fail('stop-reason-expected', stopReasonIndex, `no stop_reason, expected "${options.expectedStopReason}"`);
  }

  return out.sort((a, b) => a.index - b.index);
}

function eventType(frame: SseEvent | undefined): string {
  if (!frame) return 'none';
  return isObj(frame.data) && typeof frame.data.type === 'string' ? frame.data.type : String(frame.event);
}

/** "tool-input-valid-json at event #7: …" — one line per violation, for reports and test messages. */
export function formatViolation(v: InvariantViolation): string {
  return `${v.invariant} at event #${v.index}: ${v.message}`;
}
