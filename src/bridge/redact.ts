// Keeps keys and tokens out of logs and out of error messages (design.md §4.8). Upstreams and the
// proxies in front of them echo credentials back ("Incorrect API key provided: sk-…"), so every
// text that may carry an upstream's words goes through a redactor before it is logged or sent.
import type { BridgeLogger, RequestLogEntry } from './log.js';

export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';

/** Shorter secrets cannot be hidden without mangling ordinary text (config requires ≥ 8 anyway). */
const MIN_SECRET_LENGTH = 4;

// Credentials in the shapes servers echo them, whoever's they are: `sk-…` keys (OpenAI, DeepSeek,
// Anthropic; also masked ones like `sk-abc***xyz`), a Bearer credential, `api_key=…`, `x-api-key: …`.
// Values are token-like runs (RFC 6750 b64token) of 8+ characters, so prose ("Bearer (…)") survives.
const TOKEN_VALUE = String.raw`[A-Za-z0-9._~+/*\-]{8,}=*`;
const GENERIC = [
  String.raw`\bsk-[A-Za-z0-9_*\-]{6,}`,
  String.raw`(?<=\bBearer\s+)${TOKEN_VALUE}`,
  String.raw`(?<=\b(?:x-api-key|api[_-]?key|access[_-]?token|auth[_-]?token)["']?\s*[:=]\s*["']?)${TOKEN_VALUE}`,
].join('|');

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A redactor for the given secrets (the bridge's token, upstream keys) and generic key shapes. */
export function createRedactor(secrets: Iterable<string | undefined>): Redactor {
  const exact = [...new Set([...secrets].filter((s): s is string => !!s && s.length >= MIN_SECRET_LENGTH))]
    // Longest first, so that a secret containing another is replaced whole.
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp);
  const pattern = new RegExp([...exact, GENERIC].join('|'), 'gi');
  return (text) => {
    // Most texts carry nothing to hide: test first, so they are returned as they are.
    pattern.lastIndex = 0;
    if (!pattern.test(text)) return text;
    pattern.lastIndex = 0;
    return text.replace(pattern, REDACTED);
  };
}

function redactValue(value: unknown, redact: Redactor): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  // Structured fields (rare, small): redact their JSON form.
  try {
    const json = JSON.stringify(value);
    const clean = redact(json);
    return clean === json ? value : JSON.parse(clean);
  } catch {
    return value;
  }
}

function redactFields(
  fields: Record<string, unknown> | undefined,
  redact: Redactor,
): Record<string, unknown> | undefined {
  if (!fields) return fields;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = redactValue(v, redact);
  return out;
}

/** Wraps a logger so that nothing it writes can carry a secret, whatever the caller passes. */
export function redactingLogger(inner: BridgeLogger, redact: Redactor): BridgeLogger {
  return {
    request(entry) {
      const clean: RequestLogEntry = { ...entry };
      for (const key of ['path', 'modelAsked', 'modelSent', 'upstream', 'error'] as const) {
        const v = clean[key];
        if (typeof v === 'string') clean[key] = redact(v);
      }
      if (clean.warnings) clean.warnings = clean.warnings.map(redact);
      inner.request(clean);
    },
    info: (message, fields) => inner.info(redact(message), redactFields(fields, redact)),
    warn: (message, fields) => inner.warn(redact(message), redactFields(fields, redact)),
  };
}
