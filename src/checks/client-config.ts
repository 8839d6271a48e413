// Does Claude Code point at the bridge, everywhere it reads its settings? Compares ANTHROPIC_BASE_URL
// from the shell, ~/.claude/settings.json, the project's settings and VS Code's
// claudeCode.environmentVariables; flags conflicting auth variables and Bedrock/Vertex/Foundry switches
// that bypass ANTHROPIC_BASE_URL entirely; and the context window those settings give Claude Code.
import {
  claudeEnvSources,
  definitionsOf,
  type EnvSource,
  effectiveValue,
  sourceLabel,
  updateClaudeUserEnv,
} from './claude-env.js';
import { claudeWindowSettings, nonClaudeModelName } from './claude-window.js';
import {
  claudeWindowFix,
  claudeWindowFromSettings,
  describeClaudeWindow,
  formatWindow,
} from './claude-window-settings.js';
import type { Check, CheckContext, CheckOutcome, Fix } from './types.js';
import { upstreamWindow } from './upstream-context.js';
import { urlParts } from './util.js';

const TRUTHY = /^(1|true|yes|on)$/i;

/** Same scheme, host and port; the bridge is addressed without a path. */
export function sameBaseUrl(a: string, b: string): boolean {
  const pa = urlParts(a);
  const pb = urlParts(b);
  if (!pa || !pb) return false;
  const host = (h: string) => (h === 'localhost' ? '127.0.0.1' : h);
  return pa.protocol === pb.protocol && host(pa.host) === host(pb.host) && pa.port === pb.port;
}

function pointFix(ctx: CheckContext, extra: Record<string, string | undefined> = {}): Fix {
  const token = ctx.config.server.authToken;
  const changes: Record<string, string | undefined> = { ANTHROPIC_BASE_URL: ctx.bridgeUrl, ...extra };
  return {
    description: `point Claude Code at the bridge in ~/.claude/settings.json "env" (read by the CLI and the VS Code extension): ANTHROPIC_BASE_URL=${ctx.bridgeUrl}${token ? ' and ANTHROPIC_AUTH_TOKEN' : ''}; \`dsb init\` writes the full set`,
    commands: [
      'dsb doctor client-config --fix',
      'dsb init   # writes every setting (models, timeouts, VS Code)',
    ],
    apply: (c, options) => updateClaudeUserEnv(c, changes, options),
  };
}

interface WindowFinding {
  details: string[];
  data: Record<string, unknown>;
  /** Set when Claude Code is not told the upstream's window (a 1M default, a Claude model name…). */
  problem?: { level: 'warn'; text: string };
  fix?: Fix;
  /** The window variables to write, when the upstream's context is known. */
  settings: Record<string, string>;
}

/**
 * The window Claude Code's settings give it (claude-window.ts): it is told the upstream's only
 * through a non-Claude ANTHROPIC_MODEL together with CLAUDE_CODE_MAX_CONTEXT_TOKENS.
 */
async function claudeWindowFinding(ctx: CheckContext): Promise<WindowFinding> {
  const { window: cw } = await claudeWindowFromSettings(ctx);
  const finding: WindowFinding = {
    details: [describeClaudeWindow(cw), ...cw.notes],
    data: { claudeWindow: cw.window, claudeWindowSource: cw.source, claudeModel: cw.model },
    settings: {},
  };
  const told =
    cw.maxContextTokens !== undefined &&
    !cw.claudeModel &&
    (cw.source === 'max-context-tokens' || cw.source === 'auto-compact-window');
  if (told) return finding;
  const upstream = await upstreamWindow(ctx);
  finding.problem = {
    level: 'warn',
    text: `Claude Code uses a ${formatWindow(cw.window)} window, not the upstream's${upstream ? ` ${formatWindow(upstream.window)}` : ''}: it will not compact before the upstream overflows (needs a non-Claude ANTHROPIC_MODEL and CLAUDE_CODE_MAX_CONTEXT_TOKENS)`,
  };
  if (upstream) {
    finding.fix = claudeWindowFix(upstream.model, upstream.window);
    finding.settings = claudeWindowSettings(nonClaudeModelName(upstream.model), upstream.window);
  } else {
    finding.fix = {
      description:
        "start the upstream, then let doctor set Claude Code's window to its per-request context (a non-Claude ANTHROPIC_MODEL and CLAUDE_CODE_MAX_CONTEXT_TOKENS)",
      commands: ['dsb doctor --fix   # once the upstream answers'],
    };
  }
  return finding;
}

type Problem = { level: 'fail' | 'warn'; text: string };

/** What the steps below found: problems in the order seen, and the one fix to offer. */
interface Findings {
  problems: Problem[];
  /** A step that must win sets it (`=`); one that only offers a fallback keeps an earlier one (`??=`). */
  fix?: Fix;
}

