// Load generator, over an undici Pool with one keep-alive connection per stream:
// - closed loop (default): `concurrency` workers, each sending the next streaming request as soon as
//   its previous answer ended. It finds the most a path can carry, and there every request mostly
//   waits its turn: a slower path shows a longer TTFT by Little's law, whatever it adds itself;
// - fixed rate (`rate`): requests are due at a steady rate, at most `concurrency` in flight, the
//   same schedule for every path, so a difference in TTFT is time the path added. A request that
//   could not start when due (every stream busy) counts its TTFT from when it was due: a path that
//   falls behind is not excused by its own slowness (no coordinated omission).
// It records, per request, the time to first token (the first chunk that carries content: the first
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
 * @param {number} [o.rate]            requests per second: a fixed-rate run (with durationMs), see above
 */
export async function runLoad(o) {
  if (o.rate !== undefined) return runFixedRate(o);
  const client = openClient(o);
  const tally = newTally();
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
    await sendOne(client, o.body, performance.now(), () => measuring && !stop, tally);
    if (o.requests !== undefined && measuring && tally.completed + tally.failed >= o.requests) halt();
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
  await client.pool.close();
  return summarize(o, tally, (measuredEnd - measuredStart) / 1000);
}

/** The pool, headers and protocol markers every request of one run uses. */
function openClient(o) {
  const protocol = PROTOCOLS[o.protocol];
  const pool = new Pool(o.origin, { connections: o.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (o.protocol === 'anthropic') headers['anthropic-version'] = '2023-06-01';
  return { protocol, pool, headers };
}

function newTally() {
  /** countMethods: how the bridge counted prompt tokens (its x-dsb-token-count header), per method. */
  return { ttfts: [], completed: 0, failed: 0, countMethods: {} };
}

/**
 * Sends one streaming request, reads its answer, and adds it to `tally` when `counts()` (asked once
 * the answer is in) says it belongs to the measured window. TTFT runs from `t0`.
 */
async function sendOne(client, body, t0, counts, tally) {
  try {
    const res = await client.pool.request({
      path: client.protocol.path,
      method: 'POST',
      headers: client.headers,
      body,
    });
    const { ttft, ok } = await readStream(res.body, client.protocol, t0);
    if (!counts()) return;
    const method = res.headers['x-dsb-token-count'];
    if (typeof method === 'string') tally.countMethods[method] = (tally.countMethods[method] ?? 0) + 1;
    if (res.statusCode !== 200 || !ok) tally.failed++;
    else {
      tally.completed++;
      tally.ttfts.push(ttft);
    }
  } catch {
    if (counts()) tally.failed++;
  }
}

function summarize(o, tally, seconds, extra = {}) {
  const ttfts = tally.ttfts.sort((a, b) => a - b);
  return {
    concurrency: o.concurrency,
    ...extra,
    completed: tally.completed,
    failed: tally.failed,
    seconds,
    requestsPerSecond: tally.completed / seconds,
    ttftP50: percentile(ttfts, 50),
    ttftP99: percentile(ttfts, 99),
    ttftMean: ttfts.reduce((a, b) => a + b, 0) / (ttfts.length || 1),
    countMethods: tally.countMethods,
  };
}

/**
 * A fixed-rate run: request k is due at start + k / rate. At most `concurrency` are in flight; the
 * rest wait in order. Requests due in the measured window count; TTFT runs from when a request was
 * due (or from when it went out, if the timer woke a little early). Requests still waiting when the
 * window closes are not sent: `notStarted` says the path could not keep up.
 * @param {{ origin: string, protocol: 'anthropic'|'openai', body: string, concurrency: number, rate: number, durationMs: number, warmupMs?: number, onMeasure?: () => void }} o
 */
async function runFixedRate(o) {
  const client = openClient(o);
  const tally = newTally();
  const interval = 1000 / o.rate;
  const start = performance.now();
  const measureFrom = start + (o.warmupMs ?? 0);
  const measureTo = measureFrom + o.durationMs;
  if (o.warmupMs) setTimeout(() => o.onMeasure?.(), o.warmupMs);
  else o.onMeasure?.();
  let late = 0;
  let notStarted = 0;
  /** Requests due but waiting for a free stream, oldest first. */
  const queue = [];
  const running = new Set();
  const counts = (due) => due >= measureFrom && due < measureTo;

  const send = (due) => {
    const done = sendOne(client, o.body, Math.min(due, performance.now()), () => counts(due), tally).finally(
      () => {
        running.delete(done);
        const next = queue.shift();
        if (next !== undefined) {
          if (counts(next)) late++;
          send(next);
        }
      },
    );
    running.add(done);
  };

  for (let k = 0; ; k++) {
    const due = start + k * interval;
    if (due >= measureTo) break;
    const wait = due - performance.now();
    // Timers have millisecond granularity: wake at most a millisecond early (see TTFT above).
    if (wait >= 1) await new Promise((r) => setTimeout(r, Math.floor(wait)));
    if (running.size < o.concurrency) send(due);
    else queue.push(due);
  }
  for (const due of queue.splice(0)) if (counts(due)) notStarted++;
  while (running.size > 0) await Promise.all([...running]);
  await client.pool.close();
  return summarize(o, tally, o.durationMs / 1000, { rate: o.rate, late, notStarted });
}
