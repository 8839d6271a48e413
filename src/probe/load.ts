// The load scenario (--load N/C): N streamed requests, C at a time, through the bridge; with
// --compare-direct the same load straight to the upstream, and what the bridge adds at each
// percentile.
import type { BridgeClient } from './bridge-client.js';
import { formatViolation } from './invariants.js';
import { evaluateExchange, scenarioResult } from './judge.js';
import { loadDirect } from './load-direct.js';
import { countErrors, LOAD_PROMPT, runPool } from './load-pool.js';
import { latencyStats, type RequestSample } from './metrics.js';
import type { LoadResult, LoadTargetResult } from './types.js';

async function loadBridge(client: BridgeClient, n: number, c: number): Promise<LoadTargetResult> {
  const body = client.messagesBody({}, [{ role: 'user', content: LOAD_PROMPT }], true);
  const samples: RequestSample[] = [];
  const errors: string[] = [];
  const start = client.now();
  await runPool(n, c, async () => {
    const ex = await client.messages(body);
    const outcome = evaluateExchange('load', ex, true, undefined);
    const failure =
      outcome.problems[0] ??
      (outcome.step.violations[0] ? formatViolation(outcome.step.violations[0]) : undefined);
    if (failure) errors.push(failure);
    samples.push({ ok: !failure, totalMs: ex.endMs - ex.startMs, ttftMs: outcome.step.metrics?.ttftMs });
    client.options.onLoadProgress?.(samples.length, n, 'bridge');
  });
  const wall = client.now() - start;
  return {
    target: 'bridge',
    url: client.options.url,
    stats: latencyStats(samples, wall),
    errors: countErrors(errors),
  };
}

const diff = (a?: number, b?: number) =>
  a !== undefined && b !== undefined ? Math.round((a - b) * 100) / 100 : undefined;

/** What the bridge adds to the upstream's own latency, in ms, at p50/p90/p99 and for TTFT at p50. */
export function addedLatency(
  bridge: LoadTargetResult,
  direct: LoadTargetResult,
): LoadResult['addedLatencyMs'] {
  const s = bridge.stats;
  const d = direct.stats;
  return {
    p50: diff(s.latencyMs.p50, d.latencyMs.p50),
    p90: diff(s.latencyMs.p90, d.latencyMs.p90),
    p99: diff(s.latencyMs.p99, d.latencyMs.p99),
    ttftP50: diff(s.ttftMs.p50, d.ttftMs.p50),
  };
}

export async function runLoad(client: BridgeClient, n: number, c: number): Promise<LoadResult> {
  const bridge = await loadBridge(client, n, c);
  const problems: string[] = [];
  const warnings: string[] = [];
  const s = bridge.stats;
  if (s.failures > 0) {
    problems.push(
      `${s.failures} of ${s.requests} requests failed (${(s.failureRate * 100).toFixed(1)}%): ${bridge.errors[0]?.message ?? ''}`,
    );
  }
  let direct: LoadTargetResult | undefined;
  let added: LoadResult['addedLatencyMs'];
  if (client.options.compareDirect) {
    const d = await loadDirect(client, n, c);
    if (typeof d === 'string') problems.push(`--compare-direct: ${d}`);
    else {
      direct = d;
      if (d.stats.failures > 0) {
        warnings.push(
          `${d.stats.failures} of ${d.stats.requests} direct upstream requests failed: ${d.errors[0]?.message ?? ''}`,
        );
      }
      added = addedLatency(bridge, d);
    }
  }
  const fmt = (v?: number) => (v === undefined ? '?' : `${v.toFixed(1)} ms`);
  const okSummary = `p50 ${fmt(s.latencyMs.p50)}, p99 ${fmt(s.latencyMs.p99)}, ${s.requestsPerSec.toFixed(1)} req/s${added ? `, bridge adds ${fmt(added.p50)} at p50` : ''}`;
  const result = scenarioResult(
    { id: 'load', title: `Load: ${n} requests, ${c} at a time` },
    { problems, warnings, steps: [], okSummary },
  );
  return {
    ...result,
    id: 'load',
    requests: n,
    concurrency: c,
    bridge,
    ...(direct ? { direct } : {}),
    ...(added ? { addedLatencyMs: added } : {}),
  };
}