/** The variables every "point Claude Code at the bridge" fix writes besides ANTHROPIC_BASE_URL. */
function authVariables(
  authToken: { value: string } | undefined,
  apiKey: { value: string } | undefined,
  bridgeToken: string | undefined,
): Record<string, string | undefined> {
  const extra: Record<string, string | undefined> = {};
  if (!authToken && !apiKey?.value) extra.ANTHROPIC_AUTH_TOKEN = bridgeToken ?? 'dsb';
  if (bridgeToken && authToken?.value !== bridgeToken) extra.ANTHROPIC_AUTH_TOKEN = bridgeToken;
  return extra;
}

/** ANTHROPIC_BASE_URL: set, the bridge, without /v1, the same everywhere, not only in this shell. */
function checkBaseUrl(
  ctx: CheckContext,
  sources: EnvSource[],
  extra: Record<string, string | undefined>,
  found: Findings,
): void {
  const baseDefs = definitionsOf(sources, 'ANTHROPIC_BASE_URL');
  const effective = effectiveValue(sources, 'ANTHROPIC_BASE_URL');
  const { problems } = found;
  if (!effective?.value) {
    const vscodeOnly = baseDefs.filter((d) => d.source.kind === 'vscode');
    problems.push({
      level: 'fail',
      text: vscodeOnly.length
        ? 'ANTHROPIC_BASE_URL is set only in VS Code settings: the claude CLI still talks to api.anthropic.com'
        : 'ANTHROPIC_BASE_URL is not set: Claude Code talks to api.anthropic.com, not to the bridge',
    });
    found.fix = pointFix(ctx, extra);
    return;
  }
  if (!sameBaseUrl(effective.value, ctx.bridgeUrl)) {
    problems.push({
      level: 'fail',
      text: `ANTHROPIC_BASE_URL=${effective.value} (${effective.source.name}) is not the bridge (${ctx.bridgeUrl})`,
    });
    found.fix = pointFix(ctx, extra);
  }
  if (/\/v1\/?$/.test(effective.value)) {
    problems.push({
      level: 'fail',
      text: 'ANTHROPIC_BASE_URL ends in /v1: Claude Code appends /v1/messages itself (…/v1/v1/messages is a 404)',
    });
    found.fix = pointFix(ctx, extra);
  }
  const disagreeing = baseDefs.filter((d) => d.value && !sameBaseUrl(d.value, effective.value));
  if (disagreeing.length) {
    problems.push({
      level: 'warn',
      text: `ANTHROPIC_BASE_URL differs between ${[effective.source, ...disagreeing.map((d) => d.source)].map((s: EnvSource) => s.name).join(', ')}: the CLI and VS Code may talk to different servers`,
    });
    found.fix ??= pointFix(ctx, extra);
  }
  const onlyShell = baseDefs.length > 0 && baseDefs.every((d) => d.source.kind === 'process');
  if (onlyShell) {
    problems.push({
      level: 'warn',
      text: 'ANTHROPIC_BASE_URL is set only in this shell: VS Code started from the dock/start menu and other terminals do not see it',
    });
    found.fix ??= pointFix(ctx, extra);
  }
}

/** Bedrock, Vertex and Foundry switches make Claude Code ignore ANTHROPIC_BASE_URL. */
function checkProviderSwitches(ctx: CheckContext, sources: EnvSource[], found: Findings): void {
  for (const name of ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY']) {
    const v = effectiveValue(sources, name);
    if (!v || !TRUTHY.test(v.value)) continue;
    found.problems.push({
      level: 'fail',
      text: `${name}=${v.value} (${v.source.name}): Claude Code then ignores ANTHROPIC_BASE_URL`,
    });
    found.fix = {
      description: `unset ${name} (shell profile and settings files)`,
      commands: [ctx.system.platform === 'win32' ? `Remove-Item Env:${name}` : `unset ${name}`],
      apply:
        v.source.kind === 'claude-user'
          ? (c, options) => updateClaudeUserEnv(c, { [name]: undefined }, options)
          : undefined,
    };
  }
}

