// Claude Code's effective window as its settings give it (claude-window.ts applied to the variables
// from the shell and every settings file, claude-env.ts), compared with the upstream's per-request
// context, and the fix that makes them agree: a non-Claude ANTHROPIC_MODEL (the upstream's model
// id) for the main model, the three tiers and subagents, plus CLAUDE_CODE_MAX_CONTEXT_TOKENS,
// written to ~/.claude/settings.json. Shared by upstream-context, client-config and client-context.

import {
  claudeEnvSources,
  claudeUserSettingsFile,
  type EnvSource,
  effectiveValue,
  sourceLabel,
  updateClaudeUserEnv,
} from './claude-env.js';
import {
  CLAUDE_MODEL_VARIABLES,
  type ClaudeWindow,
  claudeEffectiveWindow,
  claudeWindowSettings,
  nonClaudeModelName,
} from './claude-window.js';
import type { CheckContext, Fix } from './types.js';
import { formatTokens } from './util.js';

/** Every variable that decides the window. */
const WINDOW_VARIABLES = [
  ...CLAUDE_MODEL_VARIABLES,
  'CLAUDE_CODE_MAX_CONTEXT_TOKENS',
  'CLAUDE_CODE_AUTO_COMPACT_WINDOW',
] as const;

export interface ClaudeWindowFromSettings {
  window: ClaudeWindow;
  /** Where each window variable that is set comes from. */
  origins: Record<string, EnvSource>;
}

export async function claudeWindowFromSettings(ctx: CheckContext): Promise<ClaudeWindowFromSettings> {
  const sources = await claudeEnvSources(ctx);
  const env: Record<string, string | undefined> = {};
  const origins: Record<string, EnvSource> = {};
  for (const key of WINDOW_VARIABLES) {
    const v = effectiveValue(sources, key);
    if (v) {
      env[key] = v.value;
      origins[key] = v.source;
    }
  }
  return { window: claudeEffectiveWindow(env), origins };
}

/** 65536 → "64K (65536)", 1000000 → "1M (1000000)", 200000 → "200K (200000)". */
export function formatWindow(n: number): string {
  if (n % 1024 === 0) return formatTokens(n);
  if (n % 1_000_000 === 0) return `${n / 1_000_000}M (${n})`;
  if (n % 1000 === 0) return `${n / 1000}K (${n})`;
  return formatTokens(n);
}

/** One line for a report: the window, and why. */
export function describeClaudeWindow(w: ClaudeWindow): string {
  return `Claude Code's window: ${formatWindow(w.window)} tokens, because ${w.reason}`;
}

/**
 * Makes Claude Code use `window`: writes the model variables and CLAUDE_CODE_MAX_CONTEXT_TOKENS into
 * ~/.claude/settings.json "env" (merged, atomic, backed up).
 */
export function claudeWindowFix(upstreamModel: string | undefined, window: number): Fix {
  const model = nonClaudeModelName(upstreamModel);
  const settings = claudeWindowSettings(model, window);
  return {
    description: `make Claude Code use the upstream's ${window}-token window: in ~/.claude/settings.json "env", ANTHROPIC_MODEL=${model} (a non-Claude name: for Claude model names Claude Code ignores CLAUDE_CODE_MAX_CONTEXT_TOKENS and assumes 200K or 1M), the same model for the Opus/Sonnet/Haiku tiers and subagents, and CLAUDE_CODE_MAX_CONTEXT_TOKENS=${window}`,
    commands: [
      'dsb doctor --fix   # asks before writing',
      `# or add to "env" in ~/.claude/settings.json: ${Object.entries(settings)
        .map(([k, v]) => `"${k}": "${v}"`)
        .join(', ')}`,
    ],
    apply: (c, options) => updateClaudeUserEnv(c, settings, options),
  };
}

export interface WindowComparison {
  details: string[];
  data: Record<string, unknown>;
  /** Set when Claude Code's window is not the upstream's (and not deliberately smaller). */
  problem?: { summary: string; fix: Fix };
}

/** Claude Code's effective window against the upstream's per-request context. */
export async function compareClaudeWindow(
  ctx: CheckContext,
  upstreamModel: string | undefined,
  upstreamWindow: number,
): Promise<WindowComparison> {
  const { window: cw, origins } = await claudeWindowFromSettings(ctx);
  const details = [describeClaudeWindow(cw), ...cw.notes];
  const userFile = claudeUserSettingsFile(ctx);
  // (Run in the home folder, the project settings ARE the user settings.)
  for (const [key, source] of Object.entries(origins))
    if ((source.kind === 'claude-project' || source.kind === 'claude-local') && source.file !== userFile)
      details.push(`${key} is set in ${sourceLabel(source)}, which overrides ~/.claude/settings.json`);
  const data: Record<string, unknown> = {
    claudeWindow: cw.window,
    claudeWindowSource: cw.source,
    claudeModel: cw.model,
    claudeMaxContextTokens: cw.maxContextTokens ?? null,
  };
  if (cw.window === upstreamWindow) return { details, data };
  if (cw.window < upstreamWindow && cw.source === 'auto-compact-window') {
    details.push(
      `CLAUDE_CODE_AUTO_COMPACT_WINDOW makes Claude Code compact before the upstream's ${formatTokens(upstreamWindow)} are used: your choice, not a problem`,
    );
    return { details, data };
  }
  const consequence =
    cw.window > upstreamWindow
      ? `it will not compact before requests overflow the upstream's ${formatTokens(upstreamWindow)}, and long sessions end in "prompt is too long"`
      : `it compacts long before the upstream's ${formatTokens(upstreamWindow)} are used`;
  details.push(`! Claude Code's window is ${cw.window}, the upstream's is ${upstreamWindow}: ${consequence}`);
  return {
    details,
    data,
    problem: {
      summary: `${formatTokens(upstreamWindow)} tokens per request, but Claude Code uses a ${formatWindow(cw.window)} window (${cw.source === 'max-context-tokens' ? `CLAUDE_CODE_MAX_CONTEXT_TOKENS=${cw.maxContextTokens}` : cw.source === 'auto-compact-window' ? 'CLAUDE_CODE_AUTO_COMPACT_WINDOW' : `model ${cw.model}`})`,
      fix: claudeWindowFix(upstreamModel, upstreamWindow),
    },
  };
}
