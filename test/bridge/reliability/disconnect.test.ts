// A client that goes away mid-stream must free the upstream at once (design.md §4.7, §10): a GPU slot
// generating for nobody is the most expensive leak a bridge can have. Checked by what happens, not
// by a stopwatch: every timer that could also end the upstream request (pings, the idle and headers
// timeouts, the write-coalescing window) is set to a minute, so an upstream that sees its request
// closed before ABORT_HANG_DEADLINE_MS saw it because of the client's disconnect. How fast that is
// (design.md: within 100 ms) is measured by `npm run bench` (abort latency), not asserted here.
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../../src/bridge/server.js';
import { configSchema } from '../../../src/config/schema.js';
import {
  type FakeUpstream,
  type Fault,
  faultAnswer,
  startFakeLlama,
} from '../../support/fake-upstream/index.js';
import { helloMessagesBody } from '../../support/hello-request.js';

/** Every timer of the bridge that could end a request on its own: far beyond the deadline below. */
const BRIDGE_TIMERS_MS = 60_000;
/** Hang-catching deadline: only a bridge that waits for one of its timers gets near it. */
const ABORT_HANG_DEADLINE_MS = 10_000;
const TRIALS = 8;

let upstream: FakeUpstream;
let bridge: RunningBridge;
/** Coalesces writes even for one stream, with a window as long as the other timers. */
let coalescingBridge: RunningBridge;

beforeAll(async () => {
  upstream = await startFakeLlama({
    countsTokens: false,
    keepAliveTimeoutMs: 200,
    answer: faultAnswer('ok'),
  });
  // Long timeouts: only the client's disconnect may end these requests.
  const config = configSchema.parse({
    server: {
      port: 0,
      pingIntervalMs: BRIDGE_TIMERS_MS,
      headersTimeoutMs: BRIDGE_TIMERS_MS,
      idleTimeoutMs: BRIDGE_TIMERS_MS,
    },
    upstreams: [
      { url: upstream.url, kind: 'llama.cpp', model: 'tiny', tokenCounting: 'estimate', contextSize: 8192 },
    ],
  });
  bridge = await startBridge({ config, logger: silentLogger });
  coalescingBridge = await startBridge({
    config,
    logger: silentLogger,
    coalesce: { windowMs: BRIDGE_TIMERS_MS, fromStreams: 1 },
  });
});
afterAll(async () => {
  await bridge?.close();
  await coalescingBridge?.close();
  await upstream?.close();
});

function hangDeadline(ms: number, what: string): { promise: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} after ${ms} ms`)), ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

/**
 * Starts a request, waits until `ready` says so (the upstream has it, or the client has bytes),
 * aborts, and resolves once the upstream saw its request closed, aborted before its end.
 */
async function abortReachesUpstream(
  fault: Fault,
  stream: boolean,
  waitFor: 'upstream' | 'first-delta' | 'first-bytes',
  through: RunningBridge = bridge,
): Promise<void> {
  upstream.answer = faultAnswer(fault);
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
  if (waitFor === 'upstream') await upstream.waitForCompletions(before + 1);
  else expect(await done).toBe('ready');
  const record = upstream.completions[before];
  expect(record).toBeDefined();
  expect(record!.closedAt).toBeUndefined();
  controller.abort();
  const deadline = hangDeadline(ABORT_HANG_DEADLINE_MS, 'the upstream never saw the client leave');
  try {
    await Promise.race([record!.closed, deadline.promise]);
  } finally {
    deadline.clear();
    await agent.destroy();
  }
  expect(record!.aborted).toBe(true);
}

describe('a client disconnect aborts the upstream request, before any bridge timer could', () => {
  it('mid-stream, while the upstream is silent (between tokens)', async () => {
    for (let i = 0; i < TRIALS; i++) await abortReachesUpstream('stall-mid-stream', true, 'first-delta');
  });

  it('mid-stream, while the upstream is still sending (slow drip)', async () => {
    for (let i = 0; i < TRIALS; i++) await abortReachesUpstream('slow-drip', true, 'first-bytes');
  });

  it('mid-stream, while the bridge holds its writes back (write coalescing window)', async () => {
    for (let i = 0; i < TRIALS; i++)
      await abortReachesUpstream('stall-mid-stream', true, 'first-delta', coalescingBridge);
  });

  it('during prefill, before the upstream sent its headers (stream and not)', async () => {
    for (let i = 0; i < TRIALS / 2; i++) {
      await abortReachesUpstream('stall-before-headers', true, 'upstream');
      await abortReachesUpstream('stall-before-headers', false, 'upstream');
    }
  });

  it('leaves nothing outstanding: the bridge still serves, with 0 requests in flight', async () => {
    upstream.answer = faultAnswer('ok');
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
