// Claude Code's effective window (src/checks/claude-window.ts). Every row of the table was measured
// with the real Claude Code 2.1.331: `claude -p "/context"` with exactly these variables printed
// `**Tokens:** … / <window>` (test/e2e/claude-window-rules.test.ts re-measures a subset).
import { describe, expect, it } from 'vitest';
import {
  type ClaudeWindowSource,
  claudeCodeCommand,
  claudeEffectiveWindow,
  claudeWindowSettings,
  isClaudeModelName,
  nonClaudeModelName,
  parseAutoCompactWindow,
  parseContextReport,
  parseMaxContextTokens,
  reportedWindowIs,
} from '../../src/checks/claude-window.js';
import { buildPlan, planTargets } from '../../src/init/plan.js';
import type { InitAnswers, InitFacts } from '../../src/init/types.js';
import { readTemplates } from '../init/golden.js';

interface Row {
  env: Record<string, string>;
  window: number;
  source: ClaudeWindowSource;
  model: string;
  /** What /context printed (documentation of the measurement). */
  printed: string;
}

const MAX = 'CLAUDE_CODE_MAX_CONTEXT_TOKENS';
const AUTO = 'CLAUDE_CODE_AUTO_COMPACT_WINDOW';
const ROWS: Row[] = [
  { env: {}, window: 1_000_000, source: 'default-model', model: 'claude-opus-5-5', printed: '1m' },
  // CLAUDE_CODE_MAX_CONTEXT_TOKENS alone does nothing (the default model is Opus).
  {
    env: { [MAX]: '65536' },
    window: 1_000_000,
    source: 'default-model',
    model: 'claude-opus-5-5',
    printed: '1m',
  },
  // ANTHROPIC_DEFAULT_OPUS_MODEL alone does not help: the default becomes "deepseek[1m]".
  {
    env: { ANTHROPIC_DEFAULT_OPUS_MODEL: 'deepseek', [MAX]: '65536' },
    window: 1_000_000,
    source: 'default-model',
    model: 'deepseek[1m]',
    printed: '1m',
  },
  // Only a non-Claude ANTHROPIC_MODEL AND CLAUDE_CODE_MAX_CONTEXT_TOKENS give the window.
  {
    env: { ANTHROPIC_MODEL: 'deepseek-v4-flash', [MAX]: '65536' },
    window: 65_536,
    source: 'max-context-tokens',
    model: 'deepseek-v4-flash',
    printed: '65.5k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek-v4-flash' },
    window: 1_000_000,
    source: 'unrecognized-model',
    model: 'deepseek-v4-flash',
    printed: '1m',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '16384' },
    window: 16_384,
    source: 'max-context-tokens',
    model: 'deepseek',
    printed: '16.4k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: 'abc' },
    window: 1_000_000,
    source: 'unrecognized-model',
    model: 'deepseek',
    printed: '1m',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '0' },
    window: 1_000_000,
    source: 'unrecognized-model',
    model: 'deepseek',
    printed: '1m',
  },
  // parseInt: "64k" is 64 tokens.
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '64k' },
    window: 64,
    source: 'max-context-tokens',
    model: 'deepseek',
    printed: '64',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '65536.5' },
    window: 65_536,
    source: 'max-context-tokens',
    model: 'deepseek',
    printed: '65.5k',
  },
  // Claude names: the variable is ignored.
  {
    env: { ANTHROPIC_MODEL: 'opus', [MAX]: '65536' },
    window: 1_000_000,
    source: 'claude-model',
    model: 'opus',
    printed: '1m',
  },
  {
    env: { ANTHROPIC_MODEL: 'haiku', [MAX]: '65536' },
    window: 1_000_000,
    source: 'claude-model',
    model: 'haiku',
    printed: '1m',
  },
  {
    env: { ANTHROPIC_MODEL: 'claude-sonnet-4-5', [MAX]: '65536' },
    window: 200_000,
    source: 'claude-model',
    model: 'claude-sonnet-4-5',
    printed: '200k',
  },
  {
    env: { ANTHROPIC_MODEL: 'Claude-Sonnet-4-5', [MAX]: '65536' },
    window: 200_000,
    source: 'claude-model',
    model: 'Claude-Sonnet-4-5',
    printed: '200k',
  },
  // An alias whose tier variable names a non-Claude model is that model.
  {
    env: { ANTHROPIC_MODEL: 'opus', ANTHROPIC_DEFAULT_OPUS_MODEL: 'deepseek', [MAX]: '65536' },
    window: 65_536,
    source: 'max-context-tokens',
    model: 'deepseek',
    printed: '65.5k',
  },
  {
    env: { ANTHROPIC_MODEL: 'sonnet', ANTHROPIC_DEFAULT_SONNET_MODEL: 'deepseek', [MAX]: '65536' },
    window: 65_536,
    source: 'max-context-tokens',
    model: 'deepseek',
    printed: '65.5k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek[1m]', [MAX]: '65536' },
    window: 1_000_000,
    source: 'one-million-suffix',
    model: 'deepseek[1m]',
    printed: '1m',
  },
  // CLAUDE_CODE_AUTO_COMPACT_WINDOW caps the window, and never below 100,000.
  {
    env: { [AUTO]: '150000' },
    window: 150_000,
    source: 'auto-compact-window',
    model: 'claude-opus-5-5',
    printed: '150k',
  },
  {
    env: { [AUTO]: '65536' },
    window: 100_000,
    source: 'auto-compact-window',
    model: 'claude-opus-5-5',
    printed: '100k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [AUTO]: '65536' },
    window: 100_000,
    source: 'auto-compact-window',
    model: 'deepseek',
    printed: '100k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '65536', [AUTO]: '40000' },
    window: 65_536,
    source: 'max-context-tokens',
    model: 'deepseek',
    printed: '65.5k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '200000', [AUTO]: '150000' },
    window: 150_000,
    source: 'auto-compact-window',
    model: 'deepseek',
    printed: '150k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '200000', [AUTO]: '120k' },
    window: 120_000,
    source: 'auto-compact-window',
    model: 'deepseek',
    printed: '120k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '900000', [AUTO]: '0.5m' },
    window: 500_000,
    source: 'auto-compact-window',
    model: 'deepseek',
    printed: '500k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '900000', [AUTO]: '150,000' },
    window: 150_000,
    source: 'auto-compact-window',
    model: 'deepseek',
    printed: '150k',
  },
  {
    env: { ANTHROPIC_MODEL: 'deepseek', [MAX]: '200000', [AUTO]: 'abc' },
    window: 200_000,
    source: 'max-context-tokens',
    model: 'deepseek',
    printed: '200k',
  },
];

