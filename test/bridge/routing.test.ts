// Routing through the running bridge: tier mapping, X-Model-Override, failover between replicas
// before the first byte, and none after it (design.md §4.7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import {
  closedPort,
  type FakeUpstream,
  faultAnswer,
  recordedAnswer,
  startFakeLlama,
} from '../support/fake-upstream/index.js';

let a: FakeUpstream;
let b: FakeUpstream;
let deadUrl: string;
const opened: RunningBridge[] = [];

const chatRequests = (s: FakeUpstream) => s.requests.filter((r) => r.path === '/v1/chat/completions');
const ask = (bridge: RunningBridge, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${bridge.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
const bridgeWith = async (config: Record<string, unknown>) => {
  const bridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 }, ...config }),
    logger: silentLogger,
  });
  opened.push(bridge);
  return bridge;
};

beforeAll(async () => {
  a = await startFakeLlama();
  b = await startFakeLlama();
  deadUrl = `http://127.0.0.1:${await closedPort()}`;
});
afterAll(async () => {
  for (const bridge of opened) await bridge.close();
  await a?.close();
  await b?.close();
});

describe('model map', () => {
  it('sends each tier to its model and upstream, unknown names to the default', async () => {
    const bridge = await bridgeWith({
      upstreams: [
        { name: 'big', url: a.url },
        { name: 'small', url: b.url },
      ],
      models: {
        opus: { model: 'deepseek-v4-pro', upstreams: ['big'] },
        haiku: { model: 'deepseek-v4-flash', upstreams: ['small'] },
        default: { model: 'deepseek-v4-flash', upstreams: ['small'] },
      },
    });
    expect((await ask(bridge, { model: 'claude-opus-4-5' })).status).toBe(200);
    expect(chatRequests(a).at(-1)!.body?.model).toBe('deepseek-v4-pro');
    const beforeA = chatRequests(a).length;
    expect((await ask(bridge, { model: 'claude-3-5-haiku-latest' })).status).toBe(200);
    expect((await ask(bridge, { model: 'some-other-name' })).status).toBe(200);
    expect(chatRequests(a).length).toBe(beforeA);
    expect(
      chatRequests(b)
        .slice(-2)
        .map((r) => r.body?.model),
    ).toEqual(['deepseek-v4-flash', 'deepseek-v4-flash']);
  });

  it('answers 404 not_found_error only when nothing maps', async () => {
    const bridge = await bridgeWith({ upstreams: [{ url: a.url }], models: { opus: 'x' } });
    const res = await ask(bridge, { model: 'claude-sonnet-4-5' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('lets X-Model-Override pick the model per request', async () => {
    const bridge = await bridgeWith({ upstreams: [{ url: a.url }] });
    expect(
      (await ask(bridge, { model: 'claude-sonnet-4-5' }, { 'x-model-override': 'qwen3-coder' })).status,
    ).toBe(200);
    expect(chatRequests(a).at(-1)!.body?.model).toBe('qwen3-coder');
  });
});

describe('failover between replicas', () => {
  it('fails over when one replica refuses the connection, then keeps away from it', async () => {
    const bridge = await bridgeWith({
      upstreams: [
        { name: 'dead', url: deadUrl, model: 'm' },
        { name: 'live', url: a.url, model: 'm' },
      ],
    });
    const before = chatRequests(a).length;
    const res = await ask(bridge, { model: 'x', stream: true });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('event: message_stop');
    expect((await ask(bridge, { model: 'x' })).status).toBe(200);
    expect(chatRequests(a).length).toBe(before + 2);
  });

  it('fails over on a 5xx before the first byte', async () => {
    const bridge = await bridgeWith({
      upstreams: [
        { url: a.url, model: 'm' },
        { url: b.url, model: 'm' },
      ],
    });
    a.answer = faultAnswer('status-500');
    try {
      const beforeB = chatRequests(b).length;
      const res = await ask(bridge, { model: 'x' });
      expect(res.status).toBe(200);
      expect(chatRequests(b).length).toBe(beforeB + 1);
    } finally {
      a.answer = recordedAnswer();
    }
  });

  it('does not fail over after the first byte: the client gets an error event, the other replica nothing', async () => {
    const bridge = await bridgeWith({
      upstreams: [
        { url: a.url, model: 'm' },
        { url: b.url, model: 'm' },
      ],
    });
    a.answer = faultAnswer('cut-recorded-stream');
    b.answer = faultAnswer('cut-recorded-stream');
    try {
      const beforeA = chatRequests(a).length;
      const beforeB = chatRequests(b).length;
      const res = await ask(bridge, { model: 'x', stream: true });
      const text = await res.text();
      expect(text.trim().split('\n\n').at(-1)).toMatch(/^event: error/);
      expect(chatRequests(a).length - beforeA + (chatRequests(b).length - beforeB)).toBe(1);
    } finally {
      a.answer = recordedAnswer();
      b.answer = recordedAnswer();
    }
  });

  it('answers 502 naming the URL when every replica is down', async () => {
    const bridge = await bridgeWith({ upstreams: [{ url: deadUrl, model: 'm' }] });
    const res = await ask(bridge, { model: 'x' });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(deadUrl);
  });
});
