// Claude Code's EFFECTIVE context window from its settings — PURE. One place for the rules of
// design.md §6, measured with the real Claude Code 2.1.331 (`claude -p "/context"` prints
// `**Tokens:** 12.8k / 65.5k`):
//   - No ANTHROPIC_MODEL: the default model, Opus, with a 1M window ("claude-opus-5-5"; with
//     ANTHROPIC_DEFAULT_OPUS_MODEL=x the default becomes "x[1m]": still 1M).
//   - A Claude model (an alias opus/sonnet/haiku/… or a claude-… id): Claude Code's own window for it
//     (1M for the current models, 200K for claude-sonnet-4-5); CLAUDE_CODE_MAX_CONTEXT_TOKENS is
//     IGNORED. An alias whose tier variable names another model (ANTHROPIC_MODEL=opus with
//     ANTHROPIC_DEFAULT_OPUS_MODEL=deepseek) is that model.
//   - A name with the `[1m]` suffix: 1M.
//   - Any other (non-Claude) name: CLAUDE_CODE_MAX_CONTEXT_TOKENS (read like parseInt: "64k" is 64),
//     else 1M ("Claude Code doesn't recognize the model … assumes a context window of 1m tokens").
//   - CLAUDE_CODE_AUTO_COMPACT_WINDOW (accepts 200k, 0.5m, 150,000), when usable, caps the window;
//     below 100,000 it is raised to 100,000, so it cannot describe a 64K server.
// Measured also: an unknown claude-… id (claude-foo) is treated like a non-Claude name today, but
// Claude Code's model table grows with every release, so dsb counts every claude-… name as Claude.
//
// Used by doctor's upstream-context, client-config and client-context checks, by their fixes and
// (through the same settings) by `dsb init`.

/** Claude Code 2.1.331's window for its default model and for names it does not know. */
export const CLAUDE_DEFAULT_WINDOW = 1_000_000;
/** CLAUDE_CODE_AUTO_COMPACT_WINDOW below this is raised to it (Claude Code prints a warning). */
export const AUTO_COMPACT_MINIMUM = 100_000;
/** The model Claude Code 2.1.331 uses when ANTHROPIC_MODEL is unset. */
export const CLAUDE_DEFAULT_MODEL = 'claude-opus-5-5';

/** Claude Code's model aliases (`/model` and ANTHROPIC_MODEL accept them). */
const TIER_ALIASES = ['opus', 'sonnet', 'haiku'] as const;
const OTHER_ALIASES = new Set(['best', 'opusplan', 'default']);
const TIER_VARIABLE: Record<(typeof TIER_ALIASES)[number], string> = {
  opus: 'ANTHROPIC_DEFAULT_OPUS_MODEL',
  sonnet: 'ANTHROPIC_DEFAULT_SONNET_MODEL',
  haiku: 'ANTHROPIC_DEFAULT_HAIKU_MODEL',
};
/** Claude models whose window is not 1M on 2.1.331 (measured). */
const KNOWN_CLAUDE_WINDOWS: Record<string, number> = { 'claude-sonnet-4-5': 200_000 };

export type ClaudeWindowSource =
  /** ANTHROPIC_MODEL unset: the default Opus. */
  | 'default-model'
  /** A Claude model name: Claude Code's own table. */
  | 'claude-model'
  /** A `[1m]` name. */
  | 'one-million-suffix'
  /** A non-Claude name with CLAUDE_CODE_MAX_CONTEXT_TOKENS: the window dsb wants. */
  | 'max-context-tokens'
  /** A non-Claude name without (a usable) CLAUDE_CODE_MAX_CONTEXT_TOKENS. */
  | 'unrecognized-model'
  /** CLAUDE_CODE_AUTO_COMPACT_WINDOW capped what the model gives. */
  | 'auto-compact-window';

export interface ClaudeWindow {
  /** Tokens Claude Code believes one request may hold (what `/context` prints after the `/`). */
  window: number;
  source: ClaudeWindowSource;
  /** One sentence: why it is this window. */
  reason: string;
  /** The model name Claude Code will send (after aliases and tier variables). */
  model: string;
  /** The model counts as Claude: CLAUDE_CODE_MAX_CONTEXT_TOKENS cannot set the window. */
  claudeModel: boolean;
  /** CLAUDE_CODE_MAX_CONTEXT_TOKENS as Claude Code reads it (undefined: unset or unusable). */
  maxContextTokens?: number;
  /** A setting Claude Code ignores or changes, said plainly (unusable value, raised minimum). */
  notes: string[];
}

export type ClaudeEnv = Readonly<Record<string, string | undefined>>;

const ONE_M = /\[1m\]$/i;

/** A name Claude Code resolves to one of its own models (or may, in a later release). */
export function isClaudeModelName(name: string): boolean {
  const bare = name.trim().replace(ONE_M, '').toLowerCase();
  return (
    (TIER_ALIASES as readonly string[]).includes(bare) || OTHER_ALIASES.has(bare) || bare.includes('claude')
  );
}

