// Asks Claude Code itself which context window it uses: runs the user's own `claude -p "/context"`
// (their settings and environment; /context counts locally and does not call the model) and
// compares the window it prints (`**Tokens:** 12.8k / 65.5k (20%)`) with the upstream's
// per-request context. The other checks infer the window from the settings (claude-window.ts);
// this one verifies the inference against the client. With --fix, the runner re-runs it after the
// settings are written, so the report shows whether the change took.
import { parseContextReport, reportedWindowIs } from './claude-window.js';
import { claudeWindowFix, formatWindow } from './claude-window-settings.js';
import type { Check, CheckContext, CheckOutcome } from './types.js';
import { upstreamWindow } from './upstream-context.js';

/** How long `claude -p "/context"` may take (about 3 s on an idle machine, much more on a busy one). */
export const CLAUDE_CONTEXT_TIMEOUT_MS = 45_000;

/**
 * The arguments: print mode, no session written to the user's history, none of the user's MCP
 * servers started (they could reach the network), and only two settings added on top of theirs,
 * with the highest precedence (`--settings`): the bridge as base URL, so that nothing could ever go
 * to api.anthropic.com, and no nonessential traffic (telemetry, update checks).
 */
export function claudeContextArgs(bridgeUrl: string): string[] {
  return [
    '-p',
    '/context',
    '--no-session-persistence',
    '--strict-mcp-config',
    '--settings',
    JSON.stringify({
      env: { ANTHROPIC_BASE_URL: bridgeUrl, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
    }),
  ];
}

export type ClaudeContextAnswer =
  | { kind: 'not-installed' }
  | { kind: 'failed'; message: string }
  | { kind: 'report'; window: number; precision: number; model?: string; printed: string; warning?: string };

/** Runs `claude -p "/context"` the way the user would, through the check context. */
export async function askClaudeContext(ctx: CheckContext): Promise<ClaudeContextAnswer> {
  const result = await ctx.system.exec('claude', claudeContextArgs(ctx.bridgeUrl), {
    timeoutMs: CLAUDE_CONTEXT_TIMEOUT_MS,
    cwd: ctx.system.cwd,
    env: {
      ...ctx.system.env,
      ANTHROPIC_BASE_URL: ctx.bridgeUrl,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    },
    extendEnv: false,
  });
  if (result.notFound) return { kind: 'not-installed' };
  const report = result.exitCode === 0 ? parseContextReport(result.stdout) : undefined;
  if (!report) {
    const why = result.timedOut
      ? `timed out after ${CLAUDE_CONTEXT_TIMEOUT_MS / 1000} s`
      : `exit ${result.exitCode}: ${(result.stderr || result.stdout).trim().split('\n').slice(0, 3).join(' ').slice(0, 300)}`;
    return { kind: 'failed', message: why };
  }
  const printed = result.stdout.match(/\*\*Tokens:\*\*[^\n]*/)?.[0]?.trim() ?? '';
  // e.g. `Claude Code doesn't recognize the model "x", so it assumes a context window of 1m tokens.`
  const warning = `${result.stderr}\n${result.stdout}`
    .split('\n')
    .find((l) => /doesn't recognize the model|CLAUDE_CODE_AUTO_COMPACT_WINDOW/.test(l))
    ?.trim();
  return { kind: 'report', ...report, printed, ...(warning ? { warning } : {}) };
}

export const clientContextCheck: Check = {
  id: 'client-context',
  title: "Claude Code's own context window",
  required: false,
  description:
    'Runs your `claude -p "/context"` (your settings, pointed at the bridge; /context does not call the model) and compares the window it reports with the upstream\'s per-request context.',
  dependsOn: ['upstream-context'],
  timeoutMs: CLAUDE_CONTEXT_TIMEOUT_MS + 5_000,
  async run(ctx): Promise<CheckOutcome> {
    const upstream = await upstreamWindow(ctx);
    if (!upstream)
      return {
        status: 'skip',
        summary: "the upstream's per-request context is not known (see Upstream context window)",
      };
    const answer = await askClaudeContext(ctx);
    if (answer.kind === 'not-installed')
      return { status: 'skip', summary: 'the claude CLI is not on PATH: nothing to ask' };
    if (answer.kind === 'failed')
      return {
        status: 'warn',
        summary: `claude -p "/context" did not report a window (${answer.message})`,
        details: ['run it yourself to see why: claude -p "/context"'],
      };
    const data = {
      reportedWindow: answer.window,
      reportedModel: answer.model ?? null,
      upstreamWindow: upstream.window,
    };
    const details = [
      `claude -p "/context": ${answer.printed}${answer.model ? ` (model ${answer.model})` : ''}`,
    ];
    if (answer.warning) details.push(answer.warning);
    if (reportedWindowIs(answer, upstream.window))
      return {
        status: 'pass',
        summary: `Claude Code reports the upstream's ${formatWindow(upstream.window)} window`,
        details,
        data,
      };
    return {
      status: 'warn',
      summary: `Claude Code reports a ${formatWindow(answer.window)} window, the upstream has ${formatWindow(upstream.window)} per request: ${answer.window > upstream.window ? 'it will not compact before requests overflow' : 'it compacts earlier than it needs to'}`,
      details,
      data,
      fix: claudeWindowFix(upstream.model, upstream.window),
    };
  },
};
