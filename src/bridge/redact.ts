// Keeps keys and tokens out of the bridge's logs (design.md §4.8) and bounds what a log line can
// hold: every field is redacted by dsb's one redactor (src/redact.ts), then capped in length, so a
// hostile request (a `model` of megabytes) costs a bounded log line. Control characters are escaped
// by the text logger itself (log.ts).
import { createRedactor, REDACTED, type Redactor, redactJson } from '../redact.js';
import type { BridgeLogger, RequestLogEntry } from './log.js';

export { createRedactor, REDACTED, type Redactor };

/** The longest a logged string (or a structured field's JSON) may be, in characters. */
export const MAX_LOG_FIELD = 2048;

/** `text`, cut to `max` characters with a note of how much was left out. */
export function capField(text: string, max = MAX_LOG_FIELD): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[${text.length - max} more characters]`;
}

function cleanValue(value: unknown, redact: Redactor): unknown {
  if (typeof value === 'string') return capField(redact(value));
  if (value === null || typeof value !== 'object') return value;
  // Structured fields (rare, small): redacted string by string; logged as capped JSON when large.
  let clean: unknown;
  let json: string | undefined;
  try {
    clean = redactJson(value, redact);
    json = JSON.stringify(clean);
  } catch {
    return '[unloggable value]';
  }
  return json !== undefined && json.length > MAX_LOG_FIELD ? capField(json) : clean;
}

function cleanFields(
  fields: Record<string, unknown> | undefined,
  redact: Redactor,
): Record<string, unknown> | undefined {
  if (!fields) return fields;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[capField(k, 64)] = cleanValue(v, redact);
  return out;
}

const clean = (text: string, redact: Redactor) => capField(redact(text));

/** Wraps a logger so that nothing it writes can carry a secret or be unbounded, whatever the caller passes. */
export function redactingLogger(inner: BridgeLogger, redact: Redactor): BridgeLogger {
  return {
    request(entry) {
      const out: RequestLogEntry = { ...entry };
      for (const key of ['method', 'path', 'modelAsked', 'modelSent', 'upstream', 'error'] as const) {
        const v = out[key];
        if (typeof v === 'string') out[key] = clean(v, redact);
      }
      if (out.warnings) out.warnings = out.warnings.slice(0, 32).map((w) => clean(w, redact));
      inner.request(out);
    },
    info: (message, fields) => inner.info(clean(message, redact), cleanFields(fields, redact)),
    warn: (message, fields) => inner.warn(clean(message, redact), cleanFields(fields, redact)),
  };
}
