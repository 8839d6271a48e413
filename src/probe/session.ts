// The `session` scenario (issue 14 item 7): a multi-turn conversation of Claude Code's real size,
// each turn the previous prompt plus the answer and a new user message, reporting per turn the
// time to first token and how many prompt tokens the server took from its cache. A server that
// reuses its prefix cache answers turn 2 onwards in a fraction of turn 1's time; one that does not
// re-reads ~14K tokens every turn, which is what makes Claude Code slow on it.
import { type Answer, assembleStream } from './answer.js';
import type { Exchange } from './bridge-client.js';
import { checkStreamInvariants, type InvariantViolation } from './invariants.js';
import { percentile, type StreamMetrics, streamMetrics } from './metrics.js';
import type { ContentBlock, Message } from './scenarios.js';
import { sessionSystem, sessionTools, sessionUserTurn } from './session-data.js';
import type { ProbeStatus, ScenarioResult } from './types.js';

/** One request's raw exchange, as the probe's HTTP session records it. */
export type SessionExchange = Exchange;

/** What the scenario needs of the probe: its model settings and a way to send one request. */
export interface SessionDriver {
  model: string;
  maxTokens: number;
  messages(body: Record<string, unknown>): Promise<SessionExchange>;
}

export interface SessionTurn {
  turn: number;
  httpStatus?: number;
  ttftMs?: number;
  /** The whole prompt: input_tokens + cache_read_input_tokens of the final usage. */
  promptTokens?: number;
  /** Prompt tokens the server reported taken from its cache (0 when it reported none). */
  cachedTokens?: number;
  /** The bridge's own time before the request went upstream (`x-dsb-overhead-ms`). */
  overheadMs?: number;
  /** How the bridge counted the prompt (`x-dsb-token-count`). */
  countMethod?: string;
  error?: string;
}

export interface SessionOutcome {
  turns: SessionTurn[];
  violations: InvariantViolation[];
  problems: string[];
  warnings: string[];
  summary: string;
  /** Metrics of each turn's request, in order. */
  metrics: StreamMetrics[];
}

export const DEFAULT_SESSION_TURNS = 6;

