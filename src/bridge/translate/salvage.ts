// Opt-in salvage of tool calls that a model wrote as TEXT instead of structured `tool_calls`
// (design.md §4.6). DeepSeek V3.2/V4 sometimes leak their native call markup into `content` when the
// server's tool parser is off or misses it; Qwen/Hermes-style models leak `<tool_call>` blocks.
//
// Pure and streaming: `push(text)` returns what is safe to show now, holding back only what could
// still become a markup block (a partial start marker at the end of the text, or an open block);
// `end()` returns the rest plus the calls found. A block that does not parse, or names a tool the
// request did not offer, goes back out as text, unchanged and in order: salvage never eats output.
//
// The formats, as documented by their authors (verified, not guessed):
// - DeepSeek V3.2 "DSML": the model's own encoder, deepseek-ai/DeepSeek-V3.2 `encoding/encoding_dsv32.py`
//   (vendored in vLLM as vllm/tokenizers/deepseek_v32_encoding.py; parsed by vLLM's
//   vllm/tool_parsers/deepseekv32_tool_parser.py and SGLang's deepseekv32_detector.py):
//     <｜DSML｜function_calls>
//     <｜DSML｜invoke name="get_weather">
//     <｜DSML｜parameter name="location" string="true">杭州</｜DSML｜parameter>
//     <｜DSML｜parameter name="days" string="false">3</｜DSML｜parameter>
//     </｜DSML｜invoke>
//     </｜DSML｜function_calls>
//   The bars are FULLWIDTH VERTICAL LINE U+FF5C. `string="true"` values are raw text (no quotes or
//   escaping); `string="false"` values are JSON (numbers, booleans, arrays, objects).
// - DeepSeek V4: the same invoke/parameter grammar, wrapped in `<｜DSML｜tool_calls>` instead
//   (vllm/tokenizers/deepseek_v4_encoding.py `tool_calls_block_name = "tool_calls"`, and vLLM's
//   DeepSeekV4ToolParser).
// - Hermes/Qwen: `<tool_call>{"name": "...", "arguments": {...}}</tool_call>`, one call per block
//   (vLLM vllm/tool_parsers/hermes_tool_parser.py). Like vLLM's parser, a final block whose closing
//   tag never came is still taken when its JSON is complete.

import { isRecord } from '../../util/is-record.js';

export interface SalvagedCall {
  name: string;
  /** The arguments as a JSON object string. */
  arguments: string;
}

export interface ToolCallSalvagerOptions {
  /** Names of the tools the request offered (as the model sees them); other names stay text. */
  toolNames: readonly string[];
  /**
   * Most characters an open block may hold back; past it the block goes out as text (a model that
   * opens a block and never closes it must not grow the bridge's memory without bound).
   */
  maxBlockLength?: number;
}

const BAR = '\uFF5C';
const DSML = `${BAR}DSML${BAR}`;

interface MarkupFormat {
  kind: 'dsml' | 'hermes';
  start: string;
  end: string;
}

const FORMATS: readonly MarkupFormat[] = [
  { kind: 'dsml', start: `<${DSML}function_calls>`, end: `</${DSML}function_calls>` },
  { kind: 'dsml', start: `<${DSML}tool_calls>`, end: `</${DSML}tool_calls>` },
  { kind: 'hermes', start: '<tool_call>', end: '</tool_call>' },
];

