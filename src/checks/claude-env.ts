// Where Claude Code's environment comes from (design.md §6): the shell environment, the `env` object
// of ~/.claude/settings.json (read by the CLI and the VS Code extension), the project's
// .claude/settings.json and .claude/settings.local.json, and VS Code's
// `claudeCode.environmentVariables` ([{name, value}]). Also the one writer doctor's fixes use:
// a merge into ~/.claude/settings.json `env`, atomic and backed up.
import path from 'node:path';
import { applyEdits, modify, type ParseError, parse } from 'jsonc-parser';
import type { CheckContext } from './types.js';
import { isObject } from './util.js';

export interface EnvSource {
  /** Human name: "shell environment", "~/.claude/settings.json"… */
  name: string;
  file?: string;
  kind: 'process' | 'claude-user' | 'claude-project' | 'claude-local' | 'vscode';
  env: Record<string, string>;
  /** The file exists but is not valid JSON(C). */
  parseError?: string;
}

/** Variables doctor reads; the shell environment is filtered to these so reports stay small. */
export const CLAUDE_ENV_KEYS = [
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_MODEL',
  'ANTHROPIC_DEFAULT_OPUS_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL',
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  'CLAUDE_CODE_SUBAGENT_MODEL',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY',
  'CLAUDE_CODE_MAX_CONTEXT_TOKENS',
  'CLAUDE_CODE_AUTO_COMPACT_WINDOW',
  'CLAUDE_CODE_MAX_OUTPUT_TOKENS',
  'API_TIMEOUT_MS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'no_proxy',
] as const;

export function pathApi(ctx: CheckContext): typeof path.posix {
  return ctx.system.platform === 'win32' ? path.win32 : path.posix;
}

export function claudeConfigDir(ctx: CheckContext): string {
  return ctx.system.env.CLAUDE_CONFIG_DIR || pathApi(ctx).join(ctx.system.homedir, '.claude');
}

export function claudeUserSettingsFile(ctx: CheckContext): string {
  return pathApi(ctx).join(claudeConfigDir(ctx), 'settings.json');
}

/** VS Code's user settings.json per OS (stable channel), plus the WSL / SSH remote machine settings. */
export function vscodeSettingsFiles(ctx: CheckContext): string[] {
  const p = pathApi(ctx);
  const { env, homedir, platform } = ctx.system;
  if (platform === 'win32') {
    const appData = env.APPDATA || p.join(homedir, 'AppData', 'Roaming');
    return [p.join(appData, 'Code', 'User', 'settings.json')];
  }
  if (platform === 'darwin')
    return [p.join(homedir, 'Library', 'Application Support', 'Code', 'User', 'settings.json')];
  const xdg = env.XDG_CONFIG_HOME || p.join(homedir, '.config');
  return [
    p.join(xdg, 'Code', 'User', 'settings.json'),
    p.join(homedir, '.vscode-server', 'data', 'Machine', 'settings.json'),
  ];
}

function parseJsonc(text: string): { value: unknown; error?: string } {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  return errors.length ? { value, error: `invalid JSON at offset ${errors[0]?.offset}` } : { value };
}

function stringEnv(obj: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(obj)) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

async function settingsSource(
  ctx: CheckContext,
  file: string,
  name: string,
  kind: EnvSource['kind'],
): Promise<EnvSource | undefined> {
  const text = await ctx.system.readFile(file);
  if (text === undefined) return undefined;
  const { value, error } = parseJsonc(text);
  if (kind === 'vscode') {
    const list = isObject(value) ? value['claudeCode.environmentVariables'] : undefined;
    const env: Record<string, string> = {};
    if (Array.isArray(list)) {
      for (const item of list)
        if (isObject(item) && typeof item.name === 'string') env[item.name] = String(item.value ?? '');
    }
    return { name, file, kind, env, ...(error ? { parseError: error } : {}) };
  }
  return {
    name,
    file,
    kind,
    env: stringEnv(isObject(value) ? value.env : undefined),
    ...(error ? { parseError: error } : {}),
  };
}