function header(headers: Record<string, string>, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The next user message: tool_result for every tool call of the answer (as Claude Code must), then the turn's text. */
function nextUserMessage(answer: Answer, turn: number): Message {
  const results: ContentBlock[] = answer.content
    .filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use')
    .map((t) => ({ type: 'tool_result', tool_use_id: t.id, content: 'ok' }));
  return { role: 'user', content: [...results, ...sessionUserTurn(turn)] };
}

/** What the assistant said, to send back as Claude Code does (a placeholder if it said nothing). */
function assistantMessage(answer: Answer): Message {
  const content = answer.content.filter((b) => b.type !== 'text' || b.text.length > 0);
  return { role: 'assistant', content: content.length > 0 ? content : [{ type: 'text', text: '.' }] };
}

function describe(turns: SessionTurn[]): string {
  const ok = turns.filter((t) => t.httpStatus === 200);
  const first = ok[0];
  const later = ok.slice(1);
  const parts = [`${ok.length}/${turns.length} turns`];
  if (first?.promptTokens !== undefined) {
    const last = ok[ok.length - 1];
    parts.push(`prompt ${first.promptTokens}→${last?.promptTokens ?? '?'} tokens`);
  }
  if (first?.ttftMs !== undefined) parts.push(`turn 1 TTFT ${Math.round(first.ttftMs)} ms`);
  const ttft = percentile(
    later.map((t) => t.ttftMs).filter((v): v is number => v !== undefined),
    50,
  );
  if (ttft !== undefined) parts.push(`later turns TTFT p50 ${Math.round(ttft)} ms`);
  const prompt = later.reduce((n, t) => n + (t.promptTokens ?? 0), 0);
  const cached = later.reduce((n, t) => n + (t.cachedTokens ?? 0), 0);
  if (prompt > 0) parts.push(`${Math.round((100 * cached) / prompt)}% of later prompts from cache`);
  return parts.join(', ');
}

/** Runs the conversation; stops at the first turn that fails (the next one would build on nothing). */
export async function runSession(
  driver: SessionDriver,
  turnCount = DEFAULT_SESSION_TURNS,
): Promise<SessionOutcome> {
  const system = sessionSystem();
  const tools = sessionTools();
  const messages: Message[] = [{ role: 'user', content: sessionUserTurn(1) }];
  const out: SessionOutcome = {
    turns: [],
    violations: [],
    problems: [],
    warnings: [],
    summary: '',
    metrics: [],
  };
  for (let turn = 1; turn <= turnCount; turn++) {
    const body = {
      model: driver.model,
      max_tokens: driver.maxTokens,
      system,
      tools,
      messages,
      metadata: { user_id: 'dsb-probe-session' },
      stream: true,
    };
    const ex = await driver.messages(body);
    const result: SessionTurn = { turn };
    out.turns.push(result);
    if (ex.status !== undefined) result.httpStatus = ex.status;
    const overhead = Number(header(ex.headers, 'x-dsb-overhead-ms'));
    if (Number.isFinite(overhead)) result.overheadMs = overhead;
    const method = header(ex.headers, 'x-dsb-token-count');
    if (method) result.countMethod = method;
    if (ex.status !== 200) {
      result.error = ex.transportError ?? `HTTP ${ex.status}: ${ex.text.slice(0, 300)}`;
      out.problems.push(`turn ${turn}: ${result.error}`);
      break;
    }
    const violations = checkStreamInvariants(ex.events);
    out.violations.push(...violations);
    const answer = assembleStream(ex.events);
    const metrics = streamMetrics(ex.events, ex.times, ex.startMs, ex.endMs);
    out.metrics.push(metrics);
    if (metrics.ttftMs !== undefined) result.ttftMs = metrics.ttftMs;
    result.cachedTokens = metrics.cacheReadTokens ?? 0;
    if (metrics.inputTokens !== undefined) result.promptTokens = metrics.inputTokens + result.cachedTokens;
    if (answer.error || ex.transportError) {
      result.error = answer.error ?? ex.transportError;
      out.problems.push(`turn ${turn}: ${result.error}`);
      break;
    }
    messages.push(assistantMessage(answer), nextUserMessage(answer, turn + 1));
  }
  const later = out.turns.slice(1).filter((t) => t.httpStatus === 200);
  if (out.problems.length === 0 && later.length > 0 && later.every((t) => !t.cachedTokens)) {
    out.warnings.push(
      'no turn after the first reported cached prompt tokens: the server re-reads the whole prompt every turn ' +
        '(llama.cpp: keep -np small enough and --cache-reuse on; vLLM: --enable-prefix-caching), or it does not report its cache use',
    );
  }
  out.summary = describe(out.turns);
  return out;
}

/** One line per turn, for the human report. */
export function formatSessionTurns(turns: readonly SessionTurn[]): string[] {
  return turns.map((t) => {
    const bits = [`turn ${t.turn}`];
    bits.push(t.ttftMs !== undefined ? `TTFT ${Math.round(t.ttftMs)} ms` : 'TTFT -');
    if (t.promptTokens !== undefined) bits.push(`prompt ${t.promptTokens}`, `cached ${t.cachedTokens ?? 0}`);
    if (t.overheadMs !== undefined)
      bits.push(`bridge ${t.overheadMs.toFixed(1)} ms (${t.countMethod ?? '?'})`);
    if (t.error) bits.push(`error: ${t.error}`);
    return bits.join(', ');
  });
}

/** The scenario's report entry: fail on an error or a broken stream, warn when nothing was cached. */
export function sessionScenarioResult(
  scenario: { id: string; title: string },
  outcome: SessionOutcome,
): ScenarioResult {
  const status: ProbeStatus =
    outcome.problems.length > 0 || outcome.violations.length > 0
      ? 'fail'
      : outcome.warnings.length > 0
        ? 'warn'
        : 'pass';
  const summary =
    status === 'fail'
      ? (outcome.problems[0] ?? `${outcome.violations.length} stream invariant violation(s)`)
      : status === 'warn'
        ? `${outcome.summary}; ${outcome.warnings[0]}`
        : outcome.summary;
  const first = outcome.metrics[0];
  return {
    id: scenario.id,
    title: scenario.title,
    status,
    summary,
    problems: outcome.problems,
    warnings: outcome.warnings,
    violations: outcome.violations,
    steps: outcome.turns.map((t, i) => {
      const m = outcome.metrics[i];
      return {
        title: `turn ${t.turn}`,
        stream: true,
        ...(t.httpStatus !== undefined ? { httpStatus: t.httpStatus } : {}),
        violations: [],
        ...(m ? { metrics: m } : {}),
      };
    }),
    ...(first ? { metrics: first } : {}),
    durationMs: 0,
    data: { turns: outcome.turns },
  };
}

/** Runs the scenario against a probe session. */
export async function runSessionScenario(
  driver: SessionDriver,
  scenario: { id: string; title: string; turns: number },
): Promise<ScenarioResult> {
  return sessionScenarioResult(scenario, await runSession(driver, scenario.turns));
}
