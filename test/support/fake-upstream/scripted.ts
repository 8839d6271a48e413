// Scripted chat turns for the fake upstream: each chat request is answered by a turn the test
// scripts (text, tool calls, reasoning), sent exactly in the shapes llama-server sends
// (test/fixtures/llama-server/: 07_chat_stream_greedy, 11_tools_required_stream, 05_chat_greedy),
// with the DeepSeek llama-server profile of llama.ts for discovery.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import {
  DEEPSEEK_LLAMA_NOT_FOUND,
  deepSeekLlamaRoutes,
  inputTokensRoute,
  LLAMA_FINGERPRINT,
} from './llama.js';
import {
  type ChatAnswer,
  type ChatMessageBody,
  type ChatRequestBody,
  type CompletionRecord,
  type FakeUpstream,
  sendJson,
  startFakeUpstream,
} from './server.js';

export interface ScriptedToolCall {
  name: string;
  /** The arguments: an object (serialised with JSON.stringify) or the exact JSON text to stream. */
  arguments: Record<string, unknown> | string;
  /** The call id; default: 32 random letters and digits, like llama-server (no `call_` prefix). */
  id?: string;
  /** How the arguments are cut into deltas; default `fragmentArguments(text)`. */
  fragments?: string[];
}

export interface ScriptedTurn {
  /** A name for the turn, recorded with the request it answered (for failure messages). */
  label?: string;
  /** Streamed first as `reasoning_content` deltas (llama-server `--reasoning-format deepseek`). */
  reasoning?: string;
  text?: string;
  toolCalls?: ScriptedToolCall[];
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls';
  /** Default: prompt 1000 tokens (900 cached), completion = number of pieces sent. */
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
  /** Answer with this HTTP error instead of a completion. */
  error?: { status: number; body: unknown };
}

/**
 * What to answer: a queue of turns (taken in order, one per chat request), or a function of the
 * request (inspect it to tell Claude Code's side requests from the conversation under test).
 */
export type ChatScript = ScriptedTurn[] | ((request: CompletionRecord, index: number) => ScriptedTurn);

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random id of letters and digits, the form llama-server uses for completion and tool call ids. */
export function llamaId(length = 32): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHANUM[b % ALPHANUM.length];
  return out;
}

/**
 * Cuts tool arguments the way a tokenizer streams them: `{` alone first (llama-server's first
 * delta), then pieces whose sizes cycle through 1, 3, 1, 5, 2, 1, 4 characters, so 1-character
 * fragments are interleaved with longer ones and fragments split escapes and multi-byte text.
 */
export function fragmentArguments(text: string, sizes: number[] = [1, 3, 1, 5, 2, 1, 4]): string[] {
  const chars = Array.from(text); // code points: never split a surrogate pair (JSON would break)
  const out: string[] = [];
  let at = 0;
  if (chars[0] === '{') {
    out.push('{');
    at = 1;
  }
  for (let i = 0; at < chars.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(chars.slice(at, at + size).join(''));
    at += size;
  }
  return out;
}

/** Splits text into word-sized pieces with their leading spaces, as a tokenizer streams them. */
export function textPieces(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** The text of a chat message's content, string or parts. */
export function messageText(message: ChatMessageBody | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p) => (typeof p.text === 'string' ? p.text : '')).join('\n');
  return '';
}

/** The last user message's text with `<system-reminder>` blocks removed. */
export function lastUserText(body: ChatRequestBody): string {
  const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
  return messageText(lastUser)
    .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '')
    .trim();
}

/** Whether the request offers a tool of that name (Claude Code's side requests offer none). */
export function offersTool(body: ChatRequestBody, name: string): boolean {
  return (body.tools ?? []).some((t) => t.function?.name === name);
}

function chunkLine(id: string, created: number, model: string, fields: Record<string, unknown>): string {
  // Field order as llama-server writes it.
  const { choices, ...rest } = fields;
  return `data: ${JSON.stringify({ choices, created, id, model, system_fingerprint: LLAMA_FINGERPRINT, object: 'chat.completion.chunk', ...rest })}\n\n`;
}

