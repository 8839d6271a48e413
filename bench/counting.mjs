#!/usr/bin/env node
// `npm run bench:counting`: what counting a prompt costs the bridge (issue 14 item 8, issue 13 item 3).
//
// 1. session: a Claude Code-sized conversation (src/probe/session-data.ts: ~14K tokens of system
//    prompt and tools, growing by turns) through the built bridge to the REAL llama-server
//    (DSB_LLAMA_SERVER_DIR, default ../shared/llama-server; `-t 1 -c 65536`). Reports the bridge's
//    `x-dsb-overhead-ms` per turn and its p50 over the cached turns (2..N), and the longest
//    event-loop block of the bridge's process meanwhile.
// 2. local: the local DeepSeek tokenizer (an upstream that cannot count): a prompt that fits is
//    counted while /health is polled (the longest event-loop block and the slowest /health), and
//    a 30 MB prompt that cannot fit is refused (time to the 400).
//
// Options: --turns N (default 12)   --skip-session   --skip-local   --json FILE
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const here = import.meta.dirname;
const root = path.resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    turns: { type: 'string', default: '12' },
    'skip-session': { type: 'boolean', default: false },
    'skip-local': { type: 'boolean', default: false },
    json: { type: 'string', default: path.join(here, 'results', 'counting.json') },
  },
});
if (!existsSync(path.join(root, 'dist', 'bridge', 'server.js'))) {
  console.error('bench: dist/ is missing: run `npm run build` first');
  process.exit(2);
}
const { runSession } = await import('../dist/probe/session.js');
const { ProbeHttpClient } = await import('../dist/probe/http.js');
const { SseParser } = await import('../dist/probe/sse.js');
const { percentile } = await import('../dist/probe/metrics.js');

const results = {};

/** Starts the bridge in its own process (bench/counting-child.mjs) with this config. */
export async function startBridgeChild(config) {
  const child = fork(path.join(here, 'counting-child.mjs'), {
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const next = (type) =>
    new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (msg?.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(msg);
      };
      const onExit = (code) => reject(new Error(`bridge child exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { url } = await next('ready');
  return {
    url,
    /** The bridge's longest event-loop block while `fn` runs (ms), from a 1 ms-resolution histogram. */
    async blockDuring(fn) {
      child.send({ type: 'loop-reset' });
      const value = await fn();
      const reply = next('loop');
      child.send({ type: 'loop' });
      const { maxMs, p99Ms } = await reply;
      return { value, maxBlockMs: maxMs, p99BlockMs: p99Ms };
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await exited;
    },
  };
}

/** A session driver over the probe's own HTTP client: one streamed POST /v1/messages per turn. */
function driverFor(url, client) {
  return {
    model: 'deepseek-v4-flash',
    maxTokens: 64,
    async messages(body) {
      const ex = { headers: {}, events: [], times: [], text: '', startMs: performance.now(), endMs: 0 };
      const res = await client.open(`${url}/v1/messages?beta=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(body),
      });
      ex.status = res.status;
      ex.headers = res.headers;
      if (res.status !== 200) ex.text = await res.text();
      else {
        const parser = new SseParser();
        for await (const chunk of res.chunks()) {
          for (const e of parser.push(chunk)) {
            ex.events.push(e);
            ex.times.push(performance.now());
          }
        }
      }
      ex.endMs = performance.now();
      return ex;
    },
  };
}

async function startLlama(port) {
  const dir = path.resolve(
    process.env.DSB_LLAMA_SERVER_DIR ?? path.join(root, '..', 'shared', 'llama-server'),
  );
  if (!existsSync(path.join(dir, 'start.sh'))) return undefined;
  const child = spawn(path.join(dir, 'start.sh'), [String(port), '-t', '1', '-c', '65536'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const pid = Number(out.trim().split('\n').pop());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function benchSession() {
  const port = await freePort();
  const pid = await startLlama(port);
  if (!pid) {
    console.log('session: skipped (no llama-server: set DSB_LLAMA_SERVER_DIR)');
    return;
  }
  const bridge = await startBridgeChild({
    server: { host: '127.0.0.1', port: 0 },
    upstreams: [{ url: `http://127.0.0.1:${port}`, model: 'tiny' }],
  });
  const client = new ProbeHttpClient(600_000);
  try {
    const { value: outcome, maxBlockMs } = await bridge.blockDuring(() =>
      runSession(driverFor(bridge.url, client), Number(args.turns)),
    );
    const cached = outcome.turns.slice(1).filter((t) => t.httpStatus === 200);
    const overheads = cached.map((t) => t.overheadMs).filter((v) => v !== undefined);
    results.session = {
      turns: outcome.turns,
      cachedTurnOverheadMs: {
        p50: percentile(overheads, 50),
        p90: percentile(overheads, 90),
        max: Math.max(...overheads),
      },
      firstTurnOverheadMs: outcome.turns[0]?.overheadMs,
      maxEventLoopBlockMs: maxBlockMs,
      problems: outcome.problems,
    };
    console.log('session (real llama-server -t 1 -c 65536):');
    for (const t of outcome.turns) {
      console.log(
        `  turn ${String(t.turn).padStart(2)}  prompt ${t.promptTokens ?? '?'}  cached ${t.cachedTokens ?? '?'}  ` +
          `TTFT ${t.ttftMs?.toFixed(0) ?? '-'} ms  overhead ${t.overheadMs?.toFixed(2) ?? '-'} ms (${t.countMethod ?? '?'})`,
      );
    }
    const o = results.session.cachedTurnOverheadMs;
    console.log(
      `  cached turns: x-dsb-overhead-ms p50 ${o.p50?.toFixed(2)} p90 ${o.p90?.toFixed(2)} max ${o.max.toFixed(2)}; ` +
        `longest event-loop block ${maxBlockMs.toFixed(1)} ms`,
    );
    if (outcome.problems.length) console.log(`  problems: ${outcome.problems.join('; ')}`);
  } finally {
    await client.close();
    await bridge.stop();
    process.kill(pid);
  }
}

await import('./counting-local.mjs').then(async (local) => {
  if (!args['skip-session']) await benchSession();
  if (!args['skip-local']) console.log('local tokenizer (upstream kind openai, context 65536):');
  if (!args['skip-local']) results.local = await local.benchLocal({ startBridgeChild });
});

mkdirSync(path.dirname(args.json), { recursive: true });
writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${path.relative(process.cwd(), args.json)}`);
