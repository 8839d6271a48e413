// The state machine behind checkStreamInvariants: it is fed one frame at a time, each event kind
// has its own checker, and `finish()` judges how the stream ended. Pure and synchronous.
import { isRecord } from '../util/is-record.js';
import {
  type BlockKind,
  describe,
  messageStartProblems,
  readBlockStart,
  toolInputProblem,
} from './event-shapes.js';
import {
  EVENT_TYPES,
  type InvariantId,
  type InvariantViolation,
  type SseEvent,
  STOP_REASONS,
  type StreamCheckOptions,
} from './invariant-catalog.js';

type Obj = Record<string, unknown>;

interface OpenBlock {
  index: number;
  kind: BlockKind;
  startedAt: number;
  text: string;
  json: string;
  signed: boolean;
  sawDelta: boolean;
}

export class StreamChecker {
  private readonly out: InvariantViolation[] = [];
  private started = false;
  /** message_stop seen. */
  private stopped = false;
  /** error event seen. */
  private errored = false;
  private open: OpenBlock | undefined;
  private readonly openedIndices = new Set<number>();
  private readonly closedIndices = new Set<number>();
  private nextIndex = 0;
  private toolUseBlocks = 0;
  private messageDeltas = 0;
  private stopReason: unknown;
  private stopReasonIndex = -1;
  /** Index and frame of the last event fed. */
  private last: { index: number; frame: SseEvent } | undefined;

  constructor(private readonly options: StreamCheckOptions = {}) {}

  private fail(invariant: InvariantId, index: number, message: string): void {
    this.out.push({ invariant, index, message });
  }

  /** Checks the frame at position `i` of the stream. */
  feed(frame: SseEvent, i: number): void {
    this.last = { index: i, frame };
    const type = this.checkedType(frame, i);
    if (type === undefined) return;
    const data = frame.data as Obj;
    if (type === 'error') this.onError(data, i);
    else if (type === 'message_start') this.onMessageStart(data, i);
    else this.onMessageEvent(type, data, i);
  }

  /** The frame's event type when the frame is one to check further, after its framing checks. */
  private checkedType(frame: SseEvent, i: number): string | undefined {
    const data = frame.data;
    if (!isRecord(data) || typeof data.type !== 'string') {
      this.fail(
        'data-is-event-object',
        i,
        `frame data is not a JSON object with a "type": ${describe(data)}${frame.event ? ` (event: ${frame.event})` : ''}`,
      );
      return undefined;
    }
    const type = data.type;
    if (frame.event === undefined) {
      this.fail('event-line-matches-type', i, `frame of type "${type}" has no "event:" line`);
    } else if (frame.event !== type) {
      this.fail('event-line-matches-type', i, `"event: ${frame.event}" but data.type is "${type}"`);
    }
    if (!EVENT_TYPES.has(type)) {
      this.fail('data-is-event-object', i, `unknown stream event type "${type}"`);
      return undefined;
    }
    if (this.stopped || this.errored) {
      this.fail(
        'message-stop-last',
        i,
        `"${type}" after ${this.errored ? 'an error event' : 'message_stop'}: nothing may follow the end of the stream`,
      );
      return undefined;
    }
    return type;
  }

  /** Any event of the message after message_start (blocks, deltas, stop, ping). */
  private onMessageEvent(type: string, data: Obj, i: number): void {
    if (!this.started) {
      this.fail('message-start-first', i, `"${type}" before message_start`);
      // Keep checking the rest as if the message had started, to report more than one thing.
      this.started = true;
    }
    switch (type) {
      case 'content_block_start':
        this.onBlockStart(data, i);
        break;
      case 'content_block_delta':
        this.onBlockDelta(data, i);
        break;
      case 'content_block_stop':
        this.onBlockStop(data, i);
        break;
      case 'message_delta':
        this.onMessageDelta(data, i);
        break;
      case 'message_stop':
        this.onMessageStop(i);
        break;
      // ping: nothing to check.
    }
  }

  private onError(data: Obj, i: number): void {
    this.errored = true;
    const err = data.error;
    if (!isRecord(err) || typeof err.type !== 'string' || typeof err.message !== 'string') {
      this.fail('error-event-shape', i, `error event without {error:{type, message}}: ${describe(data)}`);
    }
    if (this.open) {
      this.fail(
        'block-start-stop-paired',
        i,
        `error event while block ${this.open.index} is still open (close it first, design.md §4.4)`,
      );
      this.open = undefined;
    }
  }

  private onMessageStart(data: Obj, i: number): void {
    if (this.started) {
      this.fail('message-start-first', i, 'a second message_start');
      return;
    }
    this.started = true;
    if (i !== 0) this.fail('message-start-first', i, `message_start is event #${i}, not the first`);
    const problems = messageStartProblems(data.message);
    if (problems.length) this.fail('message-start-shape', i, problems.join('; '));
  }

