// Counting a growing conversation without asking the server to re-read it (issue 14 item 8).
//
// Claude Code sends the whole conversation every turn: turn N is turn N-1's messages plus the
// answer and a new user message. Asking llama.cpp to template and tokenize all of it before each
// completion (92–214 ms for a 13K-token prompt) repeats work the completion does again. But the
// server already told us the exact size of turn N-1: its `usage.prompt_tokens`. So:
//
//   tokens(turn N) ≤ prompt_tokens(turn N-1) + Σ over the new messages m of (bytes(JSON(m)) + 64) + 64
//
// Why this bound holds (and when it would not):
// - Each token of a byte-level BPE tokenizer (DeepSeek V3, deepseek-coder, Qwen, Llama 3 …) stands
//   for at least one byte of text, so a text has at most as many tokens as UTF-8 bytes. The JSON
//   of a message holds every string a template can render from it (content, reasoning_content, tool
//   names, arguments, ids) and is never shorter in UTF-8 bytes than those strings together (JSON
//   escaping only lengthens them).
// - A chat template wraps each message in role markers and separators: under 64 bytes for every
//   template we know (ChatML `<|im_start|>assistant\n…<|im_end|>\n` is 35, Hermes `<tool_call>` /
//   `<tool_response>` wrapping ~45, DeepSeek's markers are single special tokens), hence 64 tokens
//   per message, and 64 once for whatever a template renders after the last message (the
//   generation prompt, an empty think block).
// - Templates render the earlier messages the same way on the next turn or shorter (DeepSeek and
//   Qwen drop the reasoning of past turns), and they end at special tokens, where tokenization
//   restarts: the earlier part costs at most what the server counted for it.
// The rule is applied only where those hold: an upstream that counts exactly (llama.cpp, vLLM),
// the same model, tools and options (part of the key), and the earlier turn's messages a prefix of
// this one's, message for message. If the server ever reports more prompt tokens than a bound we
// used, the assumption broke for that server: anchoring is switched off for it (see `settle`).
// When the bound cannot prove the prompt fits, the caller counts exactly, as before.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ChatCompletionRequest } from '../openai/types.js';

/** Tokens a template may add around one message (role markers, separators, tool-call wrapping). */
export const ANCHOR_TOKENS_PER_MESSAGE = 64;
/** Tokens a template may add once after the last message (generation prompt, empty think block). */
export const ANCHOR_TOKENS_PER_PROMPT = 64;

/** The hash chain of one request: `keys[i]` names its options plus its first i messages. */
export interface PromptChain {
  keys: string[];
  /** UTF-8 bytes of each message's JSON. */
  bytes: number[];
}

/** A bound computed from an anchor, with what it rests on (for the log and the header). */
export interface AnchoredBound {
  tokens: number;
  /** Messages after the anchored prefix (counted by the byte bound). */
  newMessages: number;
  /** The server's (or an exact count's) tokens for the prefix. */
  anchorTokens: number;
}

/** What a request's count leaves to settle when the server's usage comes back. */
export interface AnchorTicket {
  key: string;
  /** The bound sent as the prompt's size, when the count was a bound (not exact). */
  bound?: number;
}

function hashStep(previous: string, json: string): string {
  return createHash('sha1').update(previous).update('\n').update(json).digest('base64');
}

/**
 * Hashes a request's options, then each message in turn: `messageJsons` are the messages as the
 * counting body serialized them (else each is serialized here).
 */
export function promptChain(request: ChatCompletionRequest, messageJsons?: readonly string[]): PromptChain {
  const { messages, stream: _s, stream_options: _o, max_tokens: _m, ...options } = request;
  const keys = [hashStep('', JSON.stringify(options))];
  const bytes: number[] = [];
  for (const [i, message] of messages.entries()) {
    const json = messageJsons?.[i] ?? JSON.stringify(message);
    bytes.push(Buffer.byteLength(json, 'utf8'));
    keys.push(hashStep(keys[keys.length - 1] as string, json));
  }
  return { keys, bytes };
}

/** Exact prompt sizes of earlier requests, keyed by their chain's last key, per upstream. */
export class PromptAnchors {
  private readonly known = new LRUCache<string, number>({ max: 4096 });
  private broken = false;

  /** False once the server reported more tokens than a bound: then every count is exact again. */
  get enabled(): boolean {
    return !this.broken;
  }

  /** The bound for `chain` from its longest anchored prefix; undefined without one. */
  bound(chain: PromptChain): AnchoredBound | undefined {
    if (this.broken) return undefined;
    for (let i = chain.keys.length - 1; i >= 1; i--) {
      const anchorTokens = this.known.get(chain.keys[i] as string);
      if (anchorTokens === undefined) continue;
      let tokens = anchorTokens + ANCHOR_TOKENS_PER_PROMPT;
      for (let m = i; m < chain.bytes.length; m++)
        tokens += (chain.bytes[m] as number) + ANCHOR_TOKENS_PER_MESSAGE;
      return { tokens, newMessages: chain.bytes.length - i, anchorTokens };
    }
    return undefined;
  }

  /** Records an exact size (an exact count, or the server's own `prompt_tokens`). */
  remember(key: string, tokens: number): void {
    if (Number.isInteger(tokens) && tokens > 0) this.known.set(key, tokens);
  }

  /**
   * The server's `prompt_tokens` for a request: the anchor for the next turn. Returns a warning
   * (and stops anchoring) when it exceeds the bound that request was sent with.
   */
  settle(ticket: AnchorTicket, serverPromptTokens: number | undefined): string | undefined {
    if (serverPromptTokens === undefined) return undefined;
    if (ticket.bound !== undefined && serverPromptTokens > ticket.bound) {
      this.broken = true;
      this.known.clear();
      return `the upstream counted ${serverPromptTokens} prompt tokens where the bridge's bound said at most ${ticket.bound}: counting exactly from now on`;
    }
    this.remember(ticket.key, serverPromptTokens);
    return undefined;
  }

  /** Forgets every anchor (the server may have restarted with another model or template). */
  clear(): void {
    this.known.clear();
  }
}