/** Claude Code reads CLAUDE_CODE_MAX_CONTEXT_TOKENS with parseInt; 0, negative or no digits: unset. */
export function parseMaxContextTokens(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** CLAUDE_CODE_AUTO_COMPACT_WINDOW: `150000`, `150,000`, `1.5e5`, `200k`, `0.5m`; undefined if unusable. */
export function parseAutoCompactWindow(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = value
    .trim()
    .replace(/[,_\s]/g, '')
    .match(/^(\d+(?:\.\d+)?(?:e\d+)?)([km])?$/i);
  if (!m) return undefined;
  const scale = m[2]?.toLowerCase() === 'm' ? 1_000_000 : m[2] ? 1_000 : 1;
  const n = Math.round(Number(m[1]) * scale);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

interface ModelWindow {
  model: string;
  window: number;
  source: ClaudeWindowSource;
  reason: string;
  claudeModel: boolean;
}

function modelWindow(env: ClaudeEnv, maxContext: number | undefined): ModelWindow {
  const asked = env.ANTHROPIC_MODEL?.trim();
  if (!asked) {
    const opus = env.ANTHROPIC_DEFAULT_OPUS_MODEL?.trim();
    const model = opus ? `${opus.replace(ONE_M, '')}[1m]` : CLAUDE_DEFAULT_MODEL;
    return {
      model,
      window: CLAUDE_DEFAULT_WINDOW,
      source: 'default-model',
      claudeModel: !opus || isClaudeModelName(opus),
      reason: `ANTHROPIC_MODEL is not set: Claude Code uses its default model (Opus${opus ? `, sent as ${model}` : ''}) with a 1M window and ignores CLAUDE_CODE_MAX_CONTEXT_TOKENS`,
    };
  }
  let model = asked;
  const bare = asked.replace(ONE_M, '').toLowerCase();
  const tier = TIER_ALIASES.find((t) => t === bare);
  const tierModel = tier ? env[TIER_VARIABLE[tier]]?.trim() : undefined;
  if (tier && tierModel) model = ONE_M.test(asked) ? `${tierModel}[1m]` : tierModel;
  if (ONE_M.test(model)) {
    return {
      model,
      window: CLAUDE_DEFAULT_WINDOW,
      source: 'one-million-suffix',
      claudeModel: isClaudeModelName(model),
      reason: `the model ${model} ends in [1m]: Claude Code gives it a 1M window`,
    };
  }
  if (isClaudeModelName(model)) {
    const window = KNOWN_CLAUDE_WINDOWS[model.toLowerCase()] ?? CLAUDE_DEFAULT_WINDOW;
    return {
      model,
      window,
      source: 'claude-model',
      claudeModel: true,
      reason: `ANTHROPIC_MODEL=${asked} is a Claude model: Claude Code uses its own window for it (${window === CLAUDE_DEFAULT_WINDOW ? '1M' : `${window / 1000}K`}) and ignores CLAUDE_CODE_MAX_CONTEXT_TOKENS`,
    };
  }
  if (maxContext !== undefined) {
    return {
      model,
      window: maxContext,
      source: 'max-context-tokens',
      claudeModel: false,
      reason: `ANTHROPIC_MODEL=${model} is not a Claude model, so Claude Code takes CLAUDE_CODE_MAX_CONTEXT_TOKENS=${maxContext}`,
    };
  }
  return {
    model,
    window: CLAUDE_DEFAULT_WINDOW,
    source: 'unrecognized-model',
    claudeModel: false,
    reason: `ANTHROPIC_MODEL=${model} is not a model Claude Code knows and CLAUDE_CODE_MAX_CONTEXT_TOKENS is not set (or not a positive number): it assumes a 1M window`,
  };
}

/** Claude Code's effective window for the environment it will see (settings `env` merged over the shell). */
export function claudeEffectiveWindow(env: ClaudeEnv): ClaudeWindow {
  const notes: string[] = [];
  const rawMax = env.CLAUDE_CODE_MAX_CONTEXT_TOKENS;
  const maxContextTokens = parseMaxContextTokens(rawMax);
  if (rawMax !== undefined && maxContextTokens === undefined)
    notes.push(`CLAUDE_CODE_MAX_CONTEXT_TOKENS=${rawMax} is not a positive number: Claude Code ignores it`);
  else if (rawMax !== undefined && String(maxContextTokens) !== rawMax.trim())
    notes.push(
      `CLAUDE_CODE_MAX_CONTEXT_TOKENS=${rawMax} reads as ${maxContextTokens} (only the leading digits count)`,
    );
  const base = modelWindow(env, maxContextTokens);
  const result: ClaudeWindow = { ...base, maxContextTokens, notes };

  const rawAuto = env.CLAUDE_CODE_AUTO_COMPACT_WINDOW;
  if (rawAuto !== undefined) {
    const parsed = parseAutoCompactWindow(rawAuto);
    if (parsed === undefined) {
      notes.push(`CLAUDE_CODE_AUTO_COMPACT_WINDOW=${rawAuto} is not a usable size: Claude Code ignores it`);
    } else {
      const auto = Math.max(parsed, AUTO_COMPACT_MINIMUM);
      if (parsed < AUTO_COMPACT_MINIMUM)
        notes.push(
          `CLAUDE_CODE_AUTO_COMPACT_WINDOW=${rawAuto} is raised to Claude Code's minimum of 100,000: it cannot describe a smaller server`,
        );
      if (auto < result.window) {
        result.reason = `${result.reason}; CLAUDE_CODE_AUTO_COMPACT_WINDOW=${rawAuto} caps it at ${auto}`;
        result.window = auto;
        result.source = 'auto-compact-window';
      }
    }
  }
  return result;
}

/**
 * A model name for ANTHROPIC_MODEL that Claude Code does not take for one of its own: the upstream's
 * model id (a GGUF path becomes its file name without `.gguf`; a `[1m]` suffix is dropped);
 * `deepseek` when that is empty or looks like Claude.
 */
export function nonClaudeModelName(upstreamModel: string | undefined): string {
  let name = (upstreamModel ?? '').trim().replace(ONE_M, '');
  if (/\.gguf$/i.test(name)) name = (name.split(/[\\/]/).pop() ?? '').replace(/\.gguf$/i, '');
  return name && !isClaudeModelName(name) ? name : 'deepseek';
}

/** The model variables Claude Code reads: the main model, its three tiers and subagents. */
export const CLAUDE_MODEL_VARIABLES = [
  'ANTHROPIC_MODEL',
  'ANTHROPIC_DEFAULT_OPUS_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL',
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  'CLAUDE_CODE_SUBAGENT_MODEL',
] as const;

/**
 * The settings that give Claude Code the upstream's window: every model variable set to one
 * non-Claude name (so no tier or subagent falls back to a 1M Claude model), and
 * CLAUDE_CODE_MAX_CONTEXT_TOKENS. What doctor's fixes write; `dsb init` writes the same through
 * templates/claude-settings.json (tested in test/checks/claude-window.test.ts).
 */
export function claudeWindowSettings(model: string, contextTokens: number): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const name of CLAUDE_MODEL_VARIABLES) settings[name] = model;
  settings.CLAUDE_CODE_MAX_CONTEXT_TOKENS = String(contextTokens);
  return settings;
}

