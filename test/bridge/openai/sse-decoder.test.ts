import { describe, expect, it } from 'vitest';
import { SseLineTooLongError, UpstreamSseDecoder } from '../../../src/bridge/openai/sse-decoder.js';

describe('UpstreamSseDecoder', () => {
  it('decodes data lines, skips comments, handles CRLF, multi-line data and event names', () => {
    const d = new UpstreamSseDecoder();
    const out = [
      ...d.push(': ping\r\n\r\ndata: {"a":1}\r\n\r\nevent: error\ndata: line1\ndata: line2\n\n'),
      ...d.push('data: [DONE]'),
      ...d.end(),
    ];
    expect(out).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: 'error', data: 'line1\nline2' },
      { event: undefined, data: '[DONE]' },
    ]);
  });

  it('reassembles a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('data: {"t":"🦙"}\n\n');
    const d = new UpstreamSseDecoder();
    const at = bytes.indexOf(0xf0) + 2;
    expect([...d.push(bytes.subarray(0, at)), ...d.push(bytes.subarray(at))]).toEqual([
      { event: undefined, data: '{"t":"🦙"}' },
    ]);
  });

  it('refuses a line that never ends beyond its limit', () => {
    const d = new UpstreamSseDecoder(1024);
    expect(() => d.push(`data: ${'x'.repeat(2048)}`)).toThrow(SseLineTooLongError);
  });
});
