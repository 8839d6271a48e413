// Judges what the bridge answered: one /v1/messages exchange against the stream invariants, the
// Messages API shape, the scenario's expectation and Claude Code's patience; and turns a scenario's
// problems, warnings and steps into its pass / warn / fail result. Pure.
import { isRecord } from '../util/is-record.js';
import { type Answer, assembleStream, checkExpectation, checkMessageResponse } from './answer.js';
import { errorMessageOf } from './bodies.js';
import type { Exchange } from './bridge-client.js';
import { checkStreamInvariants, formatViolation, type InvariantViolation } from './invariants.js';
import { streamMetrics, wholeResponseMetrics } from './metrics.js';
import type { Expectation } from './scenarios.js';
import type { ProbeStatus, ScenarioResult, StepResult } from './types.js';

/** Claude Code tolerates 10-15 s without a byte (design.md §4.3). */
export const MAX_SILENCE_MS = 15_000;

/** The longest gap between two consecutive events of a stream. */
export function longestSilence(times: readonly number[]): { ms: number; after: number } | undefined {
  let best: { ms: number; after: number } | undefined;
  for (let i = 1; i < times.length; i++) {
    const gap = (times[i] as number) - (times[i - 1] as number);
    if (!best || gap > best.ms) best = { ms: gap, after: i - 1 };
  }
  return best;
}

export interface StepOutcome {
  step: StepResult;
  answer?: Answer;
  problems: string[];
  warnings: string[];
}

/** Judges one /v1/messages exchange against the invariants and the expectation. */
export function evaluateExchange(
  title: string,
  ex: Exchange,
  stream: boolean,
  expect: Expectation | undefined,
): StepOutcome {
  const problems: string[] = [];
  const warnings: string[] = [];
  const step: StepResult = { title, stream, violations: [] };
  if (ex.status !== undefined) step.httpStatus = ex.status;
  if (ex.status === undefined) {
    problems.push(ex.transportError ?? 'no response');
    return { step, problems, warnings };
  }
  if (ex.status !== 200) {
    problems.push(...errorAnswerProblems(ex));
    step.metrics = wholeResponseMetrics({}, ex.startMs, ex.endMs);
    return { step, problems, warnings };
  }
  const answer = stream ? judgeStream(ex, step, problems, warnings) : judgeWholeResponse(ex, step);
  if (ex.transportError) problems.push(ex.transportError);
  if (answer.stopReason) step.stopReason = answer.stopReason;
  if (expect && !answer.error && !ex.transportError) {
    const verdict = checkExpectation(answer, expect);
    problems.push(...verdict.problems);
    warnings.push(...verdict.warnings);
  }
  return { step, answer, problems, warnings };
}

/** An HTTP error answer: its message, and whether its body has the Anthropic error shape. */
function errorAnswerProblems(ex: Exchange): string[] {
  const problems = [`HTTP ${ex.status}: ${errorMessageOf(ex.json, ex.text)}`];
  if (!isRecord(ex.json) || ex.json.type !== 'error' || !isRecord(ex.json.error)) {
    problems.push('the error body is not in the Anthropic shape {"type":"error","error":{"type","message"}}');
  }
  return problems;
}

function judgeStream(ex: Exchange, step: StepResult, problems: string[], warnings: string[]): Answer {
  const ct = ex.headers['content-type'] ?? '';
  if (!ct.includes('text/event-stream')) {
    problems.push(`content-type is "${ct}", not text/event-stream: the bridge ignored stream: true`);
  }
  step.events = ex.events.length;
  step.violations = checkStreamInvariants(ex.events);
  const answer = assembleStream(ex.events);
  step.metrics = streamMetrics(ex.events, ex.times, ex.startMs, ex.endMs);
  if (answer.error) problems.push(`the stream ended in an error event: ${answer.error}`);
  const silence = longestSilence(ex.times);
  if (silence && silence.ms > MAX_SILENCE_MS) {
    warnings.push(
      `the stream went silent for ${(silence.ms / 1000).toFixed(1)} s between events #${silence.after} and #${silence.after + 1} (the bridge should send a ping every 10-15 s while the upstream is silent)`,
    );
  }
  return answer;
}

function judgeWholeResponse(ex: Exchange, step: StepResult): Answer {
  const checked = checkMessageResponse(ex.json);
  step.violations = checked.violations;
  step.metrics = wholeResponseMetrics(checked.answer, ex.startMs, ex.endMs);
  return checked.answer;
}

export interface ResultParts {
  problems: string[];
  warnings: string[];
  steps: StepResult[];
  okSummary: string;
  data?: Record<string, unknown>;
}

/** A scenario's result: fail on any problem or violation, warn on any warning, else pass. */
export function scenarioResult(base: { id: string; title: string }, parts: ResultParts): ScenarioResult {
  const violations: InvariantViolation[] = parts.steps.flatMap((s) => s.violations);
  const status: ProbeStatus =
    parts.problems.length > 0 || violations.length > 0 ? 'fail' : parts.warnings.length > 0 ? 'warn' : 'pass';
  const firstViolation = violations[0];
  const summary =
    status === 'fail'
      ? (parts.problems[0] ??
        (firstViolation
          ? `${formatViolation(firstViolation)}${violations.length > 1 ? ` (+${violations.length - 1} more)` : ''}`
          : ''))
      : status === 'warn'
        ? `${parts.okSummary}; ${parts.warnings[0]}`
        : parts.okSummary;
  const metrics = parts.steps[0]?.metrics;
  return {
    id: base.id,
    title: base.title,
    status,
    summary,
    problems: parts.problems,
    warnings: parts.warnings,
    violations,
    steps: parts.steps,
    ...(metrics ? { metrics } : {}),
    durationMs: 0,
    ...(parts.data ? { data: parts.data } : {}),
  };
}

/** "end_turn, 9 events, 12 output tokens": one step's answer in a summary. */
export function describeAnswer(step: StepResult): string {
  const bits = [step.stopReason ?? 'no stop_reason'];
  if (step.events !== undefined) bits.push(`${step.events} events`);
  if (step.metrics?.outputTokens !== undefined) bits.push(`${step.metrics.outputTokens} output tokens`);
  return bits.join(', ');
}
