// Upstream failures → Anthropic errors (design.md §4.4). Every context-overflow wording, from any
// server, becomes `prompt is too long: N tokens > M maximum`: the only one Claude Code compacts on.
import { BridgeError, errorTypeForStatus, promptTooLongError } from '../anthropic/errors.js';

export interface UpstreamErrorContext {
  /** Upstream base URL, named in messages so the user knows which server answered. */
  url: string;
  model?: string;
  /** The bridge's own prompt token count, when it has one. */
  promptTokens?: number;
  /** The upstream's known context size, when discovered. */
  contextSize?: number;
}

interface ParsedError {
  message: string;
  type?: string;
  nPromptTokens?: number;
  nCtx?: number;
}

/** Reads llama.cpp `{error:{message,type,n_prompt_tokens,n_ctx}}`, vLLM `{message}` / `{error:{message}}`, Ollama `{error:"…"}`. */
export function parseUpstreamError(body: string): ParsedError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { message: body.trim().slice(0, 500) || '(empty body)' };
  }
  if (typeof json !== 'object' || json === null) return { message: String(json) };
  const obj = json as Record<string, unknown>;
  const inner = obj.error;
  if (typeof inner === 'string') return { message: inner };
  if (typeof inner === 'object' && inner !== null) {
    const e = inner as Record<string, unknown>;
    return {
      message: typeof e.message === 'string' ? e.message : JSON.stringify(inner),
      type: typeof e.type === 'string' ? e.type : undefined,
      nPromptTokens: typeof e.n_prompt_tokens === 'number' ? e.n_prompt_tokens : undefined,
      nCtx: typeof e.n_ctx === 'number' ? e.n_ctx : undefined,
    };
  }
  if (typeof obj.message === 'string')
    return { message: obj.message, type: typeof obj.type === 'string' ? obj.type : undefined };
  if (typeof obj.detail === 'string') return { message: obj.detail };
  return { message: body.slice(0, 500) };
}

const num = (s: string | undefined): number | undefined =>
  s === undefined ? undefined : Number(s.replace(/,/g, ''));

/** Returns [prompt tokens, maximum] when the error says the context overflowed. */
export function detectContextOverflow(
  parsed: ParsedError,
  context: Pick<UpstreamErrorContext, 'promptTokens' | 'contextSize'> = {},
): [number, number] | undefined {
  // llama.cpp: 400 (older builds 500) exceed_context_size_error with exact numbers (verified).
  if (
    parsed.type === 'exceed_context_size_error' ||
    (parsed.nPromptTokens !== undefined && parsed.nCtx !== undefined)
  ) {
    const n = parsed.nPromptTokens ?? context.promptTokens;
    const m = parsed.nCtx ?? context.contextSize;
    const fromText = /request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)/.exec(
      parsed.message,
    );
    const prompt = n ?? num(fromText?.[1]);
    const max = m ?? num(fromText?.[2]);
    if (prompt !== undefined && max !== undefined) return [prompt, max];
  }
  const msg = parsed.message;
  // vLLM and the DeepSeek API: "maximum context length is 131072 tokens. However, you requested 131329 tokens (…)";
  // OpenAI-style gateways: "… you requested about 1293741 tokens".
  const vllm = /maximum context length is ([\d,]+) tokens?.*?requested (?:about )?([\d,]+) tokens?/is.exec(
    msg,
  );
  if (vllm) return [num(vllm[2])!, num(vllm[1])!];
  // vLLM (newer): "This model's maximum context length is 1536 tokens. However, your request has 4176 input tokens".
  const inputOver = /maximum context length is ([\d,]+) tokens?.*?request has ([\d,]+) input tokens?/is.exec(
    msg,
  );
  if (inputOver && num(inputOver[2])! >= num(inputOver[1])!) return [num(inputOver[2])!, num(inputOver[1])!];
  // vLLM (newer): "… input tokens (N) … exceeds … maximum model length (M)" and similar shapes.
  const inputLen =
    /(?:prompt|input)[^\d]{0,40}\(?([\d,]+)\)?[^.]*?(?:exceeds|longer than|greater than)[^\d]{0,60}\(?([\d,]+)\)?/i.exec(
      msg,
    );
  const overflowWords =
    /context (?:length|size|window)|maximum model length|max_model_len|too many tokens|prompt is too long|exceeds? the (?:available )?context/i;
  if (!overflowWords.test(msg)) return undefined;
  if (inputLen) return [num(inputLen[1])!, num(inputLen[2])!];
  const promptTokens = context.promptTokens;
  const contextSize = context.contextSize;
  if (promptTokens !== undefined && contextSize !== undefined)
    return [Math.max(promptTokens, contextSize + 1), contextSize];
  if (promptTokens !== undefined) return [promptTokens, Math.max(1, promptTokens - 1)];
  if (contextSize !== undefined) return [contextSize + 1, contextSize];
  return undefined;
}

