// The flutter-doctor-style text report: `[✓] Title (summary)`, indented details and fix commands for
// problems (everything with --verbose), then a tally. Colours come from a chalk instance the command
// builds (off with NO_COLOR or when stdout is not a TTY).
import { Chalk, type ChalkInstance } from 'chalk';
import type { Check, CheckReport, CheckStatus, DoctorReport } from './types.js';

export const STATUS_MARK: Record<CheckStatus, string> = {
  pass: '[✓]',
  warn: '[!]',
  fail: '[✗]',
  skip: '[-]',
  error: '[☠]',
};

export interface RenderOptions {
  color: boolean;
  verbose: boolean;
}

function paint(chalk: ChalkInstance, status: CheckStatus, text: string): string {
  switch (status) {
    case 'pass':
      return chalk.green(text);
    case 'warn':
      return chalk.yellow(text);
    case 'fail':
      return chalk.red(text);
    case 'error':
      return chalk.magenta(text);
    default:
      return chalk.gray(text);
  }
}

export function renderCheckLine(
  check: Pick<CheckReport, 'status' | 'title' | 'summary'>,
  chalk: ChalkInstance = new Chalk({ level: 0 }),
): string {
  return `${paint(chalk, check.status, STATUS_MARK[check.status])} ${chalk.bold(check.title)} (${check.summary})`;
}

/** Same fix, same root cause: the key under which checks share one printed fix. */
export function fixKey(check: Pick<CheckReport, 'fix'>): string | undefined {
  return check.fix ? JSON.stringify([check.fix.description, check.fix.commands]) : undefined;
}

export function renderCheck(
  check: CheckReport,
  options: RenderOptions,
  /** The title of an earlier check whose identical fix was printed: refer to it instead. */
  sameFixAs?: string,
): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const lines = [
    renderCheckLine(check, chalk) +
      (options.verbose ? chalk.gray(` ${Math.round(check.durationMs)} ms`) : ''),
  ];
  const problem = check.status === 'warn' || check.status === 'fail' || check.status === 'error';
  if (problem || options.verbose) {
    for (const d of check.details) lines.push(`    ${chalk.gray('•')} ${d}`);
  }
  if (check.error?.stack && options.verbose) {
    for (const l of check.error.stack.split('\n').slice(0, 6)) lines.push(`      ${chalk.gray(l.trim())}`);
  }
  if (check.fix && sameFixAs && problem) {
    lines.push(
      `    ${paint(chalk, check.status, 'Fix:')} the same as for ${chalk.bold(sameFixAs)} above (one cause)`,
    );
  } else if (check.fix && (problem || options.verbose)) {
    lines.push(
      `    ${paint(chalk, check.status, 'Fix:')} ${check.fix.description}${check.fix.automatic ? chalk.gray(' (dsb doctor --fix can apply this)') : ''}`,
    );
    for (const c of check.fix.commands)
      lines.push(`      ${c.startsWith('#') ? chalk.gray(c) : chalk.cyan(c)}`);
  }
  if (check.fixApplied) {
    const f = check.fixApplied;
    const head = f.dryRun ? 'Would change:' : f.ok ? 'Fixed:' : 'Fix failed:';
    lines.push(`    ${chalk.bold(head)} ${f.message ?? ''}`.trimEnd());
    for (const c of f.changes) lines.push(`      ${c}`);
  }
  return lines.join('\n');
}

export function renderTally(
  report: Pick<DoctorReport, 'counts' | 'durationMs' | 'exitCode' | 'strict'>,
  chalk: ChalkInstance,
): string {
  const c = report.counts;
  const parts = [
    `${c.pass} passed`,
    c.warn ? chalk.yellow(`${c.warn} warning${c.warn > 1 ? 's' : ''}`) : undefined,
    c.fail ? chalk.red(`${c.fail} failed`) : undefined,
    c.error ? chalk.magenta(`${c.error} broke (dsb error)`) : undefined,
    c.skip ? `${c.skip} skipped` : undefined,
  ].filter(Boolean);
  const seconds = (report.durationMs / 1000).toFixed(1);
  if (report.exitCode === 0) {
    const head = c.warn ? chalk.yellow('! No blocking issues.') : chalk.green('• No issues found!');
    return `${head} ${parts.join(', ')} (${seconds} s)`;
  }
  const why = c.fail || c.error ? '' : ' (--strict: warnings fail)';
  return `${chalk.red('✗ Doctor found issues.')} ${parts.join(', ')} (${seconds} s)${why}`;
}

export function renderReport(report: DoctorReport, options: RenderOptions): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const head = chalk.bold(`dsb doctor: upstream ${report.upstreamUrl}, bridge ${report.bridgeUrl}`);
  // One root cause (no model server) fails several checks with the same fix: print it once.
  const firstWithFix = new Map<string, string>();
  const body = report.checks.map((c) => {
    const problem = c.status === 'warn' || c.status === 'fail' || c.status === 'error';
    const key = problem ? fixKey(c) : undefined;
    const earlier = key ? firstWithFix.get(key) : undefined;
    if (key && !earlier) firstWithFix.set(key, c.title);
    return renderCheck(c, options, earlier);
  });
  return [head, '', ...body, '', renderTally(report, chalk)].join('\n');
}

export function renderCheckList(checks: readonly Check[], options: { color: boolean }): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const width = Math.max(...checks.map((c) => c.id.length));
  return checks
    .map(
      (c) =>
        `${chalk.bold(c.id.padEnd(width))}  ${c.required ? 'required' : 'optional'}  ${c.title}: ${c.description}`,
    )
    .join('\n');
}
