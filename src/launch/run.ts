// `dsb launch --run`: starts the generated server command, streams its log, waits until it answers,
// then asks it which context it really got (it may differ from the one asked for: `--fit`, VRAM).

import { DsbError } from '../errors.js';
import { renderCommand } from '../shell/command.js';
import type { ShellKind } from '../shell/kind.js';
import type { SpawnExit, SpawnedProcess, SystemContext } from '../system/context.js';
import { probeUpstreamContext } from './context-probe.js';
import type { LaunchPlan } from './generate.js';

export class LaunchError extends DsbError {
  constructor(
    message: string,
    readonly exit?: SpawnExit,
  ) {
    super('LAUNCH_FAILED', message);
    this.name = 'LaunchError';
  }
}

export interface RunOptions {
  /** Give up (and stop the server) when it has not answered within this time. */
  readyTimeoutMs: number;
  pollIntervalMs?: number;
  /** Each chunk of the server's output. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Progress messages (waiting, running a follow-up command). */
  onProgress?: (message: string) => void;
  shell?: ShellKind;
}

export interface ReadyReport {
  baseUrl: string;
  /** Milliseconds from start to the first successful readiness check. */
  readyAfterMs: number;
  requestedCtx: number;
  /** What the server reports, when it reports it. */
  actualCtx?: number;
  ctxSource?: string;
  /** The server serves less context than was asked for. */
  ctxShortfall: boolean;
  servedModel: string;
}

export interface RunningServer {
  process: SpawnedProcess;
  ready: ReadyReport;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startAndWait(
  ctx: SystemContext,
  plan: LaunchPlan,
  options: RunOptions,
): Promise<RunningServer> {
  if (!ctx.spawn) throw new LaunchError('this system context cannot start processes');
  for (const file of plan.files) await ctx.writeFileAtomic(file.path, file.content);
  const started = ctx.now();
  const child = ctx.spawn(plan.server.program, plan.server.args, {
    env: plan.server.env,
    onOutput: options.onOutput,
  });
  await waitUntilReady(ctx, plan, child, started, options);
  const readyAfterMs = ctx.now() - started;
  await runAfterReady(ctx, plan, child, options);

  const probe = await probeUpstreamContext(ctx, plan.baseUrl, plan.backend, {
    timeoutMs: 5000,
    model: plan.servedModel,
  });
  return {
    process: child,
    ready: {
      baseUrl: plan.baseUrl,
      readyAfterMs,
      requestedCtx: plan.ctxSize,
      actualCtx: probe.ctxSize,
      ctxSource: probe.source,
      ctxShortfall: probe.ctxSize !== undefined && probe.ctxSize < plan.ctxSize,
      servedModel: plan.servedModel,
    },
  };
}

/** Polls the readiness URL until it answers 200; throws when the server exits or the time is up. */
async function waitUntilReady(
  ctx: SystemContext,
  plan: LaunchPlan,
  child: SpawnedProcess,
  started: number,
  options: RunOptions,
): Promise<void> {
  let exit: SpawnExit | undefined;
  void child.exited.then((e) => {
    exit = e;
  });
  const url = `${plan.baseUrl}${plan.readinessPath}`;
  const interval = options.pollIntervalMs ?? 500;
  options.onProgress?.(`waiting for ${url} to answer 200`);
  for (;;) {
    if (exit) throw new LaunchError(describeExit(plan, exit), exit);
    if (ctx.now() - started > options.readyTimeoutMs) {
      child.kill('SIGTERM');
      await Promise.race([child.exited, sleep(5000)]);
      throw new LaunchError(
        `${plan.server.description} did not answer ${url} within ${Math.round(options.readyTimeoutMs / 1000)} s (stopped it); a large model may need a longer --timeout`,
      );
    }
    try {
      const res = await ctx.http(url, { timeoutMs: 2000 });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await Promise.race([sleep(interval), child.exited]);
  }
}

function describeExit(plan: LaunchPlan, e: SpawnExit): string {
  if (e.notFound) {
    return `${plan.server.program} was not found on PATH: install it or pass --bin with its full path`;
  }
  if (e.error) return `${plan.server.description} could not start: ${e.error}`;
  return `${plan.server.description} exited (${e.signal ? `signal ${e.signal}` : `code ${e.exitCode}`}) before it was ready: see its log above`;
}

/** The one-off commands once the server answers (Ollama: create the model); a failure stops the server. */
async function runAfterReady(
  ctx: SystemContext,
  plan: LaunchPlan,
  child: SpawnedProcess,
  options: RunOptions,
): Promise<void> {
  for (const step of plan.afterReady) {
    options.onProgress?.(`running: ${renderCommand(step, options.shell ?? 'sh')}`);
    const res = await ctx.exec(step.program, step.args, {
      env: { ...ctx.env, ...step.env },
      timeoutMs: 30 * 60_000,
    });
    if (res.exitCode !== 0) {
      child.kill('SIGTERM');
      throw new LaunchError(
        `${step.description} failed (${res.notFound ? 'not found' : `exit ${res.exitCode}`}): ${(res.stderr || res.stdout).trim()}`,
      );
    }
  }
}
