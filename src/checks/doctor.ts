// The doctor's core, independent of oclif: run the selected checks, optionally apply the safe fixes
// (each confirmed) and re-run the fixed checks, and build the typed report.

import { redactJson } from '../redact.js';
import { detectWsl } from '../system/platform.js';
import { configRedactor } from './redact-result.js';
import { selectChecks } from './registry.js';
import { countStatuses, createCheckContext, exitCodeFor, runCheck, runChecks } from './runner.js';
import type { Check, CheckContext, CheckResult, DoctorReport, Fix } from './types.js';
import { toCheckReport } from './types.js';

export interface FixOptions {
  dryRun: boolean;
  /** Asks the user; resolves true to apply. Not called with `yes`. */
  confirm?(check: CheckResult, fix: Fix): Promise<boolean>;
  yes: boolean;
}

export interface DoctorOptions {
  ids?: string[];
  strict?: boolean;
  fix?: FixOptions;
  registry?: readonly Check[];
  timeoutMs?: number;
  onStart?(check: Check): void;
  onResult?(result: CheckResult): void;
}

export async function applyFixes(
  checks: readonly Check[],
  results: CheckResult[],
  ctx: CheckContext,
  options: FixOptions,
): Promise<CheckResult[]> {
  const out = [...results];
  for (let i = 0; i < out.length; i++) {
    const result = out[i]!;
    const fix = result.fix;
    if (!fix?.apply || (result.status !== 'warn' && result.status !== 'fail')) continue;
    const check = checks.find((c) => c.id === result.id)!;
    if (!options.yes && !options.dryRun) {
      const go = options.confirm ? await options.confirm(result, fix) : false;
      if (!go) {
        out[i] = {
          ...result,
          fixApplied: {
            ok: false,
            changes: [],
            dryRun: false,
            previousStatus: result.status,
            message: options.confirm ? 'skipped' : 'not applied: run with --yes to apply without asking',
          },
        };
        continue;
      }
    }
    try {
      const changes = await fix.apply(ctx, { dryRun: options.dryRun });
      if (options.dryRun) {
        out[i] = {
          ...result,
          fixApplied: { ok: true, changes, dryRun: true, previousStatus: result.status },
        };
        continue;
      }
      // Re-run the check on a fresh context so it sees the files the fix just wrote.
      const fresh = createCheckContext({
        system: ctx.system,
        config: ctx.config,
        upstreamUrl: ctx.upstreamUrl,
        bridgeUrl: ctx.bridgeUrl,
        modelFile: ctx.modelFile,
        verbose: ctx.verbose,
      });
      const deps = new Map(out.filter((r) => check.dependsOn?.includes(r.id)).map((r) => [r.id, r]));
      const rerun = await runCheck(check, fresh, deps);
      out[i] = { ...rerun, fixApplied: { ok: true, changes, dryRun: false, previousStatus: result.status } };
    } catch (err) {
      out[i] = {
        ...result,
        fixApplied: {
          ok: false,
          changes: [],
          dryRun: options.dryRun,
          previousStatus: result.status,
          message: err instanceof Error ? err.message : String(err),
        },
      };
    }
  }
  return out;
}

export interface ChecksRun {
  checks: Check[];
  results: CheckResult[];
  startedAt: number;
}

/** Phase 1: select and run the checks. */
export async function runDoctorChecks(ctx: CheckContext, options: DoctorOptions = {}): Promise<ChecksRun> {
  const startedAt = ctx.system.now();
  const checks = selectChecks(options.ids ?? [], options.registry);
  const results = await runChecks(checks, ctx, {
    timeoutMs: options.timeoutMs,
    onStart: options.onStart,
    onResult: options.onResult,
  });
  return { checks, results, startedAt };
}

/** Phase 3: the typed report of what ran. */
export function buildReport(ctx: CheckContext, run: ChecksRun, strict: boolean): DoctorReport {
  const exitCode = exitCodeFor(run.results, strict);
  // Every text of the report once more (fix messages, URLs), through the one redactor.
  return redactJson(reportOf(ctx, run, strict, exitCode), configRedactor(ctx.config));
}

function reportOf(ctx: CheckContext, run: ChecksRun, strict: boolean, exitCode: 0 | 1): DoctorReport {
  return {
    schemaVersion: 1,
    ok: exitCode === 0,
    exitCode,
    strict,
    startedAt: new Date(run.startedAt).toISOString(),
    durationMs: Math.max(0, ctx.system.now() - run.startedAt),
    platform: {
      os: ctx.system.platform,
      arch: ctx.system.arch,
      release: ctx.system.osRelease,
      wsl: detectWsl(ctx.system),
      node: ctx.system.nodeVersion,
    },
    upstreamUrl: ctx.upstreamUrl,
    bridgeUrl: ctx.bridgeUrl,
    counts: countStatuses(run.results),
    checks: run.results.map(toCheckReport),
  };
}

/** Runs the checks, applies the fixes when asked (phase 2), and reports. */
export async function runDoctor(ctx: CheckContext, options: DoctorOptions = {}): Promise<DoctorReport> {
  const run = await runDoctorChecks(ctx, options);
  if (options.fix) run.results = await applyFixes(run.checks, run.results, ctx, options.fix);
  return buildReport(ctx, run, options.strict ?? false);
}
