// A probe run: the tasks the options ask for (built-in scenarios, --long-context, --load), each
// run against one BridgeClient, redacted, timed on the injected clock, and gathered into a
// ProbeReport. The command shows progress between tasks; runProbe runs them all in order.
import { basename } from 'node:path';
import { createRedactor, redactJson } from '../redact.js';
import { BridgeClient } from './bridge-client.js';
import { runLoad } from './load.js';
import { runLongContext } from './long-context.js';
import type { ProbeOptions } from './options.js';
import { runScenario } from './scenario-runners.js';
import { defaultScenarios, SCENARIOS } from './scenarios.js';
import type { LoadResult, LongContextResult, ProbeReport, ProbeStatus, ScenarioResult } from './types.js';

export type { ProbeOptions } from './options.js';

export interface ProbeTask {
  id: string;
  title: string;
  run(): Promise<ScenarioResult>;
  /** Records the task as not run (status skip) with the reason, e.g. no bridge to run it against. */
  skip(reason: string): ScenarioResult;
}

export interface Probe {
  tasks: ProbeTask[];
  /** The report of every task run so far. */
  report(): ProbeReport;
  close(): Promise<void>;
}

export function unknownScenarioIds(ids: readonly string[]): string[] {
  const known = new Set(SCENARIOS.map((s) => s.id));
  return ids.filter((id) => !known.has(id));
}

/** The scenario ids to run: those asked for; else only `health` beside --long-context/--load; else the defaults. */
export function selectedScenarioIds(
  options: Pick<ProbeOptions, 'scenarioIds' | 'longContext' | 'load'>,
): string[] {
  if (options.scenarioIds && options.scenarioIds.length > 0) return options.scenarioIds;
  return options.longContext || options.load ? ['health'] : defaultScenarios().map((s) => s.id);
}

export function skippedResult(id: string, title: string, reason: string): ScenarioResult {
  return {
    id,
    title,
    status: 'skip',
    summary: reason,
    problems: [],
    warnings: [],
    violations: [],
    steps: [],
    durationMs: 0,
  };
}

/** Runs `fn` and sets its result's durationMs, measured on `now`. */
export async function timed<T extends ScenarioResult>(now: () => number, fn: () => Promise<T>): Promise<T> {
  const start = now();
  const result = await fn();
  result.durationMs = Math.round(now() - start);
  return result;
}

export function createProbe(options: ProbeOptions): Probe {
  const client = new BridgeClient(options);
  // What the probe shows quotes the bridge's and the upstream's answers: one redactor for all of it.
  const redact = createRedactor([options.token, options.upstream?.apiKey]);
  const results: ScenarioResult[] = [];
  let longContext: LongContextResult | undefined;
  let load: LoadResult | undefined;
  const measure = async <T extends ScenarioResult>(fn: () => Promise<T>) =>
    redactJson(await timed(client.now, fn), redact);
  const task = (
    id: string,
    title: string,
    skipTitle: string,
    run: () => Promise<ScenarioResult>,
  ): ProbeTask => ({
    id,
    title,
    run,
    skip: (reason) => {
      const result = skippedResult(id, skipTitle, reason);
      results.push(result);
      return result;
    },
  });

  const ids = selectedScenarioIds(options);
  const tasks = SCENARIOS.filter((s) => ids.includes(s.id)).map((scenario) =>
    task(scenario.id, scenario.title, scenario.title, async () => {
      const result = await measure(() => runScenario(client, scenario));
      results.push(result);
      return result;
    }),
  );
  if (options.longContext) {
    const lc = options.longContext;
    const title = `Long context: ${basename(lc.path)}`;
    tasks.push(
      task('long-context', title, title, async () => {
        longContext = await measure(() => runLongContext(client, lc.path, lc.content));
        return longContext;
      }),
    );
  }
  if (options.load) {
    const { requests, concurrency } = options.load;
    const title = `Load: ${requests} requests, ${concurrency} at a time${options.compareDirect ? ', and direct to the upstream' : ''}`;
    tasks.push(
      task('load', title, `Load: ${requests} requests`, async () => {
        load = await measure(() => runLoad(client, requests, concurrency));
        return load;
      }),
    );
  }

  return {
    tasks,
    report: () => buildReport(options, redact, results, longContext, load),
    close: () => client.http.close(),
  };
}

function buildReport(
  options: ProbeOptions,
  redact: (text: string) => string,
  results: ScenarioResult[],
  longContext: LongContextResult | undefined,
  load: LoadResult | undefined,
): ProbeReport {
  const all: ScenarioResult[] = [...results, ...(longContext ? [longContext] : []), ...(load ? [load] : [])];
  const tally: Record<ProbeStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of all) tally[r.status]++;
  return {
    url: redact(options.url),
    model: options.model,
    ok: tally.fail === 0,
    scenarios: results,
    ...(longContext ? { longContext } : {}),
    ...(load ? { load } : {}),
    tally,
  };
}

/**
 * Runs tasks as `dsb probe` does: once the health task finds no bridge answering at all, every
 * later task is skipped with that reason instead of failing the same way.
 */
export function skippingWhenUnreachable(url: string): (task: ProbeTask) => Promise<ScenarioResult> {
  const unreachable = `not run: no bridge answers at ${url}`;
  let bridgeDown = false;
  return async (task) => {
    if (bridgeDown) return task.skip(unreachable);
    const result = await task.run();
    if (result.id === 'health' && result.data?.unreachable === true) bridgeDown = true;
    return result;
  };
}

/** Runs every task in order (no progress display) and returns the report. */
export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const probe = createProbe(options);
  try {
    for (const task of probe.tasks) await task.run();
    return probe.report();
  } finally {
    await probe.close();
  }
}
