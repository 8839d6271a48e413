import { describe, expect, it } from 'vitest';
import type { BridgeClient } from '../../src/probe/bridge-client.js';
import type { OpenedResponse } from '../../src/probe/http.js';
import { ChatStreamWatch, loadDirect } from '../../src/probe/load-direct.js';
import type { ProbeOptions } from '../../src/probe/options.js';

describe('ChatStreamWatch', () => {
  const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({
    event: undefined,
    data: { choices: [{ index: 0, delta, finish_reason }] },
  });

  it('takes the time of the first content, reasoning or tool call delta, and sees the finish', () => {
    let t = 0;
    const watch = new ChatStreamWatch(() => (t += 10));
    watch.see([chunk({ role: 'assistant', content: null })]);
    expect(watch.ttftMs).toBeUndefined();
    watch.see([chunk({ reasoning_content: 'hm' }), chunk({ content: 'x' })]);
    expect(watch.ttftMs).toBe(10);
    expect(watch.finished).toBe(false);
    watch.see([chunk({}, 'stop')]);
    expect(watch.finished).toBe(true);
  });

  it('a tool call counts as the first token; [DONE] alone finishes', () => {
    const watch = new ChatStreamWatch(() => 42);
    watch.see([chunk({ tool_calls: [] }), { event: undefined, data: '[DONE]' }]);
    expect(watch).toMatchObject({ ttftMs: 42, finished: true });
  });
});

/** A response with the given status and body, handed out in the given chunks. */
function opened(status: number, ...chunks: string[]): OpenedResponse {
  return {
    status,
    headers: {},
    async *chunks() {
      yield* chunks;
    },
    text: async () => chunks.join(''),
    dump: async () => {},
  };
}

const sse = (...objects: unknown[]) =>
  objects.map((o) => `data: ${typeof o === 'string' ? o : JSON.stringify(o)}\n\n`).join('');
const DONE_STREAM = sse(
  { choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] },
  { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  '[DONE]',
);

interface Sent {
  url: string;
  init: { method?: string; headers?: Record<string, string>; body?: string } | undefined;
}

/** The parts of a BridgeClient loadDirect uses: options, /health, the context, GET JSON, a clock, HTTP. */
function fakeClient(script: {
  options?: Partial<ProbeOptions>;
  health?: { upstreamUrl?: string; upstreamModel?: string };
  contextSize?: number;
  models?: unknown;
  answer: (i: number) => OpenedResponse | Error;
}) {
  const sent: Sent[] = [];
  const progress: Array<[number, number, string]> = [];
  const modelsAsked: string[] = [];
  let clock = 0;
  const client = {
    options: {
      url: 'http://127.0.0.1:1',
      model: 'claude-sonnet',
      maxTokens: 256,
      timeoutMs: 1000,
      onLoadProgress: (done: number, total: number, target: string) => progress.push([done, total, target]),
      ...script.options,
    },
    health: async () => ({ unhealthy: [], ...script.health }),
    context: async () => ({ size: script.contextSize }),
    getJson: async (url: string) => {
      modelsAsked.push(url);
      return script.models;
    },
    now: () => (clock += 5),
    http: {
      open: async (url: string, init?: Sent['init']) => {
        const i = sent.length;
        sent.push({ url, init });
        const answer = script.answer(i);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
  } as unknown as BridgeClient;
  return { client, sent, progress, modelsAsked };
}

describe('loadDirect', () => {
  it('without an upstream URL (neither --upstream nor /health) it says why it cannot run', async () => {
    const { client, sent } = fakeClient({ answer: () => opened(200, DONE_STREAM) });
    expect(await loadDirect(client, 2, 1)).toMatch(/no upstream URL: pass --upstream URL/);
    expect(sent).toEqual([]);
  });

  it("streams the same prompt to the upstream's chat endpoint with its key and model, n times", async () => {
    const { client, sent, progress } = fakeClient({
      options: { upstream: { url: 'http://127.0.0.1:2/v1/', apiKey: 'sk-up', model: 'deepseek-chat' } },
      health: { upstreamUrl: 'http://ignored', upstreamModel: 'ignored' },
      answer: () => opened(200, DONE_STREAM),
    });
    const result = await loadDirect(client, 3, 2);
    if (typeof result === 'string') throw new Error(result);
    expect(result.target).toBe('upstream');
    expect(result.url).toBe('http://127.0.0.1:2/v1/chat/completions');
    expect(result.errors).toEqual([]);
    expect(result.stats).toMatchObject({ requests: 3, failures: 0 });
    expect(sent).toHaveLength(3);
    const first = sent[0]!;
    expect(first.init?.method).toBe('POST');
    expect(first.init?.headers).toMatchObject({ authorization: 'Bearer sk-up', accept: 'text/event-stream' });
    const body = JSON.parse(first.init?.body ?? '');
    expect(body).toMatchObject({ model: 'deepseek-chat', max_tokens: 256, stream: true });
    expect(progress.map(([d, t, w]) => `${d}/${t} ${w}`)).toEqual([
      '1/3 upstream',
      '2/3 upstream',
      '3/3 upstream',
    ]);
  });

  it('the model: --upstream, else /health, else the upstream /v1/models, else the probe model', async () => {
    const modelOf = async (script: Parameters<typeof fakeClient>[0]) => {
      const f = fakeClient(script);
      await loadDirect(f.client, 1, 1);
      return { model: JSON.parse(f.sent[0]?.init?.body ?? '{}').model, asked: f.modelsAsked };
    };
    const answer = () => opened(200, DONE_STREAM);
    const health = { upstreamUrl: 'http://127.0.0.1:3' };
    expect(await modelOf({ health: { ...health, upstreamModel: 'from-health' }, answer })).toEqual({
      model: 'from-health',
      asked: [],
    });
    expect(await modelOf({ health, models: { data: [{ id: 'listed' }] }, answer })).toEqual({
      model: 'listed',
      asked: ['http://127.0.0.1:3/v1/models'],
    });
    expect((await modelOf({ health, models: undefined, answer })).model).toBe('claude-sonnet');
  });

  it('max_tokens is clamped to half the context, as the bridge would', async () => {
    const f = fakeClient({
      health: { upstreamUrl: 'http://127.0.0.1:3' },
      contextSize: 300,
      answer: () => opened(200, DONE_STREAM),
    });
    await loadDirect(f.client, 1, 1);
    expect(JSON.parse(f.sent[0]?.init?.body ?? '{}').max_tokens).toBe(150);
    // no Authorization without an upstream key
    expect(f.sent[0]?.init?.headers?.authorization).toBeUndefined();
  });

  it('counts errors: an HTTP error with its message, a stream that never finishes, a failed request', async () => {
    const answers = [
      opened(503, '{"error":{"message":"loading model"}}'),
      opened(200, sse({ choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] })),
      new Error('connection refused'),
      opened(503, '{"error":{"message":"loading model"}}'),
    ];
    const { client } = fakeClient({
      health: { upstreamUrl: 'http://127.0.0.1:3' },
      answer: (i) => answers[i]!,
    });
    const result = await loadDirect(client, 4, 1);
    if (typeof result === 'string') throw new Error(result);
    expect(result.stats).toMatchObject({ requests: 4, failures: 4 });
    expect(result.errors).toEqual([
      { message: 'HTTP 503: loading model', count: 2 },
      { message: 'the stream ended without finish_reason or [DONE]', count: 1 },
      { message: 'connection refused', count: 1 },
    ]);
  });
});
