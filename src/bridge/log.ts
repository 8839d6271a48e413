// One log line per request (design: model asked / sent, upstream, status, TTFT, tokens, tokens/s).
// Never logs request bodies, headers, keys or tokens.

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  modelAsked?: string;
  modelSent?: string;
  upstream?: string;
  stream?: boolean;
  ttftMs?: number;
  durationMs: number;
  inputTokens?: number;
  /** Of inputTokens, those the upstream served from its prompt cache (when it reported usage). */
  cachedTokens?: number;
  outputTokens?: number;
  tokensPerSecond?: number;
  overheadMs?: number;
  error?: string;
  warnings?: string[];
}

export interface BridgeLogger {
  request(entry: RequestLogEntry): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Control characters written as escapes: a text log line is one line whatever a request carries (a
 * `model` containing "\n" could otherwise forge a second line).
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** ` (96%)`: the share of the prompt served from the upstream's cache. */
const cacheShare = (e: RequestLogEntry): string =>
  e.inputTokens && e.cachedTokens !== undefined
    ? ` (${Math.round((100 * e.cachedTokens) / e.inputTokens)}%)`
    : '';

const round = (n: number | undefined, digits = 1): number | undefined =>
  n === undefined || !Number.isFinite(n) ? undefined : Number(n.toFixed(digits));

export function createLogger(
  format: 'text' | 'json',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  now: () => Date = () => new Date(),
): BridgeLogger {
  if (format === 'json') {
    return {
      request: (e) =>
        write(JSON.stringify({ time: now().toISOString(), level: 'info', msg: 'request', ...e })),
      info: (msg, fields) =>
        write(JSON.stringify({ time: now().toISOString(), level: 'info', msg, ...fields })),
      warn: (msg, fields) =>
        write(JSON.stringify({ time: now().toISOString(), level: 'warn', msg, ...fields })),
    };
  }
  const kv = (fields?: Record<string, unknown>) =>
    fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(
            ([k, v]) =>
              ` ${escapeControl(k)}=${typeof v === 'string' ? escapeControl(v) : JSON.stringify(v)}`,
          )
          .join('')
      : '';
  return {
    request(e) {
      const x = escapeControl;
      const parts = [`${x(e.method)} ${x(e.path)}`, String(e.status)];
      if (e.modelAsked)
        parts.push(
          `model=${x(e.modelAsked)}${e.modelSent && e.modelSent !== e.modelAsked ? `→${x(e.modelSent)}` : ''}`,
        );
      if (e.upstream) parts.push(`upstream=${x(e.upstream)}`);
      if (e.stream !== undefined) parts.push(e.stream ? 'stream' : 'no-stream');
      if (e.ttftMs !== undefined) parts.push(`ttft=${Math.round(e.ttftMs)}ms`);
      if (e.inputTokens !== undefined) parts.push(`in=${e.inputTokens}`);
      if (e.cachedTokens !== undefined) parts.push(`cached=${e.cachedTokens}${cacheShare(e)}`);
      if (e.outputTokens !== undefined) parts.push(`out=${e.outputTokens}`);
      if (e.tokensPerSecond !== undefined) parts.push(`tok/s=${round(e.tokensPerSecond)}`);
      parts.push(`${Math.round(e.durationMs)}ms`);
      if (e.error) parts.push(`error=${JSON.stringify(e.error)}`);
      if (e.warnings?.length) parts.push(`warnings=${JSON.stringify(e.warnings)}`);
      write(`${now().toISOString()} ${parts.join(' ')}`);
    },
    info: (msg, fields) => write(`${now().toISOString()} ${escapeControl(msg)}${kv(fields)}`),
    warn: (msg, fields) => write(`${now().toISOString()} WARN ${escapeControl(msg)}${kv(fields)}`),
  };
}

export const silentLogger: BridgeLogger = { request() {}, info() {}, warn() {} };
