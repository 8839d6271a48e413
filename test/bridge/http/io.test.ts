// Request bodies and plain answers, with an in-memory request stream (no socket).
import type http from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { messagesRequestSchema } from '../../../src/bridge/anthropic/schema.js';
import { parseAnthropicRequest, readBody } from '../../../src/bridge/http/io.js';
import { isDsbError } from '../../../src/errors.js';

function request(chunks: Buffer[], headers: Record<string, string> = {}): http.IncomingMessage {
  const stream = new PassThrough();
  Object.assign(stream, { headers });
  queueMicrotask(() => {
    for (const c of chunks) stream.write(c);
    stream.end();
  });
  return stream as unknown as http.IncomingMessage;
}

describe('readBody', () => {
  it('decodes UTF-8 split anywhere, even inside a character', async () => {
    const bytes = Buffer.from('{"text":"héllo 🌍"}');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(await readBody(request(chunks), 1024)).toBe('{"text":"héllo 🌍"}');
  });

  it('refuses a declared length over the limit before reading, with BODY_TOO_LARGE', async () => {
    const err = await readBody(request([], { 'content-length': '2048' }), 1024).catch((e) => e);
    expect(isDsbError(err, 'BODY_TOO_LARGE')).toBe(true);
  });

  it('refuses a body that grows over the limit while it arrives', async () => {
    const err = await readBody(request([Buffer.alloc(600), Buffer.alloc(600)]), 1024).catch((e) => e);
    expect(isDsbError(err, 'BODY_TOO_LARGE')).toBe(true);
  });
});

describe('parseAnthropicRequest', () => {
  it('gives the validated request', () => {
    const raw = JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(parseAnthropicRequest(raw, messagesRequestSchema).model).toBe('m');
  });

  it('answers bad JSON and a bad shape with a 400 invalid_request_error saying what is wrong', () => {
    expect(() => parseAnthropicRequest('{', messagesRequestSchema)).toThrow(/request body is not valid JSON/);
    try {
      parseAnthropicRequest('{"model":"m"}', messagesRequestSchema);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ status: 400, type: 'invalid_request_error' });
      expect((err as Error).message).toMatch(/^invalid request: .*messages/);
    }
  });
});
