// Issue 13 items 6, 9 and 12: what a broken or hostile upstream sends is bounded and never turned
// into something Claude Code would run. Real bridge (startBridge), raw scripted upstreams.
import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type BridgeOptions, type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import {
  type ChatAnswer,
  chunk,
  type FakeUpstream,
  startFakeUpstream,
} from '../support/fake-upstream/index.js';

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field, as JSON
type AnyJson = any;
let upstream: FakeUpstream | undefined;
let bridge: RunningBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  await upstream?.close();
  bridge = upstream = undefined;
});

async function setUp(answer: ChatAnswer, extra: Partial<BridgeOptions> = {}): Promise<RunningBridge> {
  upstream = await startFakeUpstream({ answer });
  bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0 },
      upstreams: [
        { url: upstream.url, kind: 'openai', model: 'fake', contextSize: 65536, tokenCounting: 'estimate' },
      ],
    }),
    logger: silentLogger,
    ...extra,
  });
  return bridge;
}

const writeTool = {
  name: 'Write',
  description: 'write a file',
  input_schema: {
    type: 'object',
    properties: { file_path: { type: 'string' }, content: { type: 'string' } },
    required: ['file_path', 'content'],
  },
};

async function ask(stream: boolean): Promise<{ status: number; text: string; json: AnyJson }> {
  const res = await fetch(`${bridge!.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stream,
      tools: [writeTool],
      messages: [{ role: 'user', content: 'write it' }],
    }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, text, json };
}

/** Writes SSE lines, then [DONE]. */
function sse(lines: string[], separator = '\n\n'): ChatAnswer {
  return (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${lines.map((l) => `data: ${l}`).join(separator)}${separator}data: [DONE]${separator}`);
  };
}

const LEAK = '<｜tool▁call▁end｜><｜tool▁calls▁end｜>';
const leakedCall = (finish: string) => [
  chunk({ role: 'assistant', content: null }),
  chunk({
    tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'Write', arguments: '' } }],
  }),
  chunk({
    tool_calls: [{ index: 0, function: { arguments: '{"file_path":"/tmp/x.txt","content":"hello' } }],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: LEAK } }] }),
  chunk({}, finish),
];

describe('tool-call repair only after a length cut (item 6)', () => {
  it.each([
    ['tool_calls', false],
    ['stop', false],
    ['tool_calls', true],
    ['stop', true],
  ])(
    'an unclosed call with leaked tokens and finish_reason %s (stream %s) is not a runnable tool_use',
    async (finish, stream) => {
      await setUp(sse(leakedCall(finish as string)));
      const r = await ask(stream as boolean);
      expect(r.status).toBe(200);
      if (stream) {
        expect(r.text).not.toContain('"type":"tool_use"');
        expect(r.text).not.toContain('"stop_reason":"tool_use"');
        expect(r.text).toContain('"stop_reason":"end_turn"');
      } else {
        expect(r.json.stop_reason).toBe('end_turn');
        expect(r.json.content.some((b: { type: string }) => b.type === 'tool_use')).toBe(false);
      }
    },
  );

  it('after a length cut the call is still repaired (and stop_reason says max_tokens)', async () => {
    const cut = [
      chunk({
        tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'Write', arguments: '' } }],
      }),
      chunk({
        tool_calls: [{ index: 0, function: { arguments: '{"file_path":"/tmp/x.txt","content":"hel' } }],
      }),
      chunk({}, 'length'),
    ];
    await setUp(sse(cut));
    const r = await ask(false);
    expect(r.json.stop_reason).toBe('max_tokens');
    const tool = r.json.content.find((b: { type: string }) => b.type === 'tool_use');
    expect(tool.input).toEqual({ file_path: '/tmp/x.txt', content: 'hel' });
  });
});