describe('claudeEffectiveWindow: the rules measured on Claude Code 2.1.331', () => {
  it.each(ROWS)('$env → $printed', (row) => {
    const got = claudeEffectiveWindow(row.env);
    expect(got.window).toBe(row.window);
    expect(got.source).toBe(row.source);
    expect(got.model).toBe(row.model);
    expect(got.reason.length).toBeGreaterThan(20);
    // The window /context printed, parsed back, is this window.
    const report = parseContextReport(`**Model:** x  \n**Tokens:** 12.8k / ${row.printed} (20%)`)!;
    expect(reportedWindowIs(report, row.window)).toBe(true);
  });

  it('says plainly when a setting is ignored or raised', () => {
    expect(claudeEffectiveWindow({ ANTHROPIC_MODEL: 'd', [MAX]: 'abc' }).notes[0]).toMatch(/ignores it/);
    expect(claudeEffectiveWindow({ ANTHROPIC_MODEL: 'd', [MAX]: '64k' }).notes[0]).toMatch(/reads as 64/);
    expect(claudeEffectiveWindow({ [AUTO]: '65536' }).notes[0]).toMatch(
      /raised to Claude Code's minimum of 100,000/,
    );
    expect(claudeEffectiveWindow({ [AUTO]: 'big' }).notes[0]).toMatch(/not a usable size/);
    expect(claudeEffectiveWindow({ [MAX]: '65536' }).reason).toMatch(
      /ignores CLAUDE_CODE_MAX_CONTEXT_TOKENS/,
    );
  });
});

describe('names and parsers', () => {
  it.each([
    ['opus', true],
    ['Sonnet', true],
    ['haiku[1m]', true],
    ['opusplan', true],
    ['claude-opus-4-1', true],
    ['us.anthropic.claude-sonnet-4-5-v1:0', true],
    ['deepseek-v4-flash', false],
    ['DeepSeek-V4-Flash-Q4_K_M', false],
    ['deepseek-opus', false],
  ])('isClaudeModelName(%s) = %s', (name, claude) => {
    expect(isClaudeModelName(name)).toBe(claude);
  });

  it('nonClaudeModelName: the upstream id, never a Claude-looking or empty name', () => {
    expect(nonClaudeModelName('deepseek-v4-flash')).toBe('deepseek-v4-flash');
    expect(nonClaudeModelName('/models/DeepSeek-V4-Flash-Q4_K_M.gguf')).toBe('DeepSeek-V4-Flash-Q4_K_M');
    expect(nonClaudeModelName('deepseek-ai/DeepSeek-V4-Flash')).toBe('deepseek-ai/DeepSeek-V4-Flash');
    expect(nonClaudeModelName('deepseek[1m]')).toBe('deepseek');
    expect(nonClaudeModelName('claude-distill.gguf')).toBe('deepseek');
    expect(nonClaudeModelName(undefined)).toBe('deepseek');
    expect(nonClaudeModelName('  ')).toBe('deepseek');
  });

  it('parses CLAUDE_CODE_MAX_CONTEXT_TOKENS like parseInt and the auto-compact window with its units', () => {
    expect(parseMaxContextTokens('65536')).toBe(65536);
    expect(parseMaxContextTokens(' 65536 ')).toBe(65536);
    expect(parseMaxContextTokens('-1')).toBeUndefined();
    expect(parseMaxContextTokens('')).toBeUndefined();
    expect(parseAutoCompactWindow('1.5e5')).toBe(150_000);
    expect(parseAutoCompactWindow('200K')).toBe(200_000);
    expect(parseAutoCompactWindow('1m')).toBe(1_000_000);
    expect(parseAutoCompactWindow('-5')).toBeUndefined();
  });

  it('reads the window out of real /context output, with its rounding', () => {
    const out = '## Context Usage\n\n**Model:** deepseek-v4-flash  \n**Tokens:** 12.8k / 65.5k (20%)\n';
    const r = parseContextReport(out)!;
    expect(r).toEqual({ window: 65_500, precision: 50, model: 'deepseek-v4-flash' });
    expect(reportedWindowIs(r, 65_536)).toBe(true);
    expect(reportedWindowIs(r, 16_384)).toBe(false);
    const m = parseContextReport('**Tokens:** 12.9k / 1m (1%)')!;
    expect(reportedWindowIs(m, 1_000_000)).toBe(true);
    expect(reportedWindowIs(m, 65_536)).toBe(false);
    expect(parseContextReport('no table here')).toBeUndefined();
  });
});