function timings(promptN: number, cacheN: number, predictedN: number): Record<string, number> {
  return {
    cache_n: cacheN,
    prompt_n: promptN,
    prompt_ms: 1.25,
    prompt_per_token_ms: 1.25 / Math.max(1, promptN),
    prompt_per_second: (promptN / 1.25) * 1000,
    predicted_n: predictedN,
    predicted_ms: predictedN * 2,
    predicted_per_token_ms: 2,
    predicted_per_second: 500,
  };
}

/** How turns are sent: the model id in every chunk, the pause between chunks, `: ping` comments. */
interface TurnStyle {
  model: string;
  delayMs: number;
  sseComments: boolean;
}

/** A turn as llama-server streams it: role chunk, reasoning, text, tool calls, finish, usage. */
async function streamTurn(
  res: http.ServerResponse,
  body: ChatRequestBody,
  turn: ScriptedTurn,
  { model, delayMs, sseComments }: TurnStyle,
): Promise<void> {
  const pause = () =>
    new Promise<void>((resolve) => (delayMs > 0 ? setTimeout(resolve, delayMs) : setImmediate(resolve)));
  const id = `chatcmpl-${llamaId()}`;
  const created = Math.floor(Date.now() / 1000);
  const send = async (fields: Record<string, unknown>) => {
    if (res.destroyed) return;
    if (sseComments) res.write(': ping\n\n');
    res.write(chunkLine(id, created, model, fields));
    await pause();
  };
  const delta = (d: Record<string, unknown>) => ({
    choices: [{ finish_reason: null, index: 0, delta: d }],
  });
  res.writeHead(200, {
    Server: 'llama.cpp',
    'Access-Control-Allow-Origin': '',
    'X-Accel-Buffering': 'no',
    'Content-Type': 'text/event-stream',
  });
  let pieces = 0;
  await send(delta({ role: 'assistant', content: null }));
  for (const p of textPieces(turn.reasoning ?? '')) {
    pieces++;
    await send(delta({ reasoning_content: p }));
  }
  for (const p of textPieces(turn.text ?? '')) {
    pieces++;
    await send(delta({ content: p }));
  }
  for (const [index, call] of (turn.toolCalls ?? []).entries()) {
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    const [first = '', ...rest] = call.fragments ?? fragmentArguments(args);
    pieces++;
    await send(
      delta({
        tool_calls: [
          {
            index,
            id: call.id ?? llamaId(),
            type: 'function',
            function: { name: call.name, arguments: first },
          },
        ],
      }),
    );
    for (const fragment of rest) {
      pieces++;
      await send(delta({ tool_calls: [{ index, function: { arguments: fragment } }] }));
    }
  }
  const finish = turn.finishReason ?? ((turn.toolCalls?.length ?? 0) > 0 ? 'tool_calls' : 'stop');
  await send({ choices: [{ finish_reason: finish, index: 0, delta: {} }] });
  if (body.stream_options?.include_usage) {
    const u = turn.usage ?? { prompt_tokens: 1000, completion_tokens: pieces, cached_tokens: 900 };
    const cached = u.cached_tokens ?? 0;
    await send({
      choices: [],
      usage: {
        completion_tokens: u.completion_tokens,
        prompt_tokens: u.prompt_tokens,
        total_tokens: u.prompt_tokens + u.completion_tokens,
        prompt_tokens_details: { cached_tokens: cached },
      },
      timings: timings(u.prompt_tokens - cached, cached, u.completion_tokens),
    });
  }
  if (!res.destroyed) res.end('data: [DONE]\n\n');
}