/**
 * The window in `claude -p "/context"` output (`**Tokens:** 12.8k / 65.5k (20%)`), in tokens, and
 * how precisely it was printed (65.5k: ±50 tokens; 1m: ±50,000).
 */
export function parseContextReport(
  stdout: string,
): { window: number; precision: number; model?: string } | undefined {
  const m = stdout.match(/\*\*Tokens:\*\*\s*[\d.,]+\s*[km]?\s*\/\s*([\d.,]+)\s*([km])?/i);
  if (!m) return undefined;
  const digits = m[1]!.replace(/,/g, '');
  const unit = m[2]?.toLowerCase();
  const scale = unit === 'm' ? 1_000_000 : unit === 'k' ? 1_000 : 1;
  const window = Math.round(Number(digits) * scale);
  if (!Number.isFinite(window) || window <= 0) return undefined;
  const model = stdout.match(/\*\*Model:\*\*\s*(\S+)/)?.[1];
  // Claude Code prints one decimal and drops a trailing `.0` ("1m", "65.5k"): ±0.05 of the unit.
  return { window, precision: scale / 20 >= 1 ? scale / 20 : 0, ...(model ? { model } : {}) };
}

/** Whether a window printed by `/context` is `tokens` (within its rounding). */
export function reportedWindowIs(report: { window: number; precision: number }, tokens: number): boolean {
  return Math.abs(report.window - tokens) <= report.precision;
}

/**
 * The command line that starts Claude Code on the bridge with the upstream's window. Without a
 * non-Claude ANTHROPIC_MODEL, Claude Code ignores CLAUDE_CODE_MAX_CONTEXT_TOKENS and assumes 1M
 * (README, "Claude Code's context window"), so both go together; without a known context, neither.
 */
export function claudeCodeCommand(options: {
  bridgeUrl: string;
  /** The upstream's model as configured (a non-Claude name is derived from it). */
  upstreamModel: string | undefined;
  contextSize: number | undefined;
  /** Whether the bridge wants a token: then the user's own, never printed. */
  authToken: boolean;
}): string {
  const vars = [
    `ANTHROPIC_BASE_URL=${options.bridgeUrl}`,
    options.authToken ? 'ANTHROPIC_AUTH_TOKEN="$DSB_AUTH_TOKEN"' : 'ANTHROPIC_AUTH_TOKEN=dsb',
  ];
  if (options.contextSize !== undefined) {
    vars.push(
      `ANTHROPIC_MODEL=${nonClaudeModelName(options.upstreamModel)}`,
      `CLAUDE_CODE_MAX_CONTEXT_TOKENS=${options.contextSize}`,
    );
  }
  return `${vars.join(' ')} claude`;
}
