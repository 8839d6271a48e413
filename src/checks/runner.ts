// Runs checks concurrently (each starts as soon as the checks it depends on have finished), times
// each one, and turns a throw or a timeout into an `error` result (dsb broke, not the user's setup)
// without stopping the others. Results come back in registry order.
import type { DsbConfig } from '../config/schema.js';
import { DsbError } from '../errors.js';
import type { SystemContext } from '../system/context.js';
import { configRedactor, redactCheckResult } from './redact-result.js';
import type { Check, CheckContext, CheckOutcome, CheckResult, CheckStatus } from './types.js';

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

export interface RunOptions {
  /** Default per-check timeout (a check's own `timeoutMs` wins). */
  timeoutMs?: number;
  onStart?(check: Check): void;
  onResult?(result: CheckResult): void;
}

export function createCheckContext(init: {
  system: SystemContext;
  config: DsbConfig;
  upstreamUrl: string;
  bridgeUrl: string;
  modelFile?: string;
  verbose?: boolean;
}): CheckContext {
  const memo = new Map<string, Promise<unknown>>();
  return {
    ...init,
    verbose: init.verbose ?? false,
    memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
      let p = memo.get(key) as Promise<T> | undefined;
      if (!p) {
        p = compute();
        memo.set(key, p);
      }
      return p;
    },
  };
}

class CheckTimeoutError extends DsbError {
  constructor(message: string) {
    super('CHECK_TIMEOUT', message);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError(`timed out after ${ms / 1000} s`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function finish(check: Check, outcome: CheckOutcome, durationMs: number): CheckResult {
  let status: CheckStatus = outcome.status;
  // An optional check's problem is a warning, never a failure of the whole run.
  if (status === 'fail' && !check.required) status = 'warn';
  return {
    id: check.id,
    title: check.title,
    required: check.required,
    status,
    summary: outcome.summary,
    details: (outcome.details ?? []).filter((d) => d !== ''),
    data: outcome.data ?? {},
    ...(outcome.fix && (status === 'warn' || status === 'fail' || status === 'skip')
      ? { fix: outcome.fix }
      : {}),
    durationMs,
  };
}

/** Runs one check; its result is redacted (an upstream may echo the key in what the check quotes). */
export async function runCheck(
  check: Check,
  ctx: CheckContext,
  deps: ReadonlyMap<string, CheckResult>,
  timeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
): Promise<CheckResult> {
  return redactCheckResult(await runCheckUnredacted(check, ctx, deps, timeoutMs), configRedactor(ctx.config));
}

async function runCheckUnredacted(
  check: Check,
  ctx: CheckContext,
  deps: ReadonlyMap<string, CheckResult>,
  timeoutMs: number,
): Promise<CheckResult> {
  const started = ctx.system.now();
  try {
    const applies = check.appliesTo ? check.appliesTo(ctx) : true;
    if (applies !== true)
      return finish(check, { status: 'skip', summary: applies.reason }, ctx.system.now() - started);
    const outcome = await withTimeout(check.run(ctx, deps), check.timeoutMs ?? timeoutMs);
    return finish(check, outcome, ctx.system.now() - started);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const timedOut = error instanceof CheckTimeoutError;
    return {
      id: check.id,
      title: check.title,
      required: check.required,
      status: 'error',
      summary: timedOut ? `dsb error: the check ${error.message}` : `dsb error: ${error.message}`,
      details: timedOut
        ? ['the check did not finish in time; the other checks are not affected']
        : ['this is a bug in dsb, not in your setup; the other checks are not affected'],
      data: {},
      durationMs: ctx.system.now() - started,
      error: { message: error.message, ...(error.stack && !timedOut ? { stack: error.stack } : {}) },
    };
  }
}

export async function runChecks(
  checks: readonly Check[],
  ctx: CheckContext,
  options: RunOptions = {},
): Promise<CheckResult[]> {
  const promises = new Map<string, Promise<CheckResult>>();
  const results = new Map<string, CheckResult>();
  const start = (check: Check): Promise<CheckResult> => {
    const existing = promises.get(check.id);
    if (existing) return existing;
    const p = (async () => {
      const depIds = (check.dependsOn ?? []).filter((id) => checks.some((c) => c.id === id));
      const depResults = await Promise.all(depIds.map((id) => start(checks.find((c) => c.id === id)!)));
      options.onStart?.(check);
      const result = await runCheck(check, ctx, new Map(depResults.map((r) => [r.id, r])), options.timeoutMs);
      results.set(check.id, result);
      options.onResult?.(result);
      return result;
    })();
    promises.set(check.id, p);
    return p;
  };
  await Promise.all(checks.map(start));
  return checks.map((c) => results.get(c.id)!);
}

export function countStatuses(results: readonly { status: CheckStatus }[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

/** 1 when a check failed or broke, or (with strict) warned; else 0. */
export function exitCodeFor(results: readonly { status: CheckStatus }[], strict: boolean): 0 | 1 {
  const c = countStatuses(results);
  if (c.fail || c.error) return 1;
  if (strict && c.warn) return 1;
  return 0;
}
