// OpenAI chat completion chunks → Anthropic stream events: one state machine per request, pure and
// synchronous (`push(data) → events`, `end() → events`), ids and signatures injected. It keeps every
// invariant of design.md §4.3, whatever the upstream sends.
import { isRecord } from '../../util/is-record.js';
import type { StopReason, StreamEvent, Usage } from '../anthropic/schema.js';
import { convertFinishReason } from './finish-reason.js';
import { repairToolArguments } from './json-repair.js';
import { ToolCallSalvager } from './salvage.js';
import type { ToolNameMap } from './tools.js';
import { convertUsage, tokenCount } from './usage.js';

export interface StreamTranslatorOptions {
  messageId: string;
  /** The model name the client asked for (echoed back, as Anthropic does). */
  model: string;
  /** Prompt tokens known before streaming: Claude Code sizes its context from message_start. */
  inputTokens: number;
  names: ToolNameMap;
  stopSequences?: readonly string[];
  /** Mints the signature of a thinking block (design.md §4.6). */
  signThinking: (thinking: string) => string;
  /** Makes an id for a tool call the upstream sent without one. */
  newToolId: () => string;
  /** Opt-in: turn tool calls leaked as text markup into tool_use blocks (design.md §4.6). */
  salvage?: { toolNames: string[] };
  /** Most bytes of reasoning, and of one tool call's arguments, one answer may hold (issue 13). */
  limits?: { maxReasoningBytes: number; maxToolArgumentsBytes: number };
}

interface ToolCallState {
  id: string | undefined;
  name: string | undefined;
  args: string;
  /** UTF-8 size of `args`, kept as it grows (measuring the whole text per delta would be quadratic). */
  bytes?: number;
}

export interface StreamOutcome {
  stopReason: StopReason | null;
  usage: Usage;
  /** All reasoning text of the answer (kept to re-inject it on the next tool-call turn). */
  thinking: string;
  /** Ids of the tool_use blocks sent to the client. */
  toolUseIds: string[];
  /** The upstream's own prompt token count, when it reported usage. */
  upstreamPromptTokens: number | undefined;
  /** Things the translator repaired or dropped, for the log. */
  warnings: string[];
}

/** An upstream failure to report after the first byte, as the `error` event. */
export interface StreamFailure {
  type: string;
  message: string;
}

/**
 * Tool-call arguments as text: the JSON string OpenAI specifies, or an object some servers send in
 * its place (serialised); anything else is no arguments.
 */
export function toolArguments(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isRecord(value) ? JSON.stringify(value) : undefined;
}

function limitFailure(what: string, limit: number, setting: string): StreamFailure {
  return {
    type: 'api_error',
    message: `upstream sent more than ${limit} bytes of ${what}: the answer was stopped (raise server.limits.${setting} if this is legitimate)`,
  };
}

export function toClientToolId(id: string | undefined, newToolId: () => string): string {
  if (!id) return newToolId();
  return id.startsWith('toolu_') ? id : `toolu_${id}`;
}

export class StreamTranslator {
  private started = false;
  private done = false;
  private nextIndex = 0;
  private open: { kind: 'text' | 'thinking'; index: number; thinking: string } | undefined;
  private readonly tools = new Map<number, ToolCallState>();
  private lastToolKey: number | undefined;
  /** One past the highest tool-call key used: where a call without an index goes. */
  private nextToolKey = 0;
  private finishReason: string | null | undefined;
  private matchedStop: unknown;
  /** The upstream's last usage object, as sent (read field by field, with type checks, at the end). */
  private usage: Record<string, unknown> | undefined;
  /** llama.cpp's `timings` (its `cache_n` says how much of the prompt came from the cache). */
  private timings: Record<string, unknown> | undefined;
  private deltaCount = 0;
  private sawContent = false;
  private thinkingText = '';
  private readonly toolUseIds: string[] = [];
  readonly warnings: string[] = [];
  private outcome: StreamOutcome | undefined;
  private readonly salvager: ToolCallSalvager | undefined;
  private reasoningBytes = 0;
  /** Set when the answer went over a limit: the stream fails at the end of the chunk. */
  private overLimit: StreamFailure | undefined;