describe('SSE line endings and [DONE] (item 12)', () => {
  const hello = [chunk({ role: 'assistant', content: 'hel' }), chunk({ content: 'lo' }), chunk({}, 'stop')];
  it.each([
    ['CR only', '\r\r'],
    ['CRLF', '\r\n\r\n'],
    ['LF', '\n\n'],
  ])('%s line endings parse (stream and not)', async (_label, separator) => {
    await setUp(sse(hello, separator));
    const whole = await ask(false);
    expect(whole.status).toBe(200);
    expect(whole.json.content[0]).toEqual({ type: 'text', text: 'hello' });
    const streamed = await ask(true);
    expect(streamed.text).toContain('"stop_reason":"end_turn"');
    expect(streamed.text).not.toContain('event: error');
  });

  it('CR and LF of one CRLF split across two network writes are one line end', async () => {
    await setUp((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${hello[0]}\r`);
      setTimeout(() => {
        res.write(`\n\r\ndata: ${hello[1]}\r\n\r\ndata: ${hello[2]}\r\n\r\ndata: [DONE]\r\n\r\n`);
        res.end();
      }, 20);
    });
    const r = await ask(false);
    expect(r.json.content[0].text).toBe('hello');
  });

  it('[DONE] without any finish_reason ends as end_turn, not an error', async () => {
    await setUp(sse([chunk({ role: 'assistant', content: 'hi' })]));
    const whole = await ask(false);
    expect(whole.status).toBe(200);
    expect(whole.json.stop_reason).toBe('end_turn');
    const streamed = await ask(true);
    expect(streamed.text).toContain('"stop_reason":"end_turn"');
    expect(streamed.text).not.toContain('event: error');
  });
});

/**
 * Sends `head` and then `unit` until the bridge hangs up, or at most `cap` bytes (a bridge that
 * does not stop fails the test by the size it read, never hangs it).
 */
function endless(head: string, unit: string, cap = 64 * 1024 * 1024): ChatAnswer {
  return async (res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': head.startsWith('{') ? 'application/json' : 'text/event-stream' });
    res.write(head);
    const block = unit.repeat(Math.max(1, Math.floor(65536 / unit.length)));
    let sent = 0;
    while (!res.destroyed && sent < cap) {
      sent += block.length;
      if (!res.write(block)) await new Promise((r) => res.once('drain', r).once('close', r));
    }
    res.end();
  };
}

const LIMIT = 200_000;
const limits = {
  maxReasoningBytes: LIMIT,
  maxToolArgumentsBytes: LIMIT,
  maxSseLineBytes: LIMIT,
  maxResponseBytes: LIMIT,
};

describe('endless upstream answers are bounded (item 9)', () => {
  it.each([
    ['reasoning', '', `data: ${chunk({ reasoning_content: 'x'.repeat(1000) })}\n\n`, 'maxReasoningBytes'],
    [
      'tool-call arguments',
      `data: ${chunk({ tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'Write', arguments: '{"content":"' } }] })}\n\n`,
      `data: ${chunk({ tool_calls: [{ index: 0, function: { arguments: 'y'.repeat(1000) } }] })}\n\n`,
      'maxToolArgumentsBytes',
    ],
    ['data lines without a blank line', '', 'data: zzzzzzzzzzzzzzzzzzzz\n', 'maxSseLineBytes'],
    ['one endless line', 'data: ', 'w'.repeat(1000), 'maxSseLineBytes'],
  ])(
    '%s: the stream ends with an error event naming the limit, and the upstream is cut',
    async (_l, head, unit, setting) => {
      await setUp(endless(head, unit), { limits });
      const r = await ask(true);
      expect(r.status).toBe(200);
      expect(r.text).toContain('event: error');
      expect(r.text).toContain(setting);
      // The bridge stopped reading: the upstream's connection closed before it ran out of data.
      await expect.poll(() => upstream!.aborted, { timeout: 10_000 }).toBe(1);
    },
  );

  it('a non-streaming JSON body: 502 naming maxResponseBytes', async () => {
    await setUp(endless('{"choices":[{"message":{"role":"assistant","content":"', 'v'.repeat(1000)), {
      limits,
    });
    const r = await ask(false);
    expect(r.status).toBe(502);
    expect(r.json.error.message).toContain('maxResponseBytes');
    await expect.poll(() => upstream!.aborted, { timeout: 10_000 }).toBe(1);
  });

  it('a non-streaming request answered with endless SSE text: 502 naming maxResponseBytes', async () => {
    await setUp(endless('', `data: ${chunk({ content: 'u'.repeat(1000) })}\n\n`), { limits });
    const r = await ask(false);
    expect(r.status).toBe(502);
    expect(r.json.error.message).toContain('maxResponseBytes');
  });

  it('the limits are config keys too (server.limits)', () => {
    const config = configSchema.parse({ server: { limits: { maxReasoningBytes: 5 } } });
    expect(config.server.limits.maxReasoningBytes).toBe(5);
    expect(config.server.limits.maxResponseBytes).toBeGreaterThan(1_000_000);
  });
});

describe('a leaked tool-call block that never closes (salvage, item 9)', () => {
  it('is held back only up to the limit, then goes out as text', async () => {
    const { ToolCallSalvager } = await import('../../src/bridge/translate/salvage.js');
    const salvager = new ToolCallSalvager({ toolNames: ['Write'], maxBlockLength: 10_000 });
    let shown = salvager.push('before <tool_call>{"name":"Write","arguments":{"content":"').text;
    for (let i = 0; i < 100; i++) shown += salvager.push('x'.repeat(1000)).text;
    // Everything past the limit reached the client instead of piling up in the bridge.
    expect(shown.length).toBeGreaterThan(90_000);
    expect(shown.startsWith('before <tool_call>')).toBe(true);
    expect(salvager.end().calls).toEqual([]);
  });
});
