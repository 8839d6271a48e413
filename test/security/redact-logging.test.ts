// Issue 13 items 2, 10, 14 (base64): the one redactor is linear in its input, catches a base64 copy
// of a key, and log lines are bounded and cannot be forged with control characters.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/bridge/log.js';
import { MAX_LOG_FIELD, redactingLogger } from '../../src/bridge/redact.js';
import { base64Fragments, createRedactor, REDACTED } from '../../src/redact.js';
import { callIsolated } from '../support/hang-catcher.js';

const KEY = 'sk-upstream-key-0c1d2e3f4a5b';
const TOKEN = 'bridge-token-7d3e9b21c5';
const redact = createRedactor([KEY, TOKEN]);

/** Not a timing assertion: the quadratic redactor needed minutes for these inputs; this catches a hang. */
const HANG_CATCHING_DEADLINE_MS = 30_000;

describe('redactor on hostile input', () => {
  // Each case costs the quadratic redactor minutes (320,000 spaces: 142 s in the bridge); it runs in
  // a child process so that a hang fails the test instead of freezing the test worker.
  const N = 320_000;
  it.each([
    ['spaces alone', '', ' ', ''],
    ['Bearer then spaces', 'Bearer', ' ', 'x'],
    ['api_key label then spaces', 'api_key', ' ', ':'],
    ['x-api-key label, spaces, equals', 'x-api-key', ' ', '= "'],
  ])(
    'finishes on %s (320,000 spaces)',
    async (_label, head, unit, tail) => {
      const length = await callIsolated<number>(
        'test/security/fixtures/redact-probe.ts',
        'redactBuilt',
        [head, unit, N, tail],
        HANG_CATCHING_DEADLINE_MS,
      );
      expect(length).toBe(head.length + N + tail.length);
    },
    HANG_CATCHING_DEADLINE_MS + 10_000,
  );

  it('still hides credentials next to long whitespace', () => {
    const text = `${' '.repeat(10_000)}Authorization: Bearer abcdefgh12345678${' '.repeat(10_000)}`;
    expect(redact(text)).toBe(`${' '.repeat(10_000)}Authorization: Bearer ${REDACTED}${' '.repeat(10_000)}`);
    expect(redact('api_key = "abcdefgh12345678"')).toBe(`api_key = "${REDACTED}"`);
  });
});

describe('base64 copies of a key', () => {
  it.each(['', 'u:', 'ab:'])('are hidden wherever the key sits in the encoded text (prefix %j)', (prefix) => {
    const basic = Buffer.from(`${prefix}${KEY}`).toString('base64');
    const out = redact(`upstream said: Authorization: Basic ${basic}`);
    expect(out).toContain(REDACTED);
    // No stretch of the encoding that comes from the key alone survives.
    for (const fragment of base64Fragments(KEY)) expect(out).not.toContain(fragment);
  });

  it('url-safe copies too, and the plain key still', () => {
    const b64url = Buffer.from(KEY).toString('base64url');
    expect(redact(`token=${b64url}&x=1`)).not.toContain(b64url.slice(0, 20));
    expect(redact(`echo ${KEY}`)).toBe(`echo ${REDACTED}`);
  });
});

describe('log lines', () => {
  const lines: string[] = [];
  const logger = redactingLogger(
    createLogger(
      'text',
      (l) => lines.push(l),
      () => new Date(0),
    ),
    redact,
  );

  it('a model containing a newline cannot forge a second line', () => {
    lines.length = 0;
    const forged = 'm\n1970-01-01T00:00:00.000Z POST /v1/messages 200 model=admin';
    logger.request({ method: 'POST', path: '/v1/messages', status: 400, durationMs: 1, modelAsked: forged });
    logger.info(`model ${forged} is not in the model map`, { model: forged });
    logger.warn('x\r\ny', { error: 'a\u2028b\u0000c' });
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toMatch(/[\r\n\u2028\u0000]/);
    expect(lines[0]).toContain('model=m\\n1970');
  });

  it('every field is capped in length', () => {
    lines.length = 0;
    const huge = 'x'.repeat(1_000_000);
    logger.request({
      method: 'POST',
      path: `/${huge}`,
      status: 400,
      durationMs: 1,
      modelAsked: huge,
      modelSent: huge,
      upstream: huge,
      error: huge,
      warnings: Array.from({ length: 1000 }, () => huge),
    });
    logger.info(huge, { a: huge, b: { nested: huge } });
    for (const line of lines) expect(line.length).toBeLessThan(MAX_LOG_FIELD * 40 + 2_000);
    expect(lines[0]).toContain('more characters]');
  });

  it('JSON log lines stay one line and capped too', () => {
    const json: string[] = [];
    const jl = redactingLogger(
      createLogger('json', (l) => json.push(l)),
      redact,
    );
    jl.request({ method: 'POST', path: '/v1/messages', status: 400, durationMs: 1, modelAsked: `a\n${KEY}` });
    expect(json).toHaveLength(1);
    expect(json[0]).not.toContain('\n');
    expect(json[0]).not.toContain(KEY);
  });
});
