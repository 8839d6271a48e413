// What a user feels, computed from timestamped events: time to first token, the gaps between tokens,
// output and prompt throughput, total time; and the latency distribution of a load run. Pure: the
// runner stamps each event with the injected clock (ProbeOptions.now) and hands the numbers here.
import { isRecord } from '../util/is-record.js';
import type { SseEvent } from './invariants.js';

export interface StreamMetrics {
  /** Request sent → first text, thinking or tool-input delta, ms (undefined: no content arrived). */
  ttftMs?: number;
  /** Median and 99th percentile of the gaps between consecutive content deltas, ms. */
  itlP50Ms?: number;
  itlP99Ms?: number;
  /** usage.output_tokens / (last delta − first delta). */
  outputTokensPerSec?: number;
  /** usage.input_tokens / TTFT: the prefill rate as the user feels it (includes network and bridge). */
  promptTokensPerSec?: number;
  inputTokens?: number;
  /** Prompt tokens the server took from its prompt cache (`cache_read_input_tokens`), when it says. */
  cacheReadTokens?: number;
  outputTokens?: number;
  totalMs: number;
}

const CONTENT_DELTAS = new Set(['text_delta', 'thinking_delta', 'input_json_delta']);

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Percentile by linear interpolation between closest ranks; undefined for no samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 1) return sorted[0];
  const rank = (Math.min(Math.max(p, 0), 100) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

/** Final usage: message_delta's usage wins over message_start's (the API puts final counts there). */
export function usageOf(events: readonly SseEvent[]): {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
} {
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  let cacheReadTokens: number | undefined;
  for (const e of events) {
    if (!isRecord(e.data)) continue;
    if (e.data.type === 'message_start' && isRecord(e.data.message) && isRecord(e.data.message.usage)) {
      inputTokens = num(e.data.message.usage.input_tokens) ?? inputTokens;
      outputTokens = num(e.data.message.usage.output_tokens) ?? outputTokens;
      cacheReadTokens = num(e.data.message.usage.cache_read_input_tokens) ?? cacheReadTokens;
    } else if (e.data.type === 'message_delta' && isRecord(e.data.usage)) {
      const finalInput = num(e.data.usage.input_tokens);
      if (finalInput !== undefined && finalInput > 0) inputTokens = finalInput;
      outputTokens = num(e.data.usage.output_tokens) ?? outputTokens;
      cacheReadTokens = num(e.data.usage.cache_read_input_tokens) ?? cacheReadTokens;
    }
  }
  return { inputTokens, outputTokens, ...(cacheReadTokens !== undefined ? { cacheReadTokens } : {}) };
}

/** Two decimals are plenty for milliseconds and rates; keeps --json readable. */
function rounded<T extends object>(m: T): T {
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number') (m as Record<string, unknown>)[k] = Math.round(v * 100) / 100;
    else if (v === undefined) delete (m as Record<string, unknown>)[k];
  }
  return m;
}

/**
 * @param events the frames, in order
 * @param times  arrival time of each frame, ms, on the same clock as `startMs` and `endMs`
 */
export function streamMetrics(
  events: readonly SseEvent[],
  times: readonly number[],
  startMs: number,
  endMs: number,
): StreamMetrics {
  const deltaTimes: number[] = [];
  events.forEach((e, i) => {
    if (!isRecord(e.data) || e.data.type !== 'content_block_delta' || !isRecord(e.data.delta)) return;
    if (CONTENT_DELTAS.has(String(e.data.delta.type)) && times[i] !== undefined) deltaTimes.push(times[i]);
  });
  const { inputTokens, outputTokens, cacheReadTokens } = usageOf(events);
  const out: StreamMetrics = { totalMs: endMs - startMs, inputTokens, cacheReadTokens, outputTokens };
  const first = deltaTimes[0];
  const lastDelta = deltaTimes[deltaTimes.length - 1];
  if (first === undefined || lastDelta === undefined) return rounded(out);
  out.ttftMs = first - startMs;
  const gaps: number[] = [];
  for (let i = 1; i < deltaTimes.length; i++)
    gaps.push((deltaTimes[i] as number) - (deltaTimes[i - 1] as number));
  out.itlP50Ms = percentile(gaps, 50);
  out.itlP99Ms = percentile(gaps, 99);
  const genMs = lastDelta - first;
  // One delta, or all deltas in one network read: no measurable generation span.
  if (outputTokens !== undefined && outputTokens > 0 && genMs > 0) {
    out.outputTokensPerSec = outputTokens / (genMs / 1000);
  }
  if (inputTokens !== undefined && inputTokens > 0 && out.ttftMs > 0) {
    out.promptTokensPerSec = inputTokens / (out.ttftMs / 1000);
  }
  return rounded(out);
}

/** A non-streaming answer: only total time and throughput over it. */
export function wholeResponseMetrics(
  usage: { inputTokens?: number; outputTokens?: number },
  startMs: number,
  endMs: number,
): StreamMetrics {
  const totalMs = endMs - startMs;
  const out: StreamMetrics = { totalMs, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens };
  if (usage.outputTokens && totalMs > 0) out.outputTokensPerSec = usage.outputTokens / (totalMs / 1000);
  return rounded(out);
}

export interface LatencyStats {
  requests: number;
  failures: number;
  /** failures / requests, 0..1 */
  failureRate: number;
  requestsPerSec: number;
  wallMs: number;
  latencyMs: { mean?: number; p50?: number; p90?: number; p99?: number; max?: number };
  ttftMs: { p50?: number; p90?: number; p99?: number };
}

export interface RequestSample {
  ok: boolean;
  totalMs: number;
  ttftMs?: number;
}

/** The guide's `hey` table: latency percentiles over successful requests, failure rate, requests/s. */
export function latencyStats(samples: readonly RequestSample[], wallMs: number): LatencyStats {
  const ok = samples.filter((s) => s.ok);
  const lat = ok.map((s) => s.totalMs);
  const ttft = ok.map((s) => s.ttftMs).filter((v): v is number => v !== undefined);
  const failures = samples.length - ok.length;
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    requests: samples.length,
    failures,
    failureRate: samples.length ? failures / samples.length : 0,
    requestsPerSec: r(wallMs > 0 ? samples.length / (wallMs / 1000) : 0),
    wallMs: r(wallMs),
    latencyMs: rounded({
      mean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : undefined,
      p50: percentile(lat, 50),
      p90: percentile(lat, 90),
      p99: percentile(lat, 99),
      max: lat.length ? Math.max(...lat) : undefined,
    }),
    ttftMs: rounded({ p50: percentile(ttft, 50), p90: percentile(ttft, 90), p99: percentile(ttft, 99) }),
  };
}
