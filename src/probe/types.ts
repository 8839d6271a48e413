// The typed report `dsb probe` returns (`--json` prints it as is).
import type { InvariantViolation } from './invariants.js';
import type { LatencyStats, StreamMetrics } from './metrics.js';

export type ProbeStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One HTTP request of a scenario. */
export interface StepResult {
  title: string;
  stream: boolean;
  httpStatus?: number;
  stopReason?: string;
  /** Number of SSE events received (streams only). */
  events?: number;
  violations: InvariantViolation[];
  metrics?: StreamMetrics;
}

export interface ScenarioResult {
  id: string;
  title: string;
  status: ProbeStatus;
  /** One line for the table. */
  summary: string;
  /** Why it failed (status fail). */
  problems: string[];
  /** What is worth knowing without failing (status warn). */
  warnings: string[];
  /** Invariant violations of every step, in order. */
  violations: InvariantViolation[];
  steps: StepResult[];
  /** Metrics of the scenario's first request. */
  metrics?: StreamMetrics;
  durationMs: number;
  /** Scenario-specific facts (health: upstreams; count-tokens: the count; overflow: prompt size). */
  data?: Record<string, unknown>;
}

export type LongContextOutcome = 'fit' | 'clamped' | 'refused' | 'error';

export interface LongContextResult extends ScenarioResult {
  id: 'long-context';
  file: string;
  lines: number;
  bytes: number;
  /** From the bridge's POST /v1/messages/count_tokens; undefined when it could not count. */
  promptTokens?: number;
  /** The bridge's `x-dsb-token-count` header: how it counted (`exact`, `estimate`), when it says. */
  promptTokensKind?: string;
  /** GET /health `upstreams[0].contextSize`, else asked of the upstream; undefined when unknown. */
  contextSize?: number;
  /** Where the context size came from: `bridge GET /health`, `upstream GET /props`, `upstream GET /v1/models`. */
  contextSource?: string;
  outcome: LongContextOutcome;
  /** The bridge's `prompt is too long` message when it refused. */
  refusal?: string;
  /** When refused: the most prompt tokens the bridge allows (the M of "N tokens > M maximum"). */
  promptLimit?: number;
}

export interface LoadTargetResult {
  target: 'bridge' | 'upstream';
  url: string;
  stats: LatencyStats;
  /** Distinct failure reasons with their counts. */
  errors: Array<{ message: string; count: number }>;
}

export interface LoadResult extends ScenarioResult {
  id: 'load';
  requests: number;
  concurrency: number;
  bridge: LoadTargetResult;
  direct?: LoadTargetResult;
  /** Bridge minus direct upstream, ms: what the bridge adds. */
  addedLatencyMs?: { p50?: number; p90?: number; p99?: number; ttftP50?: number };
}

export interface ProbeReport {
  url: string;
  model: string;
  ok: boolean;
  scenarios: ScenarioResult[];
  longContext?: LongContextResult;
  load?: LoadResult;
  tally: Record<ProbeStatus, number>;
}
