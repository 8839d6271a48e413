#!/usr/bin/env node
// `npm run bench:attack`: the attacks of issue 13, each against a real `dsb serve` (the built CLI,
// a child process) in front of the bench's fake upstream (bench/fast-upstream.mjs, its answer set
// per attack), while a poller asks GET /health every 25 ms. Per attack it prints what the bridge
// answered, the slowest concurrent /health answer (asked from a separate process,
// bench/health-poller.mjs) (target < 250 ms: the bridge stays responsive) and whether the upstream
// key (or its base64) leaked into any answer or the bridge's log. Loopback only; everything it
// starts, it stops.
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startFastUpstream } from './fast-upstream.mjs';

const root = path.resolve(import.meta.dirname, '..');
if (!existsSync(path.join(root, 'dist', 'commands', 'serve.js'))) {
  console.error('bench:attack: dist/ is missing: run `npm run build` first (npm run bench:attack does)');
  process.exit(2);
}
const KEY = 'sk-attackbench-0123456789abcdef';
const TARGET_MS = 250;

// ---- the scripted upstream ------------------------------------------------------------------
// The bench's fake upstream as a plain OpenAI server (no /props, no token counting: the bridge
// counts locally), answering the model "f"; each attack sets its answer (`upstream.answer`).
const upstream = await startFastUpstream({ serverKind: 'openai', model: 'f', chunks: 1 });
const upstreamUrl = upstream.url;