/** Length of the longest end of `text` that is a proper start of some format's start marker. */
function partialStartLength(text: string): number {
  let best = 0;
  for (const { start } of FORMATS) {
    for (let n = Math.min(start.length - 1, text.length); n > best; n--) {
      if (text.endsWith(start.slice(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best;
}

function findStart(text: string): { index: number; format: MarkupFormat } | undefined {
  let found: { index: number; format: MarkupFormat } | undefined;
  for (const format of FORMATS) {
    const index = text.indexOf(format.start);
    if (index !== -1 && (found === undefined || index < found.index)) found = { index, format };
  }
  return found;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

type BlockParse = { ok: true; calls: SalvagedCall[] } | { ok: false; reason: string };

/** `{"name": …, "arguments": {…}}`; arguments may also come as a JSON string of an object. */
function parseHermesBody(body: string): BlockParse {
  const parsed = parseJson(body.trim());
  if (!parsed.ok || !isRecord(parsed.value)) return { ok: false, reason: 'its body is not a JSON object' };
  const { name, arguments: args } = parsed.value;
  if (typeof name !== 'string' || name === '') return { ok: false, reason: 'it has no "name"' };
  let input: unknown = args ?? {};
  if (typeof input === 'string') {
    const inner = parseJson(input);
    if (!inner.ok) return { ok: false, reason: `the arguments of ${name} are not JSON` };
    input = inner.value;
  }
  if (!isRecord(input)) return { ok: false, reason: `the arguments of ${name} are not a JSON object` };
  return { ok: true, calls: [{ name, arguments: JSON.stringify(input) }] };
}

// Sticky patterns that walk a DSML body from one tag to the next. Attribute spacing is as lenient as
// vLLM's parser (`\s+` between attributes, `\s*` before `>`); values run to the first closing tag.
const WS = /\s*/y;
const INVOKE_OPEN = new RegExp(`<${DSML}invoke\\s+name="([^"]+)"\\s*>`, 'y');
const INVOKE_CLOSE = new RegExp(`</${DSML}invoke>`, 'y');
const PARAM_OPEN = new RegExp(`<${DSML}parameter\\s+name="([^"]+)"\\s+string="(true|false)"\\s*>`, 'y');
const PARAM_CLOSE = `</${DSML}parameter>`;

function matchAt(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at;
  return pattern.exec(text);
}

function skipWhitespace(text: string, at: number): number {
  WS.lastIndex = at;
  WS.exec(text);
  return WS.lastIndex;
}

/** The invokes between `<｜DSML｜function_calls>` and its end tag; anything else is malformed. */
function parseDsmlBody(body: string): BlockParse {
  const calls: SalvagedCall[] = [];
  let at = skipWhitespace(body, 0);
  while (at < body.length) {
    const invoke = matchAt(INVOKE_OPEN, body, at);
    if (!invoke) return { ok: false, reason: `unexpected text at offset ${at} of the block` };
    const name = invoke[1]!;
    at = skipWhitespace(body, INVOKE_OPEN.lastIndex);
    // A Map, not an object literal: a parameter named `__proto__` must stay a plain key.
    const input = new Map<string, unknown>();
    for (;;) {
      if (matchAt(INVOKE_CLOSE, body, at)) {
        at = skipWhitespace(body, INVOKE_CLOSE.lastIndex);
        break;
      }
      const param = matchAt(PARAM_OPEN, body, at);
      if (!param) return { ok: false, reason: `invoke of ${name} is not closed` };
      const [, key, isString] = param as unknown as [string, string, string];
      const valueStart = PARAM_OPEN.lastIndex;
      const valueEnd = body.indexOf(PARAM_CLOSE, valueStart);
      if (valueEnd === -1) return { ok: false, reason: `parameter ${key} of ${name} is not closed` };
      if (input.has(key)) return { ok: false, reason: `parameter ${key} of ${name} appears twice` };
      const raw = body.slice(valueStart, valueEnd);
      if (isString === 'true') {
        input.set(key, raw);
      } else {
        const value = parseJson(raw);
        if (!value.ok)
          return {
            ok: false,
            reason: `parameter ${key} of ${name} is marked string="false" but is not JSON`,
          };
        input.set(key, value.value);
      }
      at = skipWhitespace(body, valueEnd + PARAM_CLOSE.length);
    }
    calls.push({ name, arguments: JSON.stringify(Object.fromEntries(input)) });
  }
  if (calls.length === 0) return { ok: false, reason: 'the block holds no invoke' };
  return { ok: true, calls };
}

export class ToolCallSalvager {
  private readonly toolNames: ReadonlySet<string>;
  /** Text held because it may be the start of a start marker. */
  private pending = '';
  /** The open block: its format and all its text so far, start marker included. */
  private block: { format: MarkupFormat; text: string } | undefined;
  /** Whitespace after a salvaged block: dropped if only calls and whitespace follow. */
  private gap = '';
  private afterCall = false;
  private readonly calls: SalvagedCall[] = [];
  private ended = false;
  /** Blocks that looked like calls but went out as text, and why (for the bridge's log). */
  readonly warnings: string[] = [];

  private readonly maxBlockLength: number;

  constructor(opts: ToolCallSalvagerOptions) {
    this.toolNames = new Set(opts.toolNames);
    this.maxBlockLength = opts.maxBlockLength ?? 16 * 1024 * 1024;
  }

  /** Feeds model text; returns the part that can be shown now. */
  push(text: string): { text: string } {
    if (this.ended) throw new Error('ToolCallSalvager.push() after end()');
    const out: string[] = [];
    let rest = this.pending + text;
    this.pending = '';
    while (rest.length > 0) {
      if (this.block) {
        const block = this.block;
        // Search only where the end marker could newly appear (it may straddle two pushes).
        const from = Math.max(0, block.text.length - block.format.end.length + 1);
        block.text += rest;
        rest = '';
        const endAt = block.text.indexOf(block.format.end, Math.max(from, block.format.start.length));
        if (endAt === -1) {
          if (block.text.length > this.maxBlockLength) {
            this.block = undefined;
            this.warnings.push(
              `${block.format.start} block left as text: longer than ${this.maxBlockLength} characters`,
            );
            this.emit(block.text, out);
          }
          break;
        }
        const close = endAt + block.format.end.length;
        rest = block.text.slice(close);
        this.block = undefined;
        this.finishBlock(block.format, block.text.slice(0, close), true, out);
        continue;
      }
      const start = findStart(rest);
      if (start) {
        this.emit(rest.slice(0, start.index), out);
        this.block = { format: start.format, text: '' };
        rest = rest.slice(start.index);
        continue;
      }
      const held = partialStartLength(rest);
      this.emit(rest.slice(0, rest.length - held), out);
      this.pending = rest.slice(rest.length - held);
      rest = '';
    }
    return { text: out.join('') };
  }

  /** The text is over: returns what was still held back, and every call salvaged. */
  end(): { text: string; calls: SalvagedCall[] } {
    if (this.ended) return { text: '', calls: [] };
    this.ended = true;
    const out: string[] = [];
    if (this.block) {
      const block = this.block;
      this.block = undefined;
      this.finishBlock(block.format, block.text, false, out);
    }
    this.emit(this.pending, out);
    this.pending = '';
    return { text: out.join(''), calls: [...this.calls] };
  }

  private emit(text: string, out: string[]): void {
    if (text === '') return;
    if (this.afterCall && text.trim() === '') {
      this.gap += text;
      return;
    }
    out.push(this.gap, text);
    this.gap = '';
    this.afterCall = false;
  }

  private finishBlock(format: MarkupFormat, text: string, closed: boolean, out: string[]): void {
    const body = text.slice(format.start.length, closed ? text.length - format.end.length : text.length);
    let result: BlockParse;
    if (!closed && format.kind === 'dsml') result = { ok: false, reason: 'the block was never closed' };
    else if (format.kind === 'dsml') result = parseDsmlBody(body);
    else result = parseHermesBody(body);
    if (result.ok) {
      const unknown = result.calls.find((call) => !this.toolNames.has(call.name));
      if (unknown)
        result = { ok: false, reason: `it calls ${unknown.name}, a tool the request did not offer` };
    }
    if (!result.ok) {
      this.warnings.push(`${format.start} block left as text: ${result.reason}`);
      this.emit(text, out);
      return;
    }
    this.calls.push(...result.calls);
    this.gap = '';
    this.afterCall = true;
  }
}