  private onBlockStart(data: Obj, i: number): void {
    const index = data.index;
    if (this.messageDeltas > 0) {
      this.fail('block-start-stop-paired', i, 'content_block_start after message_delta');
    }
    if (typeof index !== 'number' || !Number.isInteger(index)) {
      this.fail(
        'block-index-contiguous',
        i,
        `content_block_start without an integer index: ${describe(index)}`,
      );
      return;
    }
    if (this.open) {
      this.fail('one-open-block', i, `block ${index} starts while block ${this.open.index} is still open`);
    }
    if (this.openedIndices.has(index)) {
      this.fail('block-index-contiguous', i, `block index ${index} was already used`);
    } else if (index !== this.nextIndex) {
      this.fail('block-index-contiguous', i, `block index ${index}, expected ${this.nextIndex}`);
    }
    this.openedIndices.add(index);
    this.nextIndex = Math.max(this.nextIndex, index + 1);
    const { kind, text, findings } = readBlockStart(data.content_block, index);
    if (kind === 'tool_use') this.toolUseBlocks++;
    for (const f of findings) this.fail(f.invariant, i, f.message);
    this.open = { index, kind, startedAt: i, text, json: '', signed: false, sawDelta: false };
  }

  private onBlockDelta(data: Obj, i: number): void {
    const index = data.index;
    const delta = data.delta;
    const open = this.open;
    if (!open || open.index !== index) {
      this.fail(
        'delta-targets-open-block',
        i,
        open
          ? `delta for block ${describe(index)} while block ${open.index} is open`
          : `delta for block ${describe(index)} while no block is open`,
      );
      return;
    }
    if (!isRecord(delta) || typeof delta.type !== 'string') {
      this.fail('delta-kind-matches-block', i, `delta is ${describe(delta)}`);
      return;
    }
    if (this.applyDelta(open, delta, i)) open.sawDelta = true;
  }

  /** Checks one delta against the open block and adds what it carries; false when it was refused. */
  private applyDelta(open: OpenBlock, delta: Obj, i: number): boolean {
    const expectedKind: Record<string, BlockKind> = {
      text_delta: 'text',
      input_json_delta: 'tool_use',
      thinking_delta: 'thinking',
      signature_delta: 'thinking',
    };
    const type = String(delta.type);
    const kind = expectedKind[type];
    if (kind === undefined) {
      this.fail('delta-kind-matches-block', i, `unknown delta type "${type}"`);
      return false;
    }
    if (open.kind !== kind) {
      this.fail('delta-kind-matches-block', i, `${type} inside a ${open.kind} block (block ${open.index})`);
      return false;
    }
    switch (type) {
      case 'text_delta':
        return this.onTextDelta(open, delta, i);
      case 'input_json_delta':
        if (typeof delta.partial_json !== 'string') {
          this.fail('delta-kind-matches-block', i, 'input_json_delta without a partial_json string');
          return false;
        }
        open.json += delta.partial_json;
        return true;
      case 'thinking_delta':
        if (typeof delta.thinking !== 'string') {
          this.fail('delta-kind-matches-block', i, 'thinking_delta without a thinking string');
          return false;
        }
        if (open.signed) {
          this.fail('thinking-signed', i, `thinking_delta after the signature_delta of block ${open.index}`);
        }
        return true;
      default: // signature_delta
        if (typeof delta.signature !== 'string' || delta.signature === '') {
          this.fail('thinking-signed', i, `signature_delta of block ${open.index} has no signature`);
          return false;
        }
        open.signed = true;
        return true;
    }
  }

  private onTextDelta(open: OpenBlock, delta: Obj, i: number): boolean {
    if (typeof delta.text !== 'string') {
      this.fail('delta-kind-matches-block', i, 'text_delta without a text string');
      return false;
    }
    if (!open.sawDelta && open.text === '' && delta.text === '') {
      this.fail(
        'text-block-nonempty',
        i,
        `text block ${open.index} opened before any text: its first text_delta is empty`,
      );
    }
    open.text += delta.text;
    return true;
  }

  private onBlockStop(data: Obj, i: number): void {
    const index = data.index;
    if (!this.open) {
      this.fail(
        'block-start-stop-paired',
        i,
        typeof index === 'number' && this.closedIndices.has(index)
          ? `block ${index} stopped twice`
          : `content_block_stop for block ${describe(index)}, which never started`,
      );
      return;
    }
    if (this.open.index !== index) {
      this.fail(
        'block-start-stop-paired',
        i,
        `content_block_stop for block ${describe(index)} while block ${this.open.index} is the open one`,
      );
      return;
    }
    this.closeCheck(this.open, i);
    this.closedIndices.add(this.open.index);
    this.open = undefined;
  }