/** A turn as llama-server answers a request without `stream`. */
function completeTurn(res: http.ServerResponse, turn: ScriptedTurn, model: string): void {
  const message: Record<string, unknown> = { role: 'assistant', content: turn.text ?? null };
  if (turn.reasoning) message.reasoning_content = turn.reasoning;
  if (turn.toolCalls?.length) {
    message.tool_calls = turn.toolCalls.map((call) => ({
      type: 'function',
      function: {
        name: call.name,
        arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
      },
      id: call.id ?? llamaId(),
    }));
  }
  const finish = turn.finishReason ?? (turn.toolCalls?.length ? 'tool_calls' : 'stop');
  const u = turn.usage ?? { prompt_tokens: 1000, completion_tokens: 10, cached_tokens: 900 };
  const cached = u.cached_tokens ?? 0;
  sendJson(res, 200, {
    choices: [{ finish_reason: finish, index: 0, message }],
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: LLAMA_FINGERPRINT,
    object: 'chat.completion',
    usage: {
      completion_tokens: u.completion_tokens,
      prompt_tokens: u.prompt_tokens,
      total_tokens: u.prompt_tokens + u.completion_tokens,
      prompt_tokens_details: { cached_tokens: cached },
    },
    id: `chatcmpl-${llamaId()}`,
    timings: timings(u.prompt_tokens - cached, cached, u.completion_tokens),
  });
}

export interface ScriptedAnswerOptions {
  /** Model id in every chunk. */
  model?: string;
  /** Send `: ping` SSE comment lines between chunks (clients must ignore them). */
  sseComments?: boolean;
  /** Pause between two SSE chunks, so they reach the client as separate reads. Default 2 ms. */
  chunkDelayMs?: number;
}

export const SCRIPTED_MODEL = 'models/deepseek-scripted-Q4_K_M.gguf';

/** The chat answer that plays a script: turns in order, or the turn a function picks. */
export function scriptedAnswer(script: ChatScript, options: ScriptedAnswerOptions = {}): ChatAnswer {
  const style: TurnStyle = {
    model: options.model ?? SCRIPTED_MODEL,
    delayMs: options.chunkDelayMs ?? 2,
    sseComments: options.sseComments ?? false,
  };
  const queue = Array.isArray(script) ? [...script] : undefined;
  let chatIndex = 0;

  const nextTurn = (record: CompletionRecord, problem: (m: string) => void): ScriptedTurn => {
    const index = chatIndex++;
    if (queue) {
      const turn = queue.shift();
      if (turn) return turn;
      problem(
        `script exhausted at chat request #${index} (last user text: ${JSON.stringify(lastUserText(record.body).slice(0, 200))})`,
      );
      return { label: 'script-exhausted', text: 'The scripted upstream has no more turns.' };
    }
    try {
      return (script as Exclude<ChatScript, ScriptedTurn[]>)(record, index);
    } catch (err) {
      problem(`script function threw at chat request #${index}: ${(err as Error).message}`);
      return { label: 'script-threw', text: 'The scripted upstream failed to choose an answer.' };
    }
  };

  return async (res, body, { request, problem }) => {
    if (!Array.isArray(body.messages)) {
      request.answeredWith = '400 no messages';
      return sendJson(res, 400, {
        error: { code: 400, message: "'messages' is required", type: 'invalid_request_error' },
      });
    }
    const turn = nextTurn(request, problem);
    request.answeredWith = turn.label ?? (turn.error ? `error ${turn.error.status}` : 'turn');
    if (turn.error) return sendJson(res, turn.error.status, turn.error.body);
    if (body.stream) await streamTurn(res, body, turn, style);
    else completeTurn(res, turn, style.model);
  };
}

export interface ScriptedUpstreamOptions extends ScriptedAnswerOptions {
  script: ChatScript;
  /** Per-slot context reported by /props and /v1/models `meta.n_ctx`. */
  nCtx?: number;
  /**
   * Answer `POST /v1/chat/completions/input_tokens` (llama-server's exact prompt count) with this
   * count; without it the route is a 404, as on builds that lack it.
   */
  inputTokens?: (body: ChatRequestBody) => number;
}

/** A DeepSeek llama-server whose chat answers follow the script. */
export function startScriptedUpstream(options: ScriptedUpstreamOptions): Promise<FakeUpstream> {
  const model = options.model ?? SCRIPTED_MODEL;
  return startFakeUpstream({
    routes: {
      ...deepSeekLlamaRoutes(model, options.nCtx ?? 131_072),
      ...(options.inputTokens ? inputTokensRoute(options.inputTokens) : {}),
    },
    otherwise: DEEPSEEK_LLAMA_NOT_FOUND,
    serverHeader: 'llama.cpp',
    answer: scriptedAnswer(options.script, options),
  });
}