// ---- the bridge -------------------------------------------------------------------------------
const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
// Slow uploads are cut after 10 s here (default 120 s), so the bench does not wait two minutes.
const configDir = mkdtempSync(path.join(os.tmpdir(), 'dsb-attack-'));
const configFile = path.join(configDir, 'dsb.config.json');
writeFileSync(
  configFile,
  JSON.stringify({ server: { requestTimeoutMs: 10_000, requestHeadersTimeoutMs: 10_000 } }),
);
let log = '';
const serveArgs = ['serve', '--port', String(port), '--config', configFile];
const bridge = spawn(process.execPath, [path.join(root, 'bin', 'run.js'), ...serveArgs], {
  env: {
    ...process.env,
    DSB_UPSTREAM: upstreamUrl,
    DSB_UPSTREAM_API_KEY: KEY,
    DSB_UPSTREAM_MODEL: 'f',
    DSB_BODY_LIMIT_BYTES: String(32 * 1024 * 1024),
    DSB_CONFIG_DIR: configDir,
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
bridge.stdout.on('data', (d) => (log += d));
bridge.stderr.on('data', (d) => (log += d));
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 200; i++) {
  if (
    await fetch(`${base}/`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  await new Promise((r) => setTimeout(r, 100));
}

// Polls /health from its own process (see health-poller.mjs).
const poller = fork(path.join(import.meta.dirname, 'health-poller.mjs'));

// ---- helpers ----------------------------------------------------------------------------------
function raw(options, body) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', (e) => resolve({ status: 0, text: String(e) }));
    });
    req.on('error', (e) => resolve({ status: 0, text: e.code ?? String(e) }));
    req.end(body);
  });
}
const messages = (extra = {}, headers = {}) =>
  raw(
    { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json', ...headers } },
    JSON.stringify({ model: 'm', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  );
const leaked = (text) =>
  text.includes(KEY) || text.includes(Buffer.from(KEY).toString('base64').slice(0, 24));

/** Runs `attack` while polling /health; returns its summary, the slowest /health and the leak check. */
async function measure(name, upstreamAnswer, attack) {
  upstream.answer = upstreamAnswer;
  const logStart = log.length;
  poller.send({ url: `${base}/health` });
  const t = performance.now();
  let outcome;
  try {
    outcome = await attack();
  } catch (err) {
    outcome = { summary: `attack failed: ${err.message}`, text: '' };
  }
  const ms = performance.now() - t;
  const stopped = new Promise((r) => poller.once('message', r));
  poller.send('stop');
  const { slowest } = await stopped;
  const keyLeaked = leaked(outcome.text ?? '') || leaked(log.slice(logStart));
  rows.push({ name, summary: outcome.summary, ms, slowest, keyLeaked });
  upstream.answer = 'stream';
}
const rows = [];

// ---- the attacks --------------------------------------------------------------------------------
// Warm-up: the first request loads the local tokenizer (a one-time cost, not an attack's).
await messages();
const fiftyMegabytes = new Uint8Array(50 * 1024 * 1024).fill(0x20);

await measure('DNS rebinding (Host: attacker.example)', 'stream', async () => {
  const r = await messages({}, { host: 'attacker.example' });
  return { summary: `HTTP ${r.status}`, text: r.text };
});
await measure('cross-origin text/plain POST', 'stream', async () => {
  const r = await raw(
    {
      method: 'POST',
      path: '/v1/messages',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
    },
    '{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"}]}',
  );
  return { summary: `HTTP ${r.status}`, text: r.text };
});
await measure('model of 320,000 spaces', 'stream', async () => {
  const r = await messages({ model: ' '.repeat(320_000) });
  return { summary: `HTTP ${r.status}`, text: r.text };
});
await measure('model with a newline (log forging)', 'stream', async () => {
  const before = log.split('\n').length;
  const r = await messages({ model: 'x\n2026-01-01T00:00:00Z POST /v1/messages 200 forged' });
  await new Promise((res) => setTimeout(res, 50));
  const forged = log
    .split('\n')
    .slice(before - 1)
    .some((l) => l.startsWith('2026-01-01T00:00:00Z'));
  return { summary: `HTTP ${r.status}, forged line: ${forged ? 'YES' : 'no'}`, text: r.text };
});
await measure('upstream 401 echoing the key', 'echo-401', async () => {
  const r = await messages();
  return { summary: `HTTP ${r.status}`, text: r.text };
});
await measure('/health flood (200 at once)', 'stream', async () => {
  const before = upstream.stats.modelsRequests;
  const all = await Promise.all(Array.from({ length: 200 }, () => raw({ path: '/health' })));
  return {
    summary: `${all.filter((r) => r.status === 200).length}×200, ${upstream.stats.modelsRequests - before} upstream calls`,
    text: all.map((r) => r.text).join(''),
  };
});
for (const m of ['endless-reasoning', 'endless-tool-args', 'endless-data-lines']) {
  await measure(m.replace('-', ' '), m, async () => {
    const r = await messages({ stream: true });
    const error = /"type":"error".*?"message":"([^"]{0,60})/.exec(r.text)?.[1];
    return {
      summary: `HTTP ${r.status}, ${error ? `error event: ${error}…` : 'no error event'}`,
      text: r.text,
    };
  });
}
await measure('endless non-streaming body', 'endless-json', async () => {
  const r = await messages();
  return { summary: `HTTP ${r.status}`, text: r.text };
});
await measure('50 MB upload with Content-Length', 'stream', async () => {
  const r = await fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: fiftyMegabytes,
  })
    .then(async (res) => ({ status: res.status, text: await res.text() }))
    .catch((e) => ({ status: 0, text: e.cause?.code ?? e.message }));
  return { summary: r.status ? `HTTP ${r.status}` : `client error ${r.text}`, text: r.text };
});
await measure('20 slow uploads (headers, part of a body)', 'stream', async () => {
  const closed = await Promise.all(
    Array.from(
      { length: 20 },
      () =>
        new Promise((resolve) => {
          const s = net.connect(port, '127.0.0.1');
          let got = '';
          s.on('data', (d) => (got += d));
          s.on('error', () => {});
          // Stops waiting after 60 s (the bench's request timeout is 10 s).
          const give = setTimeout(() => s.destroy(), 60_000);
          s.on('close', () => {
            clearTimeout(give);
            resolve(got.slice(0, 12));
          });
          s.write(
            `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"mo`,
          );
        }),
    ),
  );
  return { summary: `cut: ${closed.filter((g) => g.includes('408')).length}/20 with 408`, text: '' };
});
await measure('CR-only SSE from the upstream', 'cr-only', async () => {
  const r = await messages();
  return { summary: `HTTP ${r.status}${r.text.includes('"ok"') ? ', text ok' : ''}`, text: r.text };
});
await measure('unclosed tool call + leaked tokens', 'leaked-tool-tokens', async () => {
  const r = await messages({ tools: [{ name: 'Write', input_schema: { type: 'object' } }] });
  return { summary: `HTTP ${r.status}, stop_reason ${JSON.parse(r.text).stop_reason}`, text: r.text };
});
await measure('100,000-deep JSON in tool_use.input', 'stream', async () => {
  const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
  const r = await raw(
    { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' } },
    `{"model":"m","max_tokens":8,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"W","input":${deep}}]}]}`,
  );
  return { summary: `HTTP ${r.status}`, text: r.text };
});

// ---- report -------------------------------------------------------------------------------------
poller.send('exit');
bridge.kill('SIGTERM');
await new Promise((r) => bridge.once('exit', r));
await upstream.close();
rmSync(configDir, { recursive: true, force: true });
const pad = (s, n) => String(s).padEnd(n);
console.log(
  `\nAttack bench: dsb serve on ${base}, upstream ${upstreamUrl} (target: /health < ${TARGET_MS} ms)\n`,
);
console.log(`${pad('attack', 44)}${pad('result', 58)}${pad('took', 9)}${pad('/health max', 13)}key leaked`);
let failed = false;
for (const r of rows) {
  const slow = r.slowest >= TARGET_MS;
  failed ||= slow || r.keyLeaked;
  console.log(
    `${pad(r.name, 44)}${pad(r.summary.slice(0, 56), 58)}${pad(`${Math.round(r.ms)} ms`, 9)}${pad(`${Math.round(r.slowest)} ms${slow ? ' !' : ''}`, 13)}${r.keyLeaked ? 'YES' : 'no'}`,
  );
}
console.log(
  failed
    ? '\nSome attack slowed /health past the target or leaked the key.'
    : '\nEvery attack: /health stayed under the target, no key leaked.',
);
process.exitCode = failed ? 1 : 0;
