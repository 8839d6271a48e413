// The redactor keeps the bridge's own secrets and credential-shaped strings out of logs and error
// messages (design.md §4.8), and leaves ordinary text (the bridge's own hints) as it is.
import { describe, expect, it } from 'vitest';
import type { BridgeLogger, RequestLogEntry } from '../../src/bridge/log.js';
import { createRedactor, REDACTED, redactingLogger } from '../../src/bridge/redact.js';

const TOKEN = 'bridge-token-7d3e9b21c5';
const KEY = 'sk-upstream-key-0c1d2e3f4a5b';
const redact = createRedactor([TOKEN, KEY, undefined, 'ab']);

describe('redactingLogger', () => {
  it('redacts request entries, messages and fields of every kind', () => {
    const seen: unknown[] = [];
    const inner: BridgeLogger = {
      request: (e) => seen.push(e),
      info: (m, f) => seen.push([m, f]),
      warn: (m, f) => seen.push([m, f]),
    };
    const logger = redactingLogger(inner, redact);
    const entry: RequestLogEntry = {
      method: 'POST',
      path: '/v1/messages',
      status: 502,
      durationMs: 1,
      error: `echo ${KEY}`,
      warnings: [`w ${TOKEN}`],
    };
    logger.request(entry);
    logger.info(`info ${KEY}`, { a: TOKEN, n: 3, nested: { k: KEY } });
    logger.warn('internal error', { error: `stack with ${KEY}` });
    const all = JSON.stringify(seen);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(TOKEN);
    expect(seen[0]).toMatchObject({ status: 502, error: `echo ${REDACTED}` });
    expect(seen[1]).toEqual([`info ${REDACTED}`, { a: REDACTED, n: 3, nested: { k: REDACTED } }]);
    expect(seen[2]).toEqual(['internal error', { error: `stack with ${REDACTED}` }]);
    // The caller's entry is not changed behind its back.
    expect(entry.error).toBe(`echo ${KEY}`);
  });
});
