// The one redactor (design.md §4.8): the bridge's own secrets and credential-shaped strings are
// hidden, ordinary text (the bridge's own hints) is left as it is.
import { describe, expect, it } from 'vitest';
import { base64Fragments, createRedactor, REDACTED, redactJson } from '../src/redact.js';

const TOKEN = 'bridge-token-7d3e9b21c5';
const KEY = 'sk-upstream-key-0c1d2e3f4a5b';
const redact = createRedactor([TOKEN, KEY, undefined, 'ab']);

describe('createRedactor', () => {
  it.each([
    [`Incorrect API key provided: ${KEY}`, `Incorrect API key provided: ${REDACTED}`],
    // OpenAI-style masked echo of a key the bridge does not know.
    [
      'Incorrect API key provided: sk-upstr*********f4a5b. You can find',
      `Incorrect API key provided: ${REDACTED}. You can find`,
    ],
    ['got Authorization: Bearer abcdefgh12345678, bad', `got Authorization: Bearer ${REDACTED}, bad`],
    ['{"api_key":"abcdefgh12345678","x":1}', `{"api_key":"${REDACTED}","x":1}`],
    ['x-api-key: zzzzzzzzzzzzzz', `x-api-key: ${REDACTED}`],
    [`${TOKEN.toUpperCase()} was sent`, `${REDACTED} was sent`],
  ])('hides the secret in %j', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it.each([
    'missing or wrong auth token: send it as x-api-key or Authorization: Bearer (ANTHROPIC_AUTH_TOKEN in Claude Code)',
    "set the upstream apiKey in dsb's config or DSB_UPSTREAM_API_KEY",
    'model deepseek-chat, task-manager-foo, risk-assessment-long',
    // A secret shorter than 4 characters is not hunted (it would mangle every word).
    'about a tab',
  ])('leaves ordinary text alone: %j', (text) => {
    expect(redact(text)).toBe(text);
  });
});

describe('createRedactor: more shapes', () => {
  it('a secret that contains another is hidden whole; each of its copies in one text', () => {
    const r = createRedactor(['abcdefgh', 'abcdefgh-long-secret']);
    expect(r('x abcdefgh-long-secret y abcdefgh z')).toBe(`x ${REDACTED} y ${REDACTED} z`);
  });

  it('characters that mean something in a regular expression are matched literally', () => {
    const r = createRedactor(['a.b*c+d?(e)']);
    expect(r('key a.b*c+d?(e) here')).toBe(`key ${REDACTED} here`);
    expect(r('key aXbbbcdde here')).toBe('key aXbbbcdde here');
  });

  it('labels stay visible, their values go: api-key=, access_token:, quoted JSON keys', () => {
    expect(redact('api-key=abcdefgh1234')).toBe(`api-key=${REDACTED}`);
    expect(redact("access_token: 'abcdefgh1234'")).toBe(`access_token: '${REDACTED}'`);
    expect(redact('Bearer   abcdefgh1234==')).toBe(`Bearer   ${REDACTED}`);
    // Too short to be a credential: left alone.
    expect(redact('Bearer abc')).toBe('Bearer abc');
  });

  it('the same redactor gives the same answer on every call (no regex state carried over)', () => {
    const text = `one ${KEY} two`;
    expect(redact(text)).toBe(redact(text));
    expect(redact('plain')).toBe('plain');
    expect(redact(text)).toBe(`one ${REDACTED} two`);
  });

  it('no secrets: only the generic shapes are hunted', () => {
    const r = createRedactor([]);
    expect(r('sk-abcdefghijk and bridge-token-7d3e9b21c5')).toBe(`${REDACTED} and bridge-token-7d3e9b21c5`);
  });
});

describe('base64Fragments', () => {
  it('finds the secret in its base64 copy at every byte alignment, standard and url-safe', () => {
    const secret = 'sk-0123456789abcdef>>?';
    const fragments = base64Fragments(secret);
    for (const prefix of ['', 'u:', 'us:']) {
      const encoded = Buffer.from(`${prefix}${secret}!`).toString('base64');
      const urlSafe = Buffer.from(`${prefix}${secret}!`).toString('base64url');
      expect(fragments.some((f) => encoded.includes(f))).toBe(true);
      expect(fragments.some((f) => urlSafe.includes(f))).toBe(true);
    }
  });

  it('a secret too short to give a 12-character fragment gives none', () => {
    expect(base64Fragments('short')).toEqual([]);
  });
});

describe('redactJson', () => {
  it('redacts every string, keys included, and leaves other values and the input alone', () => {
    const input = { [KEY]: [`x ${TOKEN}`, 3, null, true, { deep: KEY }], n: 1 };
    expect(redactJson(input, redact)).toEqual({
      [REDACTED]: [`x ${REDACTED}`, 3, null, true, { deep: REDACTED }],
      n: 1,
    });
    expect(input[KEY]![0]).toBe(`x ${TOKEN}`);
    expect(redactJson(KEY, redact)).toBe(REDACTED);
    expect(redactJson(42, redact)).toBe(42);
    expect(redactJson(undefined, redact)).toBeUndefined();
  });
});
