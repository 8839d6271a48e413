import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runLoad } from './load.mjs';
import { loadRequest } from './requests.mjs';
const here = import.meta.dirname;
const script = process.env.CHILD ?? 'bridge-child.mjs';
const flags = (process.env.FLAGS ?? '').split(' ').filter(Boolean);
function start(s, env, execArgv = []) {
  const c = fork(path.join(here, s), [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'ignore', 'ipc'] });
  return new Promise((r) => c.on('message', (m) => m.type === 'ready' && r({ c, url: m.url })));
}
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const anthropic = loadRequest('claude-code');
const body = JSON.stringify(anthropic);
const up = await start('fast-upstream.mjs', { BENCH_CHUNKS: '50', BENCH_TOKEN_INTERVAL_MS: process.env.INTERVAL ?? '50' });
const br = await start(script, { BENCH_UPSTREAM: up.url }, ['--expose-gc', ...flags]);
await new Promise((r) => setTimeout(r, 500));
console.log('idle', rss(br.c.pid).toFixed(1));
for (const concurrency of (process.env.LEVELS ?? '50,200').split(',').map(Number)) {
  let peak = 0; let on = false;
  const iv = setInterval(() => { if (on) peak = Math.max(peak, rss(br.c.pid)); }, 50);
  const res = await runLoad({ origin: br.url, protocol: script.includes('pass') ? 'openai' : 'anthropic', body: script.includes('pass') ? JSON.stringify((await import('../dist/bridge/translate/request.js')).convertMessagesRequest(anthropic, { model: 'm', thinkingStyle: 'chat-template' }).request) : body, concurrency, warmupMs: Number(process.env.WARM ?? 5000), durationMs: Number(process.env.DUR ?? 7500), rampUpMs: Number(process.env.RAMP ?? 2500), onMeasure: () => { on = true; } });
  clearInterval(iv);
  console.log(`c${concurrency} peak ${peak.toFixed(1)} MB, ${res.requestsPerSecond.toFixed(1)} rps, ttft p50 ${res.ttftP50.toFixed(2)} p99 ${res.ttftP99.toFixed(2)} failed ${res.failed}`);
}
br.c.kill(); up.c.kill();
