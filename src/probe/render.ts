// The report for people: one table row per scenario with what the user feels (TTFT, inter-token
// latency, throughput), then what failed and why (invariant id and event index), the long-context
// verdict, the load table, and a tally. Pure: a report in, text out.
import { Chalk, type ChalkInstance } from 'chalk';
import { formatViolation } from './invariants.js';
import type { LatencyStats } from './metrics.js';
import { formatSessionTurns, type SessionTurn } from './session.js';
import type { LoadResult, LongContextResult, ProbeReport, ProbeStatus, ScenarioResult } from './types.js';

export interface RenderOptions {
  color: boolean;
}

const ms = (v?: number) =>
  v === undefined
    ? '-'
    : v >= 10_000
      ? `${(v / 1000).toFixed(1)} s`
      : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
const rate = (v?: number) => (v === undefined ? '-' : v >= 100 ? Math.round(v).toString() : v.toFixed(1));
const signedMs = (v?: number) => (v === undefined ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} ms`);

// Strips ANSI colour codes to measure width.
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (s: string) => s.replace(ANSI, '').length;

/** Left-aligned columns, two spaces apart (colour codes do not count toward width). */
export function table(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, width(cell));
    });
  }
  return rows
    .map((row) =>
      (
        indent +
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
          .join('  ')
      ).trimEnd(),
    )
    .join('\n');
}

function badge(c: ChalkInstance, status: ProbeStatus): string {
  switch (status) {
    case 'pass':
      return c.green('✓ pass');
    case 'warn':
      return c.yellow('! warn');
    case 'fail':
      return c.red('✗ FAIL');
    case 'skip':
      return c.dim('- skip');
  }
}

function scenarioRow(c: ChalkInstance, r: ScenarioResult): string[] {
  const m = r.metrics;
  const itl = m?.itlP50Ms !== undefined ? `${ms(m.itlP50Ms)} / ${ms(m.itlP99Ms)}` : '-';
  return [
    r.id,
    badge(c, r.status),
    ms(m?.ttftMs),
    itl,
    rate(m?.outputTokensPerSec),
    rate(m?.promptTokensPerSec),
    ms(m?.totalMs ?? r.durationMs),
  ];
}

function details(c: ChalkInstance, r: ScenarioResult): string[] {
  const out: string[] = [];
  if (r.status === 'fail') {
    out.push(`${c.red('✗')} ${c.bold(r.id)} — ${r.title}`);
    for (const p of r.problems) out.push(`    ${p}`);
    r.steps.forEach((step, i) => {
      for (const v of step.violations) {
        out.push(
          `    ${r.steps.length > 1 ? `[request ${i + 1}] ` : ''}${c.red(v.invariant)} ${formatViolation(v).slice(v.invariant.length + 1)}`,
        );
      }
    });
  }
  if (r.warnings.length > 0) {
    if (r.status !== 'fail') out.push(`${c.yellow('!')} ${c.bold(r.id)} — ${r.title}`);
    for (const w of r.warnings) out.push(`    ${c.yellow(w)}`);
  }
  return out;
}

function latencyRow(label: string, s: LatencyStats): string[] {
  return [
    label,
    ms(s.latencyMs.p50),
    ms(s.latencyMs.p90),
    ms(s.latencyMs.p99),
    ms(s.latencyMs.mean),
    ms(s.ttftMs.p50),
    `${(s.failureRate * 100).toFixed(1)}%`,
    rate(s.requestsPerSec),
  ];
}

function renderLoad(c: ChalkInstance, load: LoadResult): string[] {
  const rows = [
    ['', 'p50', 'p90', 'p99', 'mean', 'TTFT p50', 'failed', 'req/s'].map((h) => c.bold(h)),
    latencyRow('bridge', load.bridge.stats),
  ];
  if (load.direct) rows.push(latencyRow('upstream (direct)', load.direct.stats));
  if (load.addedLatencyMs) {
    const a = load.addedLatencyMs;
    rows.push([
      'bridge adds',
      signedMs(a.p50),
      signedMs(a.p90),
      signedMs(a.p99),
      '',
      signedMs(a.ttftP50),
      '',
      '',
    ]);
  }
  const out = [
    '',
    c.bold(
      `Load: ${load.requests} streamed requests, ${load.concurrency} at a time (${badge(c, load.status)})`,
    ),
    table(rows),
  ];
  for (const target of [load.bridge, ...(load.direct ? [load.direct] : [])]) {
    for (const e of target.errors.slice(0, 3)) out.push(`    ${target.target}: ${e.count}× ${e.message}`);
  }
  return out;
}

function renderLongContext(c: ChalkInstance, lc: LongContextResult): string[] {
  const verdict: Record<LongContextResult['outcome'], string> = {
    fit: c.green('fit'),
    clamped: c.yellow('fit, output clamped'),
    refused: c.yellow('refused: prompt is too long'),
    error: c.red('error'),
  };
  // Refused: measured against the prompt limit the bridge refused at, with the same count.
  const pct =
    lc.promptTokens !== undefined && lc.promptLimit
      ? ` (${((lc.promptTokens / lc.promptLimit) * 100).toFixed(0)}% of the ${lc.promptLimit} the bridge allows for the prompt)`
      : lc.promptTokens !== undefined && lc.contextSize
        ? ` (${((lc.promptTokens / lc.contextSize) * 100).toFixed(0)}%)`
        : '';
  return [
    '',
    c.bold(`Long context: ${lc.file} (${lc.lines} lines, ${lc.bytes} bytes) — ${badge(c, lc.status)}`),
    table([
      [
        'prompt tokens',
        lc.promptTokens === undefined
          ? 'unknown (count_tokens failed)'
          : `${lc.promptTokens}${pct}${lc.promptTokensKind ? ` (${lc.promptTokensKind})` : ''}`,
      ],
      [
        'upstream context',
        lc.contextSize === undefined
          ? 'unknown (neither GET /health nor the upstream says)'
          : `${lc.contextSize}${lc.contextSource ? ` (from ${lc.contextSource})` : ''}`,
      ],
      ['outcome', verdict[lc.outcome]],
      ['detail', lc.summary],
    ]),
  ];
}

/** The session scenario's per-turn lines: TTFT and the cached prompt tokens of each turn. */
function renderSessionTurns(c: ChalkInstance, scenarios: readonly ScenarioResult[]): string[] {
  const session = scenarios.find((r) => r.id === 'session');
  const turns = session?.data?.turns as SessionTurn[] | undefined;
  if (!turns?.length) return [];
  return ['', c.bold('Session, per turn:'), ...formatSessionTurns(turns).map((l) => `  ${l}`)];
}

export function renderProbeReport(report: ProbeReport, options: RenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const lines: string[] = [c.bold(`dsb probe → ${report.url} (model ${report.model})`), ''];
  const rows = [
    ['scenario', 'result', 'TTFT', 'ITL p50 / p99', 'out tok/s', 'prompt tok/s', 'total'].map((h) =>
      c.bold(h),
    ),
  ];
  // Scenarios skipped for one reason (no bridge to run them against) are one line, not one row each.
  const notRun = report.scenarios.filter((r) => r.status === 'skip' && r.summary.startsWith('not run:'));
  for (const r of report.scenarios) if (!notRun.includes(r)) rows.push(scenarioRow(c, r));
  if (report.longContext) rows.push(scenarioRow(c, report.longContext));
  lines.push(table(rows));
  const reasons = [...new Set(notRun.map((r) => r.summary))];
  for (const reason of reasons) {
    const ids = notRun.filter((r) => r.summary === reason).map((r) => r.id);
    lines.push(
      '',
      c.dim(`- ${ids.length} ${ids.length === 1 ? 'check' : 'checks'} ${reason} (${ids.join(', ')})`),
    );
  }

  const all = [
    ...report.scenarios,
    ...(report.longContext ? [report.longContext] : []),
    ...(report.load ? [report.load] : []),
  ];
  const notes = all.flatMap((r) => details(c, r));
  if (notes.length) lines.push('', ...notes);
  lines.push(...renderSessionTurns(c, report.scenarios));
  if (report.longContext) lines.push(...renderLongContext(c, report.longContext));
  if (report.load) lines.push(...renderLoad(c, report.load));

  const t = report.tally;
  const tally = [
    `${t.pass} passed`,
    `${t.warn} warned`,
    `${t.fail} failed`,
    ...(t.skip ? [`${t.skip} skipped`] : []),
  ].join(', ');
  lines.push('', report.ok ? c.green(tally) : c.red(tally));
  return lines.join('\n');
}