  /** What a block must have by the time it closes (at event `at`). */
  private closeCheck(block: OpenBlock, at: number): void {
    if (block.kind === 'text' && block.text === '') {
      this.fail('text-block-nonempty', at, `text block ${block.index} closed without any text`);
    }
    if (block.kind === 'thinking' && !block.signed) {
      this.fail('thinking-signed', at, `thinking block ${block.index} closed without a signature_delta`);
    }
    if (block.kind === 'tool_use') {
      const problem = toolInputProblem(block.json, block.index);
      if (problem) this.fail('tool-input-valid-json', at, problem);
    }
  }

  /** A block still open when the message moves on (`what` is the event at `i`): reported and closed. */
  private closeLeftOpen(what: string, i: number): void {
    if (!this.open) return;
    this.fail(
      'block-start-stop-paired',
      i,
      `${what} while block ${this.open.index} (started at event #${this.open.startedAt}) was never stopped`,
    );
    this.closeCheck(this.open, i);
    this.open = undefined;
  }

  private onMessageDelta(data: Obj, i: number): void {
    this.messageDeltas++;
    if (this.messageDeltas > 1) {
      this.fail('message-delta-once', i, `message_delta #${this.messageDeltas}: there must be exactly one`);
      return;
    }
    this.closeLeftOpen('message_delta', i);
    const delta = data.delta;
    this.stopReason = isRecord(delta) ? delta.stop_reason : undefined;
    this.stopReasonIndex = i;
    if (
      typeof this.stopReason !== 'string' ||
      !(STOP_REASONS as readonly string[]).includes(this.stopReason)
    ) {
      this.fail(
        'stop-reason-valid',
        i,
        `stop_reason is ${describe(this.stopReason)}, expected one of ${STOP_REASONS.join(', ')}`,
      );
    }
    const usage = data.usage;
    if (!isRecord(usage) || typeof usage.output_tokens !== 'number') {
      this.fail('message-delta-usage', i, `message_delta without usage.output_tokens: ${describe(usage)}`);
    }
  }

  private onMessageStop(i: number): void {
    this.stopped = true;
    this.closeLeftOpen('message_stop', i);
    if (this.messageDeltas === 0)
      this.fail('message-delta-once', i, 'message_stop without a message_delta before it');
  }

  /** Judges how the stream ended and its stop_reason; returns every violation, by event index. */
  finish(): InvariantViolation[] {
    if (!this.last) {
      this.fail('message-start-first', 0, 'the stream carried no events at all');
      return this.out;
    }
    if (!this.stopped && !this.errored) this.checkCutShort(this.last.index, this.last.frame);
    this.checkStopReason();
    return this.out.sort((a, b) => a.index - b.index);
  }

  /** The stream ended without message_stop or an error event, after the frame at `last`. */
  private checkCutShort(last: number, frame: SseEvent): void {
    if (this.open) {
      this.fail(
        'block-start-stop-paired',
        last,
        `the stream ended while block ${this.open.index} (started at event #${this.open.startedAt}) was still open`,
      );
    }
    if (this.messageDeltas === 0) {
      this.fail('message-delta-once', last, 'the stream ended without a message_delta');
    }
    this.fail(
      'message-stop-last',
      last,
      `the stream ended after event #${last} (${eventType(frame)}) without message_stop`,
    );
  }

  private checkStopReason(): void {
    const { stopReason, stopReasonIndex, toolUseBlocks } = this;
    const expected = this.options.expectedStopReason;
    if (this.messageDeltas > 0 && typeof stopReason === 'string') {
      if (stopReason !== 'max_tokens') {
        if (toolUseBlocks > 0 && stopReason !== 'tool_use') {
          this.fail(
            'stop-reason-tool-use',
            stopReasonIndex,
            `stop_reason "${stopReason}" but ${toolUseBlocks} tool_use block(s) were sent: it must be "tool_use"`,
          );
        } else if (toolUseBlocks === 0 && stopReason === 'tool_use') {
          this.fail(
            'stop-reason-tool-use',
            stopReasonIndex,
            'stop_reason "tool_use" but no tool_use block was sent',
          );
        }
      }
      if (expected !== undefined && stopReason !== expected) {
        this.fail(
          'stop-reason-expected',
          stopReasonIndex,
          `stop_reason "${stopReason}", expected "${expected}"`,
        );
      }
    } else if (expected !== undefined && !this.errored && this.messageDeltas > 0) {
      this.fail('stop-reason-expected', stopReasonIndex, `no stop_reason, expected "${expected}"`);
    }
  }
}

function eventType(frame: SseEvent | undefined): string {
  if (!frame) return 'none';
  return isRecord(frame.data) && typeof frame.data.type === 'string' ? frame.data.type : String(frame.event);
}