/**
 * vLLM refuses a request whose prompt fits but whose max_tokens does not: "'max_tokens' or
 * 'max_completion_tokens' is too large: 8000. This model's maximum context length is 4096 tokens
 * and your request has 2778 input tokens (8000 > 4096 - 2778)". That is the bridge's to fix (send
 * a smaller max_tokens), not Claude Code's: returns the numbers to retry with.
 */
export function detectOutputTooLarge(body: string): { contextSize: number; inputTokens: number } | undefined {
  const { message } = parseUpstreamError(body);
  const m =
    /max_(?:completion_)?tokens'? .*?too large.*?maximum context length is ([\d,]+) tokens?.*?request has ([\d,]+) input tokens?/is.exec(
      message,
    );
  if (!m) return undefined;
  const contextSize = num(m[1])!;
  const inputTokens = num(m[2])!;
  return inputTokens < contextSize ? { contextSize, inputTokens } : undefined;
}

/** An upstream's non-2xx answer as the error the bridge gives Claude Code. */
export function convertUpstreamError(
  status: number,
  body: string,
  headers: Record<string, string | string[] | undefined>,
  context: UpstreamErrorContext,
): BridgeError {
  const parsed = parseUpstreamError(body);
  const overflow =
    status < 500 || parsed.type === 'exceed_context_size_error'
      ? detectContextOverflow(parsed, context)
      : undefined;
  if (overflow) return promptTooLongError(overflow[0], overflow[1]);
  const where = `upstream ${context.url}`;
  if (status === 401 || status === 403) {
    // The bridge's credentials for the upstream are wrong: no retry by Claude Code can fix that.
    return new BridgeError(
      502,
      'api_error',
      `${where} refused the bridge's credentials (HTTP ${status}: ${parsed.message}); set the upstream apiKey in dsb's config or DSB_UPSTREAM_API_KEY`,
      { 'x-should-retry': 'false' },
    );
  }
  if (status === 404) {
    return new BridgeError(
      404,
      'not_found_error',
      `${where} answered 404 for model ${context.model ?? '(unknown)'}: ${parsed.message}`,
    );
  }
  if (status === 429) {
    const retry = headers['retry-after'];
    const seconds = Array.isArray(retry) ? retry[0] : retry;
    return new BridgeError(429, 'rate_limit_error', `${where} is rate limiting: ${parsed.message}`, {
      'retry-after': seconds && /^\d+$/.test(seconds) ? seconds : '5',
    });
  }
  const outStatus = status >= 500 ? status : status === 413 ? 413 : 400;
  return new BridgeError(
    outStatus,
    errorTypeForStatus(outStatus),
    `${where} answered HTTP ${status}: ${parsed.message}`,
  );
}

/**
 * Puts the upstream's URL into a message about what "upstream" did (the pure stream translator
 * does not know which server it reads), so the user knows which server broke.
 */
export function nameUpstream(message: string, url: string): string {
  if (message.includes(url)) return message;
  if (message.startsWith('upstream ')) return `upstream ${url} ${message.slice('upstream '.length)}`;
  return `upstream ${url}: ${message}`;
}

/** What an event stream that carried no `data:` event at all (an HTML page, an empty body) began with. */
export function noEventsMessage(url: string, head: Uint8Array | undefined): string {
  const begin = head
    ? Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, 200)).toString('utf8').trim()
    : '';
  return `upstream ${url} sent no server-sent events (not an OpenAI stream)${begin ? `; its answer began: ${JSON.stringify(begin)}` : ': the body was empty'}`;
}

/**
 * A 200 answer to a non-streaming request, parsed: it must be JSON and a chat completion (a
 * `choices` array). Anything else is the upstream's failure (502 naming it), never an empty message.
 */
export function parseCompletionBody(text: string, url: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BridgeError(
      502,
      'api_error',
      `upstream ${url} sent a response that is not JSON: ${text.slice(0, 200)}`,
    );
  }
  if (typeof json === 'object' && json !== null && Array.isArray((json as { choices?: unknown }).choices))
    return json;
  if (typeof json === 'object' && json !== null && 'error' in json) {
    throw new BridgeError(
      502,
      'api_error',
      `upstream ${url} answered HTTP 200 with an error: ${parseUpstreamError(text).message}`,
    );
  }
  throw new BridgeError(
    502,
    'api_error',
    `upstream ${url} sent JSON that is not a chat completion (no choices): ${text.slice(0, 200)}`,
  );
}
