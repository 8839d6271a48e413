// `dsb init` through the built CLI: --yes / --json / --dry-run, exit codes, no prompt without a TTY.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dsb, tempHome } from '../init/cli.js';

let home: string;
beforeEach(() => {
  home = tempHome('dsb-cli-init-');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const base = [
  '--backend',
  'llama.cpp',
  '--model',
  '/models/DeepSeek-V4-Flash-Q4_K_M.gguf',
  '--ctx-size',
  '65536',
  '--port',
  '3999',
  '--upstream',
  'http://127.0.0.1:9',
];

describe('dsb init (CLI)', () => {
  it('--yes --json writes the setup; a second run reports no change', () => {
    const first = dsb(['init', '--yes', '--json', ...base], { home });
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ dryRun: false, changed: true, claudeModel: 'DeepSeek-V4-Flash-Q4_K_M' });
    const settings = JSON.parse(readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
    expect(settings.env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:3999');
    expect(settings.env.CLAUDE_CODE_MAX_CONTEXT_TOKENS).toBe('65536');
    expect(existsSync(path.join(home, '.config', 'dsb', 'scripts', 'start-model-server.sh'))).toBe(true);

    const second = dsb(['init', '--yes', ...base], { home });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Nothing to change: every file is already up to date.');
    expect(readdirSync(path.join(home, '.claude')).filter((f) => f.includes('.bak-'))).toEqual([]);
  });

  it('the context defaults to 65536 when the upstream is not running, and says so', () => {
    const res = dsb(
      [
        'init',
        '--yes',
        '--json',
        '--backend',
        'llama.cpp',
        '--model',
        'm.gguf',
        '--upstream',
        'http://127.0.0.1:9',
      ],
      { home },
    );
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.answers.ctxSize).toBe(65536);
    expect(report.answers.ctxSource).toMatch(/did not answer/);
  });

  it('--dry-run prints the diff of every file and writes nothing', () => {
    const res = dsb(['init', '--dry-run', ...base], { home });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('+    "ANTHROPIC_BASE_URL": "http://127.0.0.1:3999"');
    expect(res.stdout).toContain('Dry run: nothing was written.');
    expect(readdirSync(home)).toEqual([]);
  });

  it('without a terminal and without --yes it never waits: usage error', () => {
    const res = dsb(['init', ...base], { home });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/pass --yes/);
  });

  it('a required answer missing under --yes is a usage error', () => {
    const res = dsb(['init', '--yes', '--backend', 'vllm', '--upstream', 'http://127.0.0.1:9'], { home });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--model is required for vllm/);
  });

  it('an unparsable settings.json: exit 1, a clear message, nothing written', () => {
    mkdirSync(path.join(home, '.claude'));
    writeFileSync(path.join(home, '.claude', 'settings.json'), '{ "env": { "A": 1, } }');
    const res = dsb(['init', '--yes', ...base], { home });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/settings.json is not valid JSON/);
    expect(res.stderr).toMatch(/Nothing was written/);
    expect(readdirSync(home)).toEqual(['.claude']);
    expect(readdirSync(path.join(home, '.claude'))).toEqual(['settings.json']);
  });

  it('--help teaches with examples', () => {
    const res = dsb(['init', '--help'], { home });
    expect(res.stdout).toMatch(/EXAMPLES/);
    expect(res.stdout).toMatch(/--dry-run/);
  });
});
