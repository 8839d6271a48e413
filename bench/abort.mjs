// How fast a client's disconnect reaches the upstream (design.md §4.7, §10: within 100 ms): a GPU
// slot generating for nobody is the costliest leak a bridge has. The tests check that the disconnect
// reaches the upstream at all, before any bridge timer could (test/bridge/reliability/disconnect.test.ts);
// this measures how long it takes, on the built bridge (dist/), in one process: the bench's fake
// upstream (bench/fast-upstream.mjs) holding its answers open, the bridge, and a client that aborts
// mid-stream or during prefill.
// Run alone (`node bench/abort.mjs`) or by bench/run.mjs, which reads the JSON result over IPC.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { silentLogger } from '../dist/bridge/log.js';
import { startBridge } from '../dist/bridge/server.js';
import { configSchema } from '../dist/config/schema.js';
import { startFastUpstream } from './fast-upstream.mjs';
import { percentile } from './load.mjs';

export const ABORT_TARGET_MS = 100;

/**
 * The bench's fake upstream, stalling: each completion starts a stream and holds it (`held`), or,
 * in prefill, sends nothing (`silent`); it reports when each completion arrived and was closed.
 */
async function startStallingUpstream() {
  const waiting = new Map();
  const arrivals = new Map();
  const upstream = await startFastUpstream({
    answer: 'held',
    onCompletion: (n) => arrivals.get(n)?.(),
    onCompletionClosed: (n, atMs) => waiting.get(n)?.(atMs),
  });
  return {
    /** 'stream' (the answer starts, then stalls) or 'prefill' (nothing is sent). */
    set phase(phase) {
      upstream.answer = phase === 'prefill' ? 'silent' : 'held';
    },
    url: upstream.url,
    /** Resolves with the time the `n`-th completion request was closed. */
    closedAt: (n) => new Promise((resolve) => waiting.set(n, resolve)),
    /** Resolves when the `n`-th completion request has arrived. */
    arrived: (n) => new Promise((resolve) => arrivals.set(n, resolve)),
    close: () => upstream.close(),
  };
}

async function oneAbort(bridgeUrl, upstream, n, phase) {
  const agent = new Agent({ connections: 1 });
  const controller = new AbortController();
  const closed = upstream.closedAt(n);
  const arrived = upstream.arrived(n);
  upstream.phase = phase;
  const body = JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  const res = request(`${bridgeUrl}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    dispatcher: agent,
    signal: controller.signal,
  });
  res.catch(() => {});
  if (phase === 'stream') {
    const r = await res;
    let text = '';
    for await (const chunk of r.body) {
      text += chunk.toString();
      if (text.includes('content_block_delta')) break;
    }
  } else {
    await arrived; // prefill: the upstream has the request and sends nothing
  }
  const abortedAt = performance.now();
  controller.abort();
  const closedAt = await closed;
  await agent.destroy().catch(() => {});
  return closedAt - abortedAt;
}

export async function runAbortBench({ trials = 50 } = {}) {
  const upstream = await startStallingUpstream();
  const bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0, pingIntervalMs: 60_000, headersTimeoutMs: 60_000, idleTimeoutMs: 60_000 },
      upstreams: [
        {
          url: upstream.url,
          kind: 'llama.cpp',
          model: 'bench',
          tokenCounting: 'estimate',
          contextSize: 8192,
        },
      ],
    }),
    logger: silentLogger,
  });
  const result = {};
  let n = 0;
  try {
    for (const phase of ['stream', 'prefill']) {
      const samples = [];
      for (let i = 0; i < trials; i++) samples.push(await oneAbort(bridge.url, upstream, n++, phase));
      samples.sort((a, b) => a - b);
      result[phase] = {
        trials,
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        max: samples.at(-1),
      };
    }
  } finally {
    await bridge.close();
    await upstream.close();
  }
  return { targetMs: ABORT_TARGET_MS, ...result };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runAbortBench();
  if (process.send) {
    process.send({ type: 'abort', result });
    process.disconnect();
  } else console.log(JSON.stringify(result, null, 2));
}
