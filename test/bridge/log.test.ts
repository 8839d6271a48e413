import { describe, expect, it } from 'vitest';
import { createLogger, escapeControl, silentLogger } from '../../src/bridge/log.js';

const at = () => new Date(0);
const T0 = '1970-01-01T00:00:00.000Z';

describe('the request log line', () => {
  it('shows the cached share of the prompt', async () => {
    const { createLogger } = await import('../../src/bridge/log.js');
    const lines: string[] = [];
    const logger = createLogger(
      'text',
      (l) => lines.push(l),
      () => new Date(0),
    );
    logger.request({
      method: 'POST',
      path: '/v1/messages',
      status: 200,
      durationMs: 5,
      inputTokens: 14533,
      cachedTokens: 14492,
    });
    expect(lines[0]).toContain('in=14533 cached=14492 (100%)');
    logger.request({
      method: 'POST',
      path: '/v1/messages',
      status: 200,
      durationMs: 5,
      inputTokens: 200,
      cachedTokens: 50,
    });
    expect(lines[1]).toContain('in=200 cached=50 (25%)');
  });

  it('puts every field present in order, rounding times and tokens/s', () => {
    const lines: string[] = [];
    createLogger('text', (l) => lines.push(l), at).request({
      method: 'POST',
      path: '/v1/messages',
      status: 502,
      modelAsked: 'claude-sonnet',
      modelSent: 'deepseek-chat',
      upstream: 'http://127.0.0.1:8080',
      stream: true,
      ttftMs: 12.6,
      inputTokens: 10,
      outputTokens: 3,
      tokensPerSecond: 41.26,
      durationMs: 99.5,
      error: 'upstream said "no"',
      warnings: ['w1'],
    });
    expect(lines).toEqual([
      `${T0} POST /v1/messages 502 model=claude-sonnet→deepseek-chat upstream=http://127.0.0.1:8080 stream ttft=13ms in=10 out=3 tok/s=41.3 100ms error="upstream said \\"no\\"" warnings=["w1"]`,
    ]);
  });

  it('leaves out what is absent: the same model sent, no stream flag, no tokens, no cache share without input', () => {
    const lines: string[] = [];
    const log = createLogger('text', (l) => lines.push(l), at);
    log.request({
      method: 'GET',
      path: '/health',
      status: 200,
      durationMs: 1,
      modelAsked: 'm',
      modelSent: 'm',
    });
    log.request({
      method: 'POST',
      path: '/v1/messages',
      status: 200,
      durationMs: 1,
      stream: false,
      cachedTokens: 0,
    });
    expect(lines).toEqual([
      `${T0} GET /health 200 model=m 1ms`,
      `${T0} POST /v1/messages 200 no-stream cached=0 1ms`,
    ]);
  });
});

describe('info and warn lines', () => {
  it('text: key=value fields, strings unquoted and escaped, others as JSON, undefined ones dropped', () => {
    const lines: string[] = [];
    const log = createLogger('text', (l) => lines.push(l), at);
    log.info('listening', { port: 3000, host: 'a\nb', skip: undefined, list: [1] });
    log.warn('slow\tupstream');
    expect(lines).toEqual([`${T0} listening port=3000 host=a\\nb list=[1]`, `${T0} WARN slow\\tupstream`]);
  });

  it('json: one object per line with time, level and msg', () => {
    const lines: string[] = [];
    const log = createLogger('json', (l) => lines.push(l), at);
    log.info('hello', { a: 1 });
    log.warn('careful');
    log.request({ method: 'GET', path: '/x', status: 404, durationMs: 2 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: T0, level: 'info', msg: 'hello', a: 1 },
      { time: T0, level: 'warn', msg: 'careful' },
      { time: T0, level: 'info', msg: 'request', method: 'GET', path: '/x', status: 404, durationMs: 2 },
    ]);
  });

  it('the silent logger writes nothing and accepts every call', () => {
    expect(() => {
      silentLogger.request({ method: 'GET', path: '/', status: 200, durationMs: 0 });
      silentLogger.info('x');
      silentLogger.warn('y', { z: 1 });
    }).not.toThrow();
  });
});

describe('escapeControl', () => {
  it('escapes C0, DEL, C1 and the Unicode line separators; leaves other text alone', () => {
    expect(escapeControl('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
    expect(escapeControl('\u0000\u001b\u007f\u0085\u2028\u2029')).toBe(
      '\\u0000\\u001b\\u007f\\u0085\\u2028\\u2029',
    );
    expect(escapeControl('héllo → ✓ "q"')).toBe('héllo → ✓ "q"');
  });
});
