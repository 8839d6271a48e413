// The one redactor of dsb (design.md §4.8): the bridge's logs and error messages, the doctor's
// report, init's plan and diffs and the probe's output all go through it. Upstreams and the proxies
// in front of them echo credentials back ("Incorrect API key provided: sk-…", a 401 that repeats the
// Authorization header), so every text that may carry a server's words is redacted before it is
// shown, logged or sent.
//
// Linear in its input, whatever the input: an earlier version used lookbehinds with unbounded
// whitespace (`(?<=\bBearer\s+)`), which V8 runs backwards from every position, so a `model` of
// 320,000 spaces blocked the bridge for 142 s. Prefixes are now matched forwards and kept through a
// capture group, and every whitespace run in a pattern is bounded.

export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';

/** Shorter secrets cannot be hidden without mangling ordinary text (config requires ≥ 8 anyway). */
const MIN_SECRET_LENGTH = 4;
/** Shortest base64 fragment of a secret that is hunted (shorter ones match ordinary words). */
const MIN_BASE64_FRAGMENT = 12;
/** Whitespace allowed between a credential's label and its value (servers send one space). */
const GAP = String.raw`\s{0,16}`;

// Credentials in the shapes servers echo them, whoever's they are: `sk-…` keys (OpenAI, DeepSeek,
// Anthropic; also masked ones like `sk-abc***xyz`), a Bearer credential, `api_key=…`, `x-api-key: …`.
// Values are token-like runs (RFC 6750 b64token) of 8+ characters, so prose ("Bearer (…)") survives.
const TOKEN_VALUE = String.raw`[A-Za-z0-9._~+/*\-]{8,}=*`;
// Group 1 / group 2 hold the label that stays visible.
const GENERIC = [
  String.raw`\bsk-[A-Za-z0-9_*\-]{6,}`,
  String.raw`(\bBearer\s{1,16})${TOKEN_VALUE}`,
  String.raw`(\b(?:x-api-key|api[_-]?key|access[_-]?token|auth[_-]?token)["']?${GAP}[:=]${GAP}["']?)${TOKEN_VALUE}`,
].join('|');

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The parts of `secret`'s base64 encoding that are the same wherever the secret sits in a longer
 * encoded text (a Basic credential `user:key`, a JSON blob in a header): for each of the three
 * byte alignments, the characters that depend on the secret's bytes alone. Standard and URL-safe.
 */
export function base64Fragments(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out = new Set<string>();
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters touched by the leading filler bytes, and the last one(s) touched by what follows.
    const skip = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const fragment = encoded.slice(skip, end);
    if (fragment.length < MIN_BASE64_FRAGMENT) continue;
    out.add(fragment);
    out.add(fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...out];
}

/** A redactor for the given secrets (keys, tokens), their base64 copies and generic key shapes. */
export function createRedactor(secrets: Iterable<string | undefined>): Redactor {
  const known = [...new Set([...secrets].filter((s): s is string => !!s && s.length >= MIN_SECRET_LENGTH))];
  const exact = [...new Set([...known, ...known.flatMap(base64Fragments)])]
    // Longest first, so that a secret containing another is replaced whole.
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp);
  const pattern = new RegExp([...exact, GENERIC].join('|'), 'gi');
  const replace = (_match: string, bearer?: string, label?: string) => (bearer ?? label ?? '') + REDACTED;
  return (text) => {
    // Most texts carry nothing to hide: test first, so they are returned as they are.
    pattern.lastIndex = 0;
    if (!pattern.test(text)) return text;
    pattern.lastIndex = 0;
    return text.replace(pattern, replace);
  };
}

/** Redacts every string (keys included) of a structured value: a report, a JSON answer. */
export function redactJson<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactJson(v, redact)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[redact(k)] = redactJson(v, redact);
  return out as T;
}