describe('what dsb writes gives the upstream window', () => {
  it("doctor's fix settings: every model variable non-Claude, plus the window", () => {
    const s = claudeWindowSettings('deepseek-v4-flash', 65_536);
    expect(s).toEqual({
      ANTHROPIC_MODEL: 'deepseek-v4-flash',
      ANTHROPIC_DEFAULT_OPUS_MODEL: 'deepseek-v4-flash',
      ANTHROPIC_DEFAULT_SONNET_MODEL: 'deepseek-v4-flash',
      ANTHROPIC_DEFAULT_HAIKU_MODEL: 'deepseek-v4-flash',
      CLAUDE_CODE_SUBAGENT_MODEL: 'deepseek-v4-flash',
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
    });
    expect(claudeEffectiveWindow(s)).toMatchObject({ window: 65_536, source: 'max-context-tokens' });
  });

  const templates = readTemplates();
  const facts: Omit<InitFacts, 'files'> = {
    platform: 'linux',
    env: {},
    homedir: '/home/ada',
    cwd: '/src/app',
    isWsl: false,
    existingDirs: [],
    dsbCommand: ['/usr/bin/node', '/usr/lib/node_modules/dsb/bin/run.js'],
    firewall: { ufw: false, firewalld: false, admin: false },
    templates,
  };
  it.each([
    ['llama.cpp', '/models/DeepSeek-V4-Flash-Q4_K_M.gguf', 65_536],
    ['llama.cpp', '/models/claude-distill-Q4_K_M.gguf', 32_768],
    ['vllm', 'deepseek-ai/DeepSeek-V4-Flash', 131_072],
    ['ollama', 'deepseek-v4-flash:q4_K_M', 65_536],
    ['deepseek-api', 'deepseek-v4-pro', 1_000_000],
  ] as const)('dsb init (%s, %s): the window is the context asked for (%i)', (backend, model, ctxSize) => {
    const answers: InitAnswers = {
      backend,
      upstreamUrl: backend === 'deepseek-api' ? 'https://api.deepseek.com' : 'http://127.0.0.1:8080',
      model,
      ctxSize,
      ctxSource: '--ctx-size',
      maxOutputTokens: 8192,
      gpus: 1,
      bridgePort: 3000,
      scope: 'user',
      vscode: false,
      firewall: false,
      ...(backend === 'deepseek-api' ? { apiKey: 'sk-test' } : {}),
    };
    const files = Object.fromEntries(planTargets(answers, facts).map((p) => [p, undefined]));
    const plan = buildPlan(answers, { ...facts, files });
    const env = JSON.parse(plan.files.find((f) => f.role === 'claude-settings')!.after).env;
    const got = claudeEffectiveWindow(env);
    expect(got, got.reason).toMatchObject({
      window: ctxSize,
      source: 'max-context-tokens',
      claudeModel: false,
    });
    // The same variables doctor's fix writes, with the same values.
    expect(env).toMatchObject(claudeWindowSettings(env.ANTHROPIC_MODEL, ctxSize));
  });
});

describe('claudeCodeCommand', () => {
  it("gives Claude Code the upstream's window with a non-Claude model name", () => {
    expect(
      claudeCodeCommand({
        bridgeUrl: 'http://127.0.0.1:3000',
        upstreamModel: 'claude-sonnet-4-5',
        contextSize: 65_536,
        authToken: false,
      }),
    ).toBe(
      'ANTHROPIC_BASE_URL=http://127.0.0.1:3000 ANTHROPIC_AUTH_TOKEN=dsb ANTHROPIC_MODEL=deepseek CLAUDE_CODE_MAX_CONTEXT_TOKENS=65536 claude',
    );
  });

  it('never prints the auth token, and sets no window it does not know', () => {
    const line = claudeCodeCommand({
      bridgeUrl: 'http://[::1]:3000',
      upstreamModel: 'deepseek-v4-flash',
      contextSize: undefined,
      authToken: true,
    });
    expect(line).toBe('ANTHROPIC_BASE_URL=http://[::1]:3000 ANTHROPIC_AUTH_TOKEN="$DSB_AUTH_TOKEN" claude');
  });
});