/** ANTHROPIC_AUTH_TOKEN / ANTHROPIC_API_KEY: one of them, no real Anthropic key, the bridge's token. */
function checkAuth(
  ctx: CheckContext,
  sources: EnvSource[],
  extra: Record<string, string | undefined>,
  found: Findings,
): void {
  const authToken = effectiveValue(sources, 'ANTHROPIC_AUTH_TOKEN');
  const apiKey = effectiveValue(sources, 'ANTHROPIC_API_KEY');
  const bridgeToken = ctx.config.server.authToken;
  const { problems } = found;
  if (apiKey?.value && authToken?.value) {
    problems.push({
      level: 'warn',
      text: `both ANTHROPIC_API_KEY (${apiKey.source.name}) and ANTHROPIC_AUTH_TOKEN (${authToken.source.name}) are set: Claude Code asks which to use and may send the wrong one`,
    });
    found.fix ??= {
      description: 'keep ANTHROPIC_AUTH_TOKEN for the bridge and set ANTHROPIC_API_KEY to an empty string',
      commands: ['dsb doctor client-config --fix'],
      apply: (c, options) => updateClaudeUserEnv(c, { ANTHROPIC_API_KEY: '' }, options),
    };
  } else if (apiKey?.value?.startsWith('sk-ant-')) {
    problems.push({
      level: 'warn',
      text: `a real Anthropic key is set in ANTHROPIC_API_KEY (${apiKey.source.name}): it would be sent to the bridge`,
    });
    found.fix ??= {
      description: 'use ANTHROPIC_AUTH_TOKEN for the bridge and set ANTHROPIC_API_KEY to an empty string',
      commands: ['dsb doctor client-config --fix'],
      apply: (c, options) =>
        updateClaudeUserEnv(
          c,
          { ANTHROPIC_API_KEY: '', ANTHROPIC_AUTH_TOKEN: bridgeToken ?? 'dsb' },
          options,
        ),
    };
  } else if (!authToken && !apiKey?.value) {
    problems.push({
      level: 'warn',
      text: 'neither ANTHROPIC_AUTH_TOKEN nor ANTHROPIC_API_KEY is set: Claude Code asks you to log in to Anthropic',
    });
    found.fix ??= pointFix(ctx, extra);
  }
  if (bridgeToken && authToken && authToken.value !== bridgeToken) {
    problems.push({
      level: 'fail',
      text: "ANTHROPIC_AUTH_TOKEN does not match the bridge's auth token (server.authToken / DSB_AUTH_TOKEN): every request gets 401",
    });
    found.fix = pointFix(ctx, extra);
  }
}

/** The outcome: the first failure, else the first warning, else where ANTHROPIC_BASE_URL comes from. */
function outcomeOf(
  sources: EnvSource[],
  found: Findings,
  details: string[],
  data: Record<string, unknown>,
): CheckOutcome {
  const { problems, fix } = found;
  for (const p of problems) details.push(`${p.level === 'fail' ? '✗' : '!'} ${p.text}`);
  const failed = problems.filter((p) => p.level === 'fail');
  if (failed.length) return { status: 'fail', summary: failed[0]!.text, details, data, fix };
  if (problems.length) return { status: 'warn', summary: problems[0]!.text, details, data, fix };
  const effective = effectiveValue(sources, 'ANTHROPIC_BASE_URL')!;
  return {
    status: 'pass',
    summary: `ANTHROPIC_BASE_URL=${effective.value} (${effective.source.name})`,
    details,
    data,
  };
}

export const clientConfigCheck: Check = {
  id: 'client-config',
  title: 'Claude Code settings',
  required: true,
  description:
    'ANTHROPIC_BASE_URL from the shell, ~/.claude/settings.json, project and VS Code settings agree and point to the bridge; no conflicting auth or Bedrock/Vertex switches.',
  async run(ctx): Promise<CheckOutcome> {
    const sources = await claudeEnvSources(ctx);
    const found: Findings = { problems: [] };
    for (const s of sources)
      if (s.parseError)
        found.problems.push({ level: 'fail', text: `${sourceLabel(s)} is not valid JSON: ${s.parseError}` });

    const details = definitionsOf(sources, 'ANTHROPIC_BASE_URL').map(
      (d) => `ANTHROPIC_BASE_URL=${d.value || '(empty)'} in ${sourceLabel(d.source)}`,
    );
    const effective = effectiveValue(sources, 'ANTHROPIC_BASE_URL');
    const data: Record<string, unknown> = {
      bridgeUrl: ctx.bridgeUrl,
      baseUrl: effective?.value ?? null,
      baseUrlSource: effective?.source.name ?? null,
      sources: sources.map((s) => ({ name: s.name, file: s.file ?? null, keys: Object.keys(s.env) })),
    };
    const extra = authVariables(
      effectiveValue(sources, 'ANTHROPIC_AUTH_TOKEN'),
      effectiveValue(sources, 'ANTHROPIC_API_KEY'),
      ctx.config.server.authToken,
    );

    // Computed first so that every settings fix below writes the window variables too.
    const windowFinding = await claudeWindowFinding(ctx);
    Object.assign(data, windowFinding.data);
    Object.assign(extra, windowFinding.settings);

    checkBaseUrl(ctx, sources, extra, found);
    checkProviderSwitches(ctx, sources, found);
    checkAuth(ctx, sources, extra, found);

    details.push(...windowFinding.details);
    if (windowFinding.problem) found.problems.push(windowFinding.problem);
    found.fix ??= windowFinding.fix;
    return outcomeOf(sources, found, details, data);
  },
};