/** Every place Claude Code's environment can come from, in the order doctor reports them. */
export function claudeEnvSources(ctx: CheckContext): Promise<EnvSource[]> {
  return ctx.memo('claude-env-sources', async () => {
    const p = pathApi(ctx);
    const processEnv: Record<string, string> = {};
    for (const key of CLAUDE_ENV_KEYS) {
      const v = ctx.system.env[key];
      if (v !== undefined) processEnv[key] = v;
    }
    const sources: EnvSource[] = [{ name: 'shell environment', kind: 'process', env: processEnv }];
    const files: Array<[string, string, EnvSource['kind']]> = [
      [claudeUserSettingsFile(ctx), 'Claude Code user settings', 'claude-user'],
      [p.join(ctx.system.cwd, '.claude', 'settings.json'), 'Claude Code project settings', 'claude-project'],
      [
        p.join(ctx.system.cwd, '.claude', 'settings.local.json'),
        'Claude Code local project settings',
        'claude-local',
      ],
      ...vscodeSettingsFiles(ctx).map((f): [string, string, EnvSource['kind']] => [
        f,
        'VS Code settings (claudeCode.environmentVariables)',
        'vscode',
      ]),
    ];
    const found = await Promise.all(files.map(([file, name, kind]) => settingsSource(ctx, file, name, kind)));
    for (const s of found) if (s) sources.push(s);
    return sources;
  });
}

export interface EnvValue {
  value: string;
  source: EnvSource;
}

/** Every definition of `key`, one per source that sets it. */
export function definitionsOf(sources: EnvSource[], key: string): EnvValue[] {
  return sources.filter((s) => key in s.env).map((s) => ({ value: s.env[key] as string, source: s }));
}

/**
 * The value Claude Code's CLI most likely sees: settings files apply their `env` on top of the shell
 * (local project > project > user). VS Code's list only reaches the extension, so it is not used here.
 */
export function effectiveValue(sources: EnvSource[], key: string): EnvValue | undefined {
  const order: EnvSource['kind'][] = ['claude-local', 'claude-project', 'claude-user', 'process'];
  for (const kind of order) {
    const s = sources.find((x) => x.kind === kind && key in x.env);
    if (s) return { value: s.env[key] as string, source: s };
  }
  return undefined;
}

export function sourceLabel(s: EnvSource): string {
  return s.file ? `${s.name} (${s.file})` : s.name;
}

/**
 * Sets (string) or removes (undefined) keys of `env` in Claude Code's user settings.json, keeping every
 * other key and the file's formatting; the previous file is kept as `settings.json.bak-<timestamp>`.
 */
export async function updateClaudeUserEnv(
  ctx: CheckContext,
  changes: Record<string, string | undefined>,
  options: { dryRun: boolean },
): Promise<string[]> {
  const file = claudeUserSettingsFile(ctx);
  const before = await ctx.system.readFile(file);
  let text = before ?? '{}\n';
  const parsed = parseJsonc(text);
  if (parsed.error) throw new Error(`cannot update ${file}: ${parsed.error}; fix the file by hand first`);
  const currentEnv = stringEnv(isObject(parsed.value) ? parsed.value.env : undefined);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) {
      if (!(key in currentEnv)) continue;
      text = applyEdits(
        text,
        modify(text, ['env', key], undefined, { formattingOptions: { insertSpaces: true, tabSize: 2 } }),
      );
      lines.push(`${file}: removed env.${key}`);
    } else {
      if (currentEnv[key] === value) continue;
      text = applyEdits(
        text,
        modify(text, ['env', key], value, { formattingOptions: { insertSpaces: true, tabSize: 2 } }),
      );
      lines.push(
        `${file}: set env.${key}=${/(AUTH_TOKEN|API_KEY)$/.test(key) && value ? '<redacted>' : value}`,
      );
    }
  }
  if (lines.length === 0 || options.dryRun) return lines;
  if (before !== undefined) {
    const backup = `${file}.bak-${new Date(ctx.system.now()).toISOString().replace(/[:.]/g, '-')}`;
    await ctx.system.copyFile(file, backup);
    lines.push(`backup: ${backup}`);
  }
  await ctx.system.writeFileAtomic(file, text.endsWith('\n') ? text : `${text}\n`);
  return lines;
}
