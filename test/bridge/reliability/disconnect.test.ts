// A client that goes away mid-stream must free the upstream at once (design.md §4.7, §10: within
// 100 ms): a GPU slot generating for nobody is the most expensive leak a bridge can have. Measured
// at the fake upstream: from the client's abort to the moment the upstream sees its request closed.
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../../src/bridge/server.js';
import { configSchema } from '../../../src/config/schema.js';
import { type Fault, type FaultyUpstream, startFaultyUpstream } from '../../support/faulty-upstream.js';
import { helloMessagesBody } from '../../support/hello-request.js';

const LIMIT_MS = 100;
const TRIALS = 8;

let upstream: FaultyUpstream;
let bridge: RunningBridge;
/** Coalesces writes even for one stream, with a window far longer than the limit. */
let coalescingBridge: RunningBridge;

beforeAll(async () => {
  upstream = await startFaultyUpstream();
  // Long timeouts: only the client's disconnect may end these requests.
  const config = configSchema.parse({
    server: { port: 0, pingIntervalMs: 50, headersTimeoutMs: 60_000, idleTimeoutMs: 60_000 },
    upstreams: [
      { url: upstream.url, kind: 'llama.cpp', model: 'tiny', tokenCounting: 'estimate', contextSize: 8192 },
    ],
  });
  bridge = await startBridge({ config, logger: silentLogger });
  coalescingBridge = await startBridge({
    config,
    logger: silentLogger,
    coalesce: { windowMs: 1000, fromStreams: 1 },
  });
});
afterAll(async () => {
  await bridge?.close();
  await coalescingBridge?.close();
  await upstream?.close();
});

/**
 * Starts a request, waits until `ready` says so (the upstream has it, or the client has bytes),
 * aborts, and returns how long the upstream took to see its request closed.
 */
async function abortDelay(
  fault: Fault,
  stream: boolean,
  waitFor: 'upstream' | 'first-delta' | 'first-bytes',
  through: RunningBridge = bridge,
): Promise<number> {
  upstream.fault = fault;
  const before = upstream.completions.length;
  const agent = new Agent({ connections: 1 });
  const controller = new AbortController();
  const done = request(`${through.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: helloMessagesBody(stream),
    dispatcher: agent,
    signal: controller.signal,
  }).then(async (res) => {
    let text = '';
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (waitFor === 'first-bytes' || (waitFor === 'first-delta' && text.includes('content_block_delta')))
        return 'ready';
    }
    return 'ended';
  });
  done.catch(() => {});
  if (waitFor === 'upstream') {
    const until = performance.now() + 5_000;
    while (upstream.completions.length === before && performance.now() < until)
      await new Promise((r) => setTimeout(r, 2));
  } else {
    expect(await done).toBe('ready');
  }
  const record = upstream.completions[before];
  expect(record).toBeDefined();
  expect(record!.closedAt).toBeUndefined();
  const abortedAt = performance.now();
  controller.abort();
  const until = abortedAt + 2_000;
  while (record!.closedAt === undefined && performance.now() < until)
    await new Promise((r) => setImmediate(r));
  await agent.destroy();
  expect(record!.closedAt).toBeDefined();
  expect(record!.aborted).toBe(true);
  return record!.closedAt! - abortedAt;
}

describe('a client disconnect aborts the upstream request within 100 ms', () => {
  it('mid-stream, while the upstream is silent (between tokens)', async () => {
    const delays: number[] = [];
    for (let i = 0; i < TRIALS; i++) delays.push(await abortDelay('stall-mid-stream', true, 'first-delta'));
    expect(Math.max(...delays)).toBeLessThan(LIMIT_MS);
  });

  it('mid-stream, while the upstream is still sending (slow drip)', async () => {
    const delays: number[] = [];
    for (let i = 0; i < TRIALS; i++) delays.push(await abortDelay('slow-drip', true, 'first-bytes'));
    expect(Math.max(...delays)).toBeLessThan(LIMIT_MS);
  });

  it('mid-stream, while the bridge holds its writes back (write coalescing window)', async () => {
    const delays: number[] = [];
    for (let i = 0; i < TRIALS; i++)
      delays.push(await abortDelay('stall-mid-stream', true, 'first-delta', coalescingBridge));
    expect(Math.max(...delays)).toBeLessThan(LIMIT_MS);
  });

  it('during prefill, before the upstream sent its headers (stream and not)', async () => {
    const delays: number[] = [];
    for (let i = 0; i < TRIALS / 2; i++) {
      delays.push(await abortDelay('stall-before-headers', true, 'upstream'));
      delays.push(await abortDelay('stall-before-headers', false, 'upstream'));
    }
    expect(Math.max(...delays)).toBeLessThan(LIMIT_MS);
  });

  it('leaves nothing outstanding: the bridge still serves, with 0 requests in flight', async () => {
    upstream.fault = 'ok';
    const res = await request(`${bridge.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toContain('event: message_stop');
    const health = (await (await request(`${bridge.url}/health`)).body.json()) as {
      upstreams: Array<{ outstanding: number }>;
    };
    expect(health.upstreams[0]!.outstanding).toBe(0);
  });
});
