// The bridge client's pure parts and its body reader, driven by a scripted response and a scripted
// clock: what arrived when is exact, with no socket and no sleeping.
import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_BETAS,
  type Exchange,
  messagesRequestBody,
  readExchange,
  readTokenCount,
} from '../../src/probe/bridge-client.js';
import type { OpenedResponse } from '../../src/probe/http.js';
import { evaluateExchange } from '../../src/probe/judge.js';
import { CLAUDE_CODE_TOOLS } from '../../src/probe/scenarios.js';

const frame = (data: Record<string, unknown> & { type: string }) =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

/** A correct text stream of three tokens, one frame per chunk. */
const TEXT_FRAMES = [
  frame({
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'm',
      usage: { input_tokens: 40, output_tokens: 0 },
    },
  }),
  frame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ...['Hel', 'lo', '.'].map((text) =>
    frame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
  ),
  frame({ type: 'content_block_stop', index: 0 }),
  frame({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } }),
  frame({ type: 'message_stop' }),
];

function response(
  status: number,
  headers: Record<string, string>,
  chunks: string[],
): OpenedResponse & {
  readChunks: number;
} {
  const res = {
    status,
    headers,
    readChunks: 0,
    async *chunks() {
      for (const c of chunks) {
        res.readChunks++;
        yield c;
      }
    },
    text: async () => chunks.join(''),
    dump: async () => {},
  };
  return res;
}

const newExchange = (startMs: number): Exchange => ({
  headers: {},
  events: [],
  times: [],
  text: '',
  startMs,
  endMs: 0,
});

/** A clock that moves `step` ms each time it is read. */
const ticking = (start: number, step: number) => {
  let t = start;
  return () => {
    t += step;
    return t;
  };
};

describe('readExchange', () => {
  it('stamps each event with the clock read when its chunk arrived, and measures inter-token latency from them', async () => {
    const now = ticking(0, 20);
    const ex = newExchange(0);
    await readExchange(response(200, { 'content-type': 'text/event-stream' }, TEXT_FRAMES), ex, {
      stream: true,
      now,
    });
    ex.endMs = now();
    expect(ex.events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(ex.times).toEqual([20, 40, 60, 80, 100, 120, 140, 160]);
    const outcome = evaluateExchange('text', ex, true, { text: true });
    expect(outcome.problems).toEqual([]);
    const m = outcome.step.metrics;
    // The assertions of the end-to-end test that used to sleep between frames, now exact.
    expect(m?.itlP50Ms).toBeGreaterThanOrEqual(10);
    expect(m?.outputTokensPerSec).toBeGreaterThan(0);
    expect(m?.totalMs).toBeGreaterThanOrEqual(m?.ttftMs ?? Number.POSITIVE_INFINITY);
    expect(m).toMatchObject({ ttftMs: 60, itlP50Ms: 20, itlP99Ms: 20, outputTokensPerSec: 75, totalMs: 200 });
  });

  it('events of one chunk share its arrival time', async () => {
    const ex = newExchange(0);
    await readExchange(response(200, { 'content-type': 'text/event-stream' }, [TEXT_FRAMES.join('')]), ex, {
      stream: true,
      now: ticking(0, 5),
    });
    // One read for the chunk; the flush at the end finds nothing left.
    expect(ex.times).toEqual(Array(8).fill(5));
  });

  it('stops reading after maxEvents and marks the exchange abandoned', async () => {
    const res = response(200, { 'content-type': 'text/event-stream' }, TEXT_FRAMES);
    const ex = newExchange(0);
    await readExchange(res, ex, { stream: true, now: ticking(0, 1), maxEvents: 2 });
    expect(ex.abandoned).toBe(true);
    expect(ex.events).toHaveLength(2);
    expect(res.readChunks).toBe(2);
  });

  it('reads an error answer, or a non-stream answer, as text and JSON', async () => {
    const body = '{"type":"error","error":{"type":"invalid_request_error","message":"no"}}';
    const ex = newExchange(0);
    await readExchange(response(400, { 'content-type': 'application/json' }, [body]), ex, {
      stream: true,
      now: ticking(0, 1),
    });
    expect(ex).toMatchObject({ status: 400, text: body, json: { type: 'error' }, events: [] });
    const plain = newExchange(0);
    await readExchange(response(200, {}, ['not json']), plain, { stream: false, now: ticking(0, 1) });
    expect(plain).toMatchObject({ status: 200, text: 'not json', events: [] });
    expect(plain.json).toBeUndefined();
  });

  it('reads a 200 labelled text/event-stream as events even when no stream was asked for', async () => {
    const ex = newExchange(0);
    await readExchange(
      response(200, { 'content-type': 'text/event-stream; charset=utf-8' }, TEXT_FRAMES),
      ex,
      {
        stream: false,
        now: ticking(0, 1),
      },
    );
    expect(ex.events).toHaveLength(8);
    expect(ex.text).toBe('');
  });
});

describe('readTokenCount', () => {
  it('takes an integer input_tokens and the kind header', () => {
    expect(readTokenCount(200, '{"input_tokens":42}', 'exact')).toEqual({ tokens: 42, kind: 'exact' });
    expect(readTokenCount(200, '{"input_tokens":0}', undefined)).toEqual({ tokens: 0 });
  });

  it('names what is wrong otherwise', () => {
    expect(readTokenCount(200, '{"input_tokens":4.5}', undefined)).toEqual({
      error: 'the answer has no integer input_tokens: {"input_tokens":4.5}',
    });
    expect(readTokenCount(200, '{"input_tokens":-1}', undefined).error).toMatch(/no integer input_tokens/);
    expect(
      readTokenCount(404, '{"type":"error","error":{"type":"not_found_error","message":"gone"}}', 'x'),
    ).toEqual({
      error: 'HTTP 404: gone',
    });
  });
});

describe('messagesRequestBody', () => {
  it("builds Claude Code's body: system, metadata, tools, tool_choice, thinking and effort when asked", () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const body = messagesRequestBody(
      { model: 'claude-sonnet-4-5', maxTokens: 1000 },
      {
        tools: 'claude-code',
        toolChoice: { type: 'tool', name: 'Read' },
        thinking: { type: 'enabled', budget_tokens: 1024 },
        effort: 'high',
      },
      messages,
      true,
    );
    expect(body).toMatchObject({
      model: 'claude-sonnet-4-5',
      max_tokens: 1000,
      messages,
      metadata: { user_id: 'dsb-probe' },
      tools: CLAUDE_CODE_TOOLS,
      tool_choice: { type: 'tool', name: 'Read' },
      thinking: { type: 'enabled', budget_tokens: 1024 },
      output_config: { effort: 'high' },
      stream: true,
    });
    expect(Array.isArray(body.system)).toBe(true);
    const bare = messagesRequestBody({ model: 'm', maxTokens: 1 }, {}, messages, false);
    expect(Object.keys(bare)).toEqual(['model', 'max_tokens', 'system', 'messages', 'metadata', 'stream']);
  });

  it('announces the betas Claude Code sends', () => {
    expect(ANTHROPIC_BETAS.split(',')).toContain('claude-code-20250219');
  });
});
