// The local-tokenizer half of bench/counting.mjs (issue 13 item 3): an upstream that cannot count
// (kind `openai`, context 65,536 from the config), so the bridge counts with the local DeepSeek
// tokenizer. Measured in the bridge's own process: its longest event-loop block while it counts,
// and the slowest GET /health answered meanwhile (polled back to back).
import { performance } from 'node:perf_hooks';
import { startFastUpstream } from './fast-upstream.mjs';

const body = (content) =>
  JSON.stringify({ model: 'bench', max_tokens: 1000, stream: true, messages: [{ role: 'user', content }] });

async function post(url, text) {
  const started = performance.now();
  const res = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  const answer = await res.text();
  return { status: res.status, ms: performance.now() - started, answer };
}

/** Polls GET /health back to back until `done` resolves; the slowest answer, ms. */
async function slowestHealth(url, done) {
  let slowest = 0;
  let finished = false;
  done.finally(() => {
    finished = true;
  });
  while (!finished) {
    const t = performance.now();
    await fetch(`${url}/health`).then((r) => r.text());
    slowest = Math.max(slowest, performance.now() - t);
  }
  return slowest;
}

const prose = (chars) => {
  const words = ['the', 'function', 'returns', 'a', 'value', 'when', 'called', 'with', 'input', 'data'];
  let s = '';
  for (let i = 0; s.length < chars; i++) s += `${words[(i * 7) % 10]}${i % 13 === 0 ? '.\n' : ' '}`;
  return s;
};

export async function benchLocal({ startBridgeChild }) {
  // The bench's fake upstream as a plain OpenAI server (it cannot count), one-token answers.
  const upstream = await startFastUpstream({ serverKind: 'openai', model: 'bench', chunks: 1 });
  const bridge = await startBridgeChild({
    server: { host: '127.0.0.1', port: 0 },
    upstreams: [{ url: upstream.url, kind: 'openai', contextSize: 65536 }],
  });
  const results = {};
  try {
    await post(bridge.url, body('warm up the tokenizer')); // loads it (~0.3 s), not measured
    const cases = [
      ['fits: 160 KB of prose (~30K tokens)', prose(160_000)],
      ['too long: 400 KB of CJK (one run, superlinear to encode)', '中'.repeat(400_000)],
      ['too long: 4 MB of one repeated letter', 'a'.repeat(4_000_000)],
      ['too long: 30 MB (refused on its characters)', prose(30_000_000)],
    ];
    for (const [name, content] of cases) {
      const text = body(content);
      const done = bridge.blockDuring(() => post(bridge.url, text));
      const health = await slowestHealth(bridge.url, done);
      const { value, maxBlockMs } = await done;
      results[name] = { status: value.status, ms: value.ms, maxBlockMs, slowestHealthMs: health };
      console.log(
        `  ${name}: HTTP ${value.status} in ${value.ms.toFixed(0)} ms; longest event-loop block ${maxBlockMs.toFixed(1)} ms; slowest /health ${health.toFixed(1)} ms`,
      );
    }
    const big = body(prose(30_000_000));
    const started = performance.now();
    const all = await Promise.all(Array.from({ length: 8 }, () => post(bridge.url, big)));
    const eight = { statuses: all.map((r) => r.status), wallMs: performance.now() - started };
    results['eight 30 MB prompts at once'] = eight;
    console.log(
      `  eight 30 MB prompts at once: HTTP ${[...new Set(eight.statuses)].join(',')} in ${eight.wallMs.toFixed(0)} ms`,
    );
  } finally {
    await bridge.stop();
    await upstream.close();
  }
  return results;
}
