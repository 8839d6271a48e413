// Closed-loop load generator: `concurrency` workers, each sending the next streaming request as soon
// as its previous answer ended, over an undici Pool with one keep-alive connection per worker. It
// records, per request, the time to first token (the first chunk that carries content: the first
// `content_block_delta` from the bridge, the first `delta.content` from the upstream) and whether
// the stream ended properly (`message_stop` / `[DONE]`).
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/** What marks the first token and a proper end, per protocol. */
export const PROTOCOLS = {
  anthropic: { path: '/v1/messages', first: 'event: content_block_delta', end: 'event: message_stop' },
  openai: { path: '/v1/chat/completions', first: '"delta":{"content":"', end: 'data: [DONE]' },
};

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Reads one streamed answer; resolves with its TTFT (ms from `t0`) and whether it ended properly. */
function readStream(body, protocol, t0) {
  return new Promise((resolve, reject) => {
    let ttft;
    // Markers may straddle two network chunks: keep the tail of the previous one.
    let tail = '';
    body.on('data', (chunk) => {
      const text = tail + chunk.toString('latin1');
      if (ttft === undefined && text.includes(protocol.first)) ttft = performance.now() - t0;
      tail = text.length > 64 ? text.slice(-64) : text;
    });
    body.on('end', () => resolve({ ttft, ok: ttft !== undefined && tail.includes(protocol.end) }));
    body.on('error', reject);
  });
}

/**
 * @param {object} o
 * @param {string} o.origin            e.g. http://127.0.0.1:3000
 * @param {'anthropic'|'openai'} o.protocol
 * @param {string} o.body              the request body (JSON text)
 * @param {number} o.concurrency
 * @param {number} [o.durationMs]      measure for this long (after the warm-up) …
 * @param {number} [o.requests]        … or until this many requests completed (after the warm-up)
 * @param {number} [o.warmupMs]
 * @param {number} [o.rampUpMs]        start the workers evenly over this time, not all at once
 * @param {() => void} [o.onMeasure]   called when the measured window begins
 */
export async function runLoad(o) {
  const protocol = PROTOCOLS[o.protocol];
  const pool = new Pool(o.origin, { connections: o.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (o.protocol === 'anthropic') headers['anthropic-version'] = '2023-06-01';
  const ttfts = [];
  /** How the bridge counted prompt tokens (its x-dsb-token-count header), per method. */
  const countMethods = {};
  let completed = 0;
  let failed = 0;
  let measuring = false;
  let stop = false;
  let measuredStart = 0;
  let measuredEnd = 0;
  const halt = () => {
    if (stop) return;
    stop = true;
    measuredEnd = performance.now();
  };

  // A request counts when it ends inside the measured window (however long it took).
  const one = async () => {
    const t0 = performance.now();
    try {
      const res = await pool.request({ path: protocol.path, method: 'POST', headers, body: o.body });
      const { ttft, ok } = await readStream(res.body, protocol, t0);
      if (!measuring || stop) return;
      const method = res.headers['x-dsb-token-count'];
      if (typeof method === 'string') countMethods[method] = (countMethods[method] ?? 0) + 1;
      if (res.statusCode !== 200 || !ok) failed++;
      else {
        completed++;
        ttfts.push(ttft);
      }
    } catch {
      if (measuring && !stop) failed++;
    }
    if (o.requests !== undefined && measuring && completed + failed >= o.requests) halt();
  };

  const worker = async (_, i) => {
    // Spread the first requests over the ramp-up so they do not all arrive at once.
    if (o.rampUpMs) await new Promise((r) => setTimeout(r, (o.rampUpMs * i) / o.concurrency));
    while (!stop) await one();
  };

  const begin = () => {
    measuring = true;
    measuredStart = performance.now();
    o.onMeasure?.();
  };
  if (!o.warmupMs) begin();
  const workers = Array.from({ length: o.concurrency }, worker);
  if (o.warmupMs) {
    await new Promise((r) => setTimeout(r, o.warmupMs));
    begin();
  }
  if (o.durationMs !== undefined) {
    await new Promise((r) => setTimeout(r, o.durationMs));
    halt();
  }
  await Promise.all(workers);
  await pool.close();
  ttfts.sort((a, b) => a - b);
  const seconds = (measuredEnd - measuredStart) / 1000;
  return {
    concurrency: o.concurrency,
    completed,
    failed,
    seconds,
    requestsPerSecond: completed / seconds,
    ttftP50: percentile(ttfts, 50),
    ttftP99: percentile(ttfts, 99),
    ttftMean: ttfts.reduce((a, b) => a + b, 0) / (ttfts.length || 1),
    countMethods,
  };
}