  constructor(private readonly options: StreamTranslatorOptions) {
    if (options.salvage)
      this.salvager = new ToolCallSalvager({
        toolNames: options.salvage.toolNames,
        maxBlockLength: options.limits?.maxToolArgumentsBytes,
      });
  }

  get isStarted(): boolean {
    return this.started;
  }

  get isDone(): boolean {
    return this.done;
  }

  /** Whether any content (text, thinking or a tool call) has come from the upstream yet. */
  get hasContent(): boolean {
    return this.sawContent;
  }

  get result(): StreamOutcome | undefined {
    return this.outcome;
  }

  /** The `message_start` event; emitted once, before anything else. */
  start(): StreamEvent[] {
    if (this.started) return [];
    this.started = true;
    return [
      {
        type: 'message_start',
        message: {
          id: this.options.messageId,
          type: 'message',
          role: 'assistant',
          model: this.options.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: this.options.inputTokens, output_tokens: 0 },
        },
      },
    ];
  }

  ping(): StreamEvent[] {
    return this.started && !this.done ? [{ type: 'ping' }] : [];
  }

  /** One SSE `data:` payload from the upstream. */
  pushData(data: string): StreamEvent[] {
    if (this.done) return [];
    const trimmed = data.trim();
    if (trimmed === '[DONE]') return this.end({ sawDone: true });
    if (trimmed === '') return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(trimmed);
    } catch {
      return this.fail({
        type: 'api_error',
        message: `upstream sent a stream chunk that is not JSON: ${trimmed.slice(0, 200)}`,
      });
    }
    return this.push(chunk);
  }

  /**
   * One parsed upstream chunk. Nothing in it is trusted: a field of the wrong type (a `null` tool
   * call, an object where a string belongs, a usage count that is not a number) is ignored with
   * cheap typeof checks, never thrown on, so one odd field cannot cut off an answer.
   */
  push(chunk: unknown): StreamEvent[] {
    if (this.done) return [];
    if (!isRecord(chunk)) {
      return this.fail({ type: 'api_error', message: 'upstream sent a stream chunk that is not an object' });
    }
    if (chunk.error) {
      const err = chunk.error;
      const message =
        typeof err === 'string'
          ? err
          : isRecord(err) && typeof err.message === 'string'
            ? err.message
            : JSON.stringify(err);
      return this.fail({ type: 'api_error', message: `upstream error mid-stream: ${message}` });
    }
    const events = this.start();
    if (isRecord(chunk.usage)) this.usage = chunk.usage;
    if (isRecord(chunk.timings)) this.timings = chunk.timings;
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!isRecord(choice)) return events;
    const delta = isRecord(choice.delta) ? choice.delta : undefined;
    if (delta) {
      // vLLM and OpenRouter name it `reasoning`; a server that sends both carries it in one of them.
      const reasoning =
        typeof delta.reasoning_content === 'string' && delta.reasoning_content.length > 0
          ? delta.reasoning_content
          : delta.reasoning;
      if (typeof reasoning === 'string' && reasoning.length > 0) this.thinkingDelta(reasoning, events);
      if (typeof delta.content === 'string' && delta.content.length > 0)
        this.textDelta(delta.content, events);
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls) if (isRecord(call)) this.toolDelta(call);
      }
      if (this.overLimit) return [...events, ...this.fail(this.overLimit)];
    }
    if (typeof choice.finish_reason === 'string' && choice.finish_reason.length > 0) {
      this.finishReason = choice.finish_reason;
      if (choice.stop_reason !== undefined && choice.stop_reason !== null)
        this.matchedStop = choice.stop_reason;
    }
    return events;
  }

  /**
   * The upstream finished (`[DONE]`, or the body ended after a finish_reason). `sawDone`: the
   * upstream said it is done, so an answer without any finish_reason ended normally (`end_turn`).
   */
  end(options: { sawDone?: boolean } = {}): StreamEvent[] {
    if (this.done) return [];
    if (this.finishReason === undefined && (!this.sawContent || options.sawDone)) {
      // Nothing at all came (an empty completion is still a valid, empty message), or [DONE] came.
      this.finishReason = 'stop';
    }
    if (this.finishReason === undefined) {
      return this.fail({
        type: 'api_error',
        message: 'upstream closed the stream before it finished the answer',
      });
    }
    const events = this.start();
    if (this.salvager) {
      const rest = this.salvager.end();
      if (rest.text) this.emitText(rest.text, events);
      for (const call of rest.calls) {
        this.tools.set(this.nextToolKey++, { id: undefined, name: call.name, args: call.arguments });
        this.warnings.push(`tool call ${call.name} salvaged from text`);
      }
      if (rest.calls.length > 0 && this.finishReason !== 'length') this.finishReason = 'tool_calls';
    }
    this.closeOpen(events);
    // A refusal (the upstream's content filter stopped the answer) runs no tool: its calls are shown
    // as text, so stop_reason "refusal" never comes with a tool_use block Claude Code would run.
    const toolUses = this.flushTools(events, this.finishReason === 'content_filter');
    const stop = convertFinishReason(this.finishReason, {
      hasToolCalls: toolUses > 0,
      matchedStop: this.matchedStop,
      stopSequences: this.options.stopSequences,
    });
    // A cut-off call that had to be turned into text is still a max_tokens stop, never tool_use.
    let stopReason = stop.stopReason;
    if (stopReason === 'tool_use' && toolUses === 0) stopReason = 'end_turn';
    const usage = convertUsage(
      this.usage,
      { inputTokens: this.options.inputTokens, outputTokens: this.deltaCount },
      this.timings,
    );
    events.push({
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: stop.stopSequence },
      usage,
    });
    events.push({ type: 'message_stop' });
    this.done = true;
    this.outcome = this.makeOutcome(stopReason, usage);
    return events;
  }

  /** Ends the stream with an `error` event, after closing any open block (design.md §4.4). */
  fail(failure: StreamFailure): StreamEvent[] {
    if (this.done) return [];
    const events = this.start();
    this.closeOpen(events);
    events.push({ type: 'error', error: { type: failure.type, message: failure.message } });
    this.done = true;
    this.outcome = this.makeOutcome(
      null,
      convertUsage(
        this.usage,
        { inputTokens: this.options.inputTokens, outputTokens: this.deltaCount },
        this.timings,
      ),
    );
    return events;
  }

  private makeOutcome(stopReason: StopReason | null, usage: Usage): StreamOutcome {
    return {
      stopReason,
      usage,
      thinking: this.thinkingText,
      toolUseIds: this.toolUseIds,
      upstreamPromptTokens: tokenCount(this.usage?.prompt_tokens),
      warnings: this.warnings,
    };
  }

  private thinkingDelta(text: string, events: StreamEvent[]): void {
    const limit = this.options.limits?.maxReasoningBytes;
    if (limit !== undefined) {
      this.reasoningBytes += Buffer.byteLength(text);
      if (this.reasoningBytes > limit) {
        this.overLimit = limitFailure('reasoning', limit, 'maxReasoningBytes');
        return;
      }
    }
    this.sawContent = true;
    this.deltaCount++;
    if (this.open?.kind !== 'thinking') {
      this.closeOpen(events);
      this.open = { kind: 'thinking', index: this.nextIndex++, thinking: '' };
      events.push({
        type: 'content_block_start',
        index: this.open.index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      });
    }
    this.open.thinking += text;
    this.thinkingText += text;
    events.push({
      type: 'content_block_delta',
      index: this.open.index,
      delta: { type: 'thinking_delta', thinking: text },
    });
  }

  private textDelta(text: string, events: StreamEvent[]): void {
    this.sawContent = true;
    this.deltaCount++;
    this.emitText(this.salvager ? this.salvager.push(text).text : text, events);
  }

  private emitText(text: string, events: StreamEvent[]): void {
    if (text.length === 0) return;
    if (this.open?.kind !== 'text') {
      this.closeOpen(events);
      this.open = { kind: 'text', index: this.nextIndex++, thinking: '' };
      events.push({
        type: 'content_block_start',
        index: this.open.index,
        content_block: { type: 'text', text: '' },
      });
    }
    events.push({ type: 'content_block_delta', index: this.open.index, delta: { type: 'text_delta', text } });
  }

  /**
   * Tool calls are collected and emitted as whole blocks when the answer ends: a block already
   * started cannot be taken back, and arguments cut off by the token limit, or interleaved
   * parallel calls, are only known to be complete (and repairable) at the end.
   */
  private toolDelta(call: Record<string, unknown>): void {
    this.sawContent = true;
    this.deltaCount++;
    const id = typeof call.id === 'string' && call.id.length > 0 ? call.id : undefined;
    const fn = isRecord(call.function) ? call.function : undefined;
    const name = typeof fn?.name === 'string' ? fn.name : undefined;
    const args = toolArguments(fn?.arguments);
    let key =
      typeof call.index === 'number' && Number.isSafeInteger(call.index) && call.index >= 0
        ? call.index
        : undefined;
    if (key === undefined) {
      // Servers that send whole calls without `index`: a new id starts a new call.
      const last = this.lastToolKey === undefined ? undefined : this.tools.get(this.lastToolKey);
      const continues = last !== undefined && (id === undefined || id === last.id);
      key = continues ? this.lastToolKey! : this.nextToolKey;
    }
    let state = this.tools.get(key);
    if (!state) {
      state = { id: undefined, name: undefined, args: '' };
      this.tools.set(key, state);
      if (key >= this.nextToolKey) this.nextToolKey = key + 1;
    }
    this.lastToolKey = key;
    if (id !== undefined && !state.id) state.id = id;
    if (name) state.name = (state.name ?? '') + name;
    if (args !== undefined) {
      const limit = this.options.limits?.maxToolArgumentsBytes;
      state.bytes = (state.bytes ?? 0) + Buffer.byteLength(args);
      if (limit !== undefined && state.bytes > limit) {
        this.overLimit = limitFailure('arguments of one tool call', limit, 'maxToolArgumentsBytes');
        return;
      }
      state.args += args;
    }
  }

  private closeOpen(events: StreamEvent[]): void {
    const open = this.open;
    if (!open) return;
    if (open.kind === 'thinking') {
      events.push({
        type: 'content_block_delta',
        index: open.index,
        delta: { type: 'signature_delta', signature: this.options.signThinking(open.thinking) },
      });
    }
    events.push({ type: 'content_block_stop', index: open.index });
    this.open = undefined;
  }

  /** Emits the collected tool calls in index order; returns how many became tool_use blocks. */
  private flushTools(events: StreamEvent[], refused: boolean): number {
    let emitted = 0;
    const keys = [...this.tools.keys()].sort((a, b) => a - b);
    for (const key of keys) {
      const call = this.tools.get(key)!;
      if (!call.name) {
        this.warnings.push(`tool call ${key} without a name dropped`);
        continue;
      }
      const name = this.options.names.clientName(call.name);
      if (refused) {
        this.warnings.push(`tool call ${name} in an answer the content filter stopped; sent as text`);
        this.emitWholeText(`[call of tool ${name} not run, the answer was filtered: ${call.args}]`, events);
        continue;
      }
      const repaired = repairToolArguments(call.args);
      // Repair is right only after a `length` cut: arguments that never closed in an answer that
      // ended otherwise are broken output (e.g. a Write whose content runs into leaked
      // <｜tool▁call▁end｜> tokens), and running them would write that into the user's file.
      if (!repaired || (repaired.repaired && this.finishReason !== 'length')) {
        // Show it as text rather than send tool input that cannot parse, or that was guessed.
        this.warnings.push(
          repaired
            ? `tool call ${name} had unterminated arguments without a token-limit cut; sent as text, not run`
            : `tool call ${name} had arguments that are not JSON; sent as text`,
        );
        this.emitWholeText(`[unparsable call of tool ${name}: ${call.args}]`, events);
        continue;
      }
      if (repaired.repaired) this.warnings.push(`tool call ${name} had cut-off arguments; repaired`);
      const index = this.nextIndex++;
      const id = toClientToolId(call.id, this.options.newToolId);
      this.toolUseIds.push(id);
      events.push({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id, name, input: {} },
      });
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: repaired.json },
      });
      events.push({ type: 'content_block_stop', index });
      emitted++;
    }
    return emitted;
  }

  /** A whole text block at once (no block may be open). */
  private emitWholeText(text: string, events: StreamEvent[]): void {
    const index = this.nextIndex++;
    events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    events.push({ type: 'content_block_stop', index });
  }
}
