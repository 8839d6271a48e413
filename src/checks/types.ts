// The doctor's check model (design.md §7) and the typed JSON report `dsb doctor --json` prints.
import { z } from 'zod';
import type { DsbConfig } from '../config/schema.js';
import type { SystemContext } from '../system/context.js';

/** What a check itself may conclude. `error` is only ever set by the runner (dsb broke, not your setup). */
export type CheckOutcomeStatus = 'pass' | 'warn' | 'fail' | 'skip';
export const CHECK_STATUSES = ['pass', 'warn', 'fail', 'skip', 'error'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export interface Fix {
  /** One line: what to do and why. */
  description: string;
  /** Exact commands or file edits to run, in the user's shell syntax. May be empty for a pure advice. */
  commands: string[];
  /**
   * A safe automatic fix (`dsb doctor --fix`): edits dsb-managed or Claude Code settings only, atomically
   * and with a backup. Returns what it changed, one line per change. With `dryRun` it changes nothing
   * and returns what it would change.
   */
  apply?: (ctx: CheckContext, options: { dryRun: boolean }) => Promise<string[]>;
}

export interface CheckOutcome {
  status: CheckOutcomeStatus;
  /** One line, shown in parentheses after the title. */
  summary: string;
  details?: string[];
  /** Machine-readable facts for `--json` (versions, sizes, URLs). */
  data?: Record<string, unknown>;
  fix?: Fix;
}

export interface CheckContext {
  system: SystemContext;
  config: DsbConfig;
  /** The upstream's base URL, without a trailing slash or `/v1`. */
  upstreamUrl: string;
  /** The bridge's base URL (`dsb serve`), without a trailing slash. */
  bridgeUrl: string;
  /** A GGUF file to inspect (`--model-file`), in addition to what the upstream reports. */
  modelFile?: string;
  verbose: boolean;
  /** Shares one expensive probe (the upstream's discovery) between the checks of one run. */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

export type Applicability = true | { reason: string };

export interface Check {
  id: string;
  title: string;
  /** A required check's problems are failures; an optional check's problems are reported as warnings. */
  required: boolean;
  /** One sentence for `--list-checks`. */
  description: string;
  /** Checks whose results this one reads (they run first and are included when this one is selected). */
  dependsOn?: string[];
  /** Longest the check may take before the runner reports it as `error` (default: runner's). */
  timeoutMs?: number;
  appliesTo?(ctx: CheckContext): Applicability;
  run(ctx: CheckContext, deps: ReadonlyMap<string, CheckResult>): Promise<CheckOutcome>;
}

/** A finished check as the runner reports it (before JSON serialisation: `fix.apply` is a function). */
export interface CheckResult {
  id: string;
  title: string;
  required: boolean;
  status: CheckStatus;
  summary: string;
  details: string[];
  data: Record<string, unknown>;
  fix?: Fix;
  durationMs: number;
  error?: { message: string; stack?: string };
  fixApplied?: FixApplied;
}

export interface FixApplied {
  ok: boolean;
  changes: string[];
  message?: string;
  dryRun: boolean;
  /** The status before the fix (the check was re-run after applying it). */
  previousStatus: CheckStatus;
}

// ---- JSON report -------------------------------------------------------------------------------

export const fixReportSchema = z.object({
  description: z.string(),
  commands: z.array(z.string()),
  /** `dsb doctor --fix` can apply it. */
  automatic: z.boolean(),
});

export const checkReportSchema = z.object({
  id: z.string(),
  title: z.string(),
  required: z.boolean(),
  status: z.enum(CHECK_STATUSES),
  summary: z.string(),
  details: z.array(z.string()),
  data: z.record(z.string(), z.unknown()),
  fix: fixReportSchema.optional(),
  durationMs: z.number().nonnegative(),
  error: z.object({ message: z.string(), stack: z.string().optional() }).optional(),
  fixApplied: z
    .object({
      ok: z.boolean(),
      changes: z.array(z.string()),
      message: z.string().optional(),
      dryRun: z.boolean(),
      previousStatus: z.enum(CHECK_STATUSES),
    })
    .optional(),
});
export type CheckReport = z.infer<typeof checkReportSchema>;

export const statusCountsSchema = z.object({
  pass: z.number().int().nonnegative(),
  warn: z.number().int().nonnegative(),
  fail: z.number().int().nonnegative(),
  skip: z.number().int().nonnegative(),
  error: z.number().int().nonnegative(),
});

export const doctorReportSchema = z.object({
  schemaVersion: z.literal(1),
  /** true when the exit code is 0. */
  ok: z.boolean(),
  exitCode: z.union([z.literal(0), z.literal(1)]),
  strict: z.boolean(),
  startedAt: z.string(),
  durationMs: z.number().nonnegative(),
  platform: z.object({
    os: z.string(),
    arch: z.string(),
    release: z.string(),
    wsl: z.enum(['wsl1', 'wsl2']).nullable(),
    node: z.string(),
  }),
  upstreamUrl: z.string(),
  bridgeUrl: z.string(),
  counts: statusCountsSchema,
  checks: z.array(checkReportSchema),
});
export type DoctorReport = z.infer<typeof doctorReportSchema>;

export function toCheckReport(result: CheckResult): CheckReport {
  const { fix, ...rest } = result;
  return {
    ...rest,
    ...(fix
      ? { fix: { description: fix.description, commands: fix.commands, automatic: Boolean(fix.apply) } }
      : {}),
  };
}
