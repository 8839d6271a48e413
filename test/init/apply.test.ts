// init's apply step on a real file system in a temporary HOME: merges keep the user's keys and
// comments, backups exist, a second run is a no-op, a broken file stops everything, --dry-run writes nothing.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, fileDiff, gatherFacts } from '../../src/init/apply.js';
import { MergeError } from '../../src/init/jsonc-merge.js';
import { buildPlan } from '../../src/init/plan.js';
import type { InitAnswers } from '../../src/init/types.js';
import { loadTemplates } from '../../src/shell/templates.js';
import type { ExecResult, SystemContext } from '../../src/system/context.js';
import { createSystemContext } from '../../src/system/node.js';

let home: string;
let project: string;
let execLog: string[][];
let now: number;

function ctx(over: Partial<SystemContext> = {}): SystemContext {
  const exec = async (file: string, args: string[]): Promise<ExecResult> => {
    execLog.push([file, ...args]);
    if (file === 'id') return { exitCode: 0, stdout: '1000\n', stderr: '', notFound: false, timedOut: false };
    return { exitCode: null, stdout: '', stderr: '', notFound: true, timedOut: false };
  };
  return createSystemContext({
    platform: 'linux',
    osRelease: '6.8.0-generic',
    homedir: home,
    cwd: project,
    env: { HOME: home, PATH: process.env.PATH },
    exec,
    now: () => now,
    ...over,
  });
}

const answers = (over: Partial<InitAnswers> = {}): InitAnswers => ({
  backend: 'llama.cpp',
  upstreamUrl: 'http://127.0.0.1:8080',
  model: '/models/DeepSeek-V4-Flash-Q4_K_M.gguf',
  ctxSize: 65536,
  ctxSource: '--ctx-size',
  maxOutputTokens: 16384,
  gpus: 1,
  bridgePort: 3000,
  scope: 'user',
  vscode: true,
  firewall: false,
  ...over,
});

async function run(a: InitAnswers, opts: { dryRun?: boolean; applyFirewall?: boolean } = {}, c = ctx()) {
  const facts = await gatherFacts(c, a, await loadTemplates(c), ['/usr/bin/node', '/opt/dsb/bin/run.js']);
  const plan = buildPlan(a, facts);
  const result = await applyPlan(c, plan, {
    dryRun: opts.dryRun ?? false,
    applyFirewall: opts.applyFirewall ?? false,
  });
  return { plan, result };
}

describe('gatherFacts: WSL', () => {
  // The same rule as doctor (src/system/platform.ts): a custom WSL2 kernel need not say "microsoft".
  it.each([
    ['5.15.153.1-microsoft-standard-WSL2', true],
    ['6.6.36.3-WSL2-custom', true],
    ['4.4.0-19041-Microsoft', true],
    ['6.8.0-generic', false],
  ])('kernel %s: WSL %s, and PowerShell scripts for the Windows side only then', async (osRelease, wsl) => {
    const c = ctx({ osRelease });
    const facts = await gatherFacts(c, answers(), await loadTemplates(c), [
      '/usr/bin/node',
      '/opt/dsb/bin/run.js',
    ]);
    expect(facts.isWsl).toBe(wsl);
    const ps1 = buildPlan(answers(), facts).files.filter((f) => f.path.endsWith('.ps1'));
    expect(ps1.length > 0).toBe(wsl);
  });
});

/** Every file under HOME and the project with its content: "nothing changed" is checked byte for byte. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(p, 'utf8');
    }
  };
  walk(home);
  walk(project);
  return out;
}

const claudeSettings = () => path.join(home, '.claude', 'settings.json');
const vscodeSettings = () => path.join(home, '.config', 'Code', 'User', 'settings.json');
const USER_SETTINGS = `{
  "model": "opus",
  "permissions": { "allow": ["Bash(npm test)"] },
  "env": {
    "MY_VAR": "keep me",
    "ANTHROPIC_BASE_URL": "http://localhost:9999"
  }
}
`;
const USER_VSCODE = `{
    // my editor, my rules
    "editor.fontSize": 15,
    "claudeCode.environmentVariables": [
        { "name": "HTTPS_PROXY", "value": "http://proxy:8080" } // corporate
    ],
}
`;

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'dsb-init-home-'));
  project = mkdtempSync(path.join(os.tmpdir(), 'dsb-init-project-'));
  execLog = [];
  now = Date.parse('2026-03-04T05:06:07.890Z');
  mkdirSync(path.dirname(claudeSettings()), { recursive: true });
  writeFileSync(claudeSettings(), USER_SETTINGS);
  mkdirSync(path.dirname(vscodeSettings()), { recursive: true });
  writeFileSync(vscodeSettings(), USER_VSCODE);
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
});

describe('apply in a temporary HOME', () => {
  it('merges: unrelated keys and comments survive, ours are set, backups hold the originals', async () => {
    const { result } = await run(answers());
    const settings = JSON.parse(readFileSync(claudeSettings(), 'utf8'));
    expect(settings.model).toBe('opus');
    expect(settings.permissions).toEqual({ allow: ['Bash(npm test)'] });
    expect(settings.env.MY_VAR).toBe('keep me');
    expect(settings.env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:3000');
    expect(settings.env.CLAUDE_CODE_MAX_CONTEXT_TOKENS).toBe('65536');

    const vscode = readFileSync(vscodeSettings(), 'utf8');
    expect(vscode).toContain('// my editor, my rules');
    expect(vscode).toContain('// corporate');
    expect(vscode).toContain('"editor.fontSize": 15');
    expect(vscode).toContain('"claudeCode.disableLoginPrompt": true');
    expect(vscode).toMatch(/\n {4}"claudeCode.disableLoginPrompt"/); // the file's 4-space indentation

    const stamp = '20260304T050607Z';
    expect(readFileSync(`${claudeSettings()}.bak-${stamp}`, 'utf8')).toBe(USER_SETTINGS);
    expect(readFileSync(`${vscodeSettings()}.bak-${stamp}`, 'utf8')).toBe(USER_VSCODE);
    expect(result.files.find((f) => f.path === claudeSettings())).toMatchObject({
      action: 'updated',
      backup: `${claudeSettings()}.bak-${stamp}`,
    });
    expect(result.files.find((f) => f.path.endsWith('config.json'))).toMatchObject({
      action: 'created',
      backup: undefined,
    });
    expect(statSync(path.join(home, '.config', 'dsb', 'scripts', 'start-model-server.sh')).mode & 0o777).toBe(
      0o755,
    );
  });

  it('a second run changes nothing and says so', async () => {
    await run(answers());
    const before = snapshot();
    now += 60_000;
    const { plan, result } = await run(answers());
    expect(result.changed).toBe(false);
    expect(plan.files.every((f) => !f.changed)).toBe(true);
    expect(result.files.every((f) => f.action === 'unchanged' && !f.backup)).toBe(true);
    expect(snapshot()).toEqual(before);
  });

  it('an unparsable file: a clear error and nothing written at all', async () => {
    writeFileSync(vscodeSettings(), '{\n  "editor.fontSize": 15\n  "oops": true\n}\n');
    const before = snapshot();
    await expect(run(answers())).rejects.toThrow(MergeError);
    await expect(run(answers())).rejects.toThrow(
      /Code\/User\/settings.json is not valid JSON with comments: CommaExpected at line 3, column 3/,
    );
    expect(snapshot()).toEqual(before);
  });

  it('an invalid existing dsb config is an error too, naming the field', async () => {
    const cfg = path.join(home, '.config', 'dsb', 'config.json');
    mkdirSync(path.dirname(cfg), { recursive: true });
    writeFileSync(cfg, '{ "server": { "logFormat": "xml" } }\n');
    const before = snapshot();
    await expect(run(answers())).rejects.toThrow(/would not be a valid dsb config:\nserver.logFormat/);
    expect(snapshot()).toEqual(before);
  });

  it('--dry-run writes nothing but shows every diff', async () => {
    const before = snapshot();
    const { plan, result } = await run(answers(), { dryRun: true });
    expect(snapshot()).toEqual(before);
    expect(result.dryRun).toBe(true);
    const diff = fileDiff(plan.files.find((f) => f.path === claudeSettings())!);
    expect(diff).toContain('-    "ANTHROPIC_BASE_URL": "http://localhost:9999"');
    expect(diff).toContain('+    "ANTHROPIC_BASE_URL": "http://127.0.0.1:3000"');
  });

  it('an API key goes to dsb config only (mode 0600) and never into a diff', async () => {
    const key = 'sk-live-0123456789abcdef';
    const { plan } = await run(
      answers({
        backend: 'deepseek-api',
        upstreamUrl: 'https://api.deepseek.com',
        model: 'deepseek-v4-pro',
        apiKey: key,
      }),
    );
    const cfg = path.join(home, '.config', 'dsb', 'config.json');
    expect(JSON.parse(readFileSync(cfg, 'utf8')).upstreams[0].apiKey).toBe(key);
    expect(statSync(cfg).mode & 0o777).toBe(0o600);
    expect(readFileSync(claudeSettings(), 'utf8')).not.toContain(key);
    for (const f of plan.files)
      expect(fileDiff({ ...f, before: undefined, changed: true }, plan.secrets)).not.toContain(key);
  });

  it('keeps other keys of an existing upstream with the same URL, and the config still loads', async () => {
    const cfg = path.join(home, '.config', 'dsb', 'config.json');
    mkdirSync(path.dirname(cfg), { recursive: true });
    writeFileSync(
      cfg,
      JSON.stringify(
        {
          server: { logFormat: 'json' },
          upstreams: [{ url: 'http://127.0.0.1:8080', name: 'gpu-box', maxOutputTokens: 8192 }],
        },
        null,
        2,
      ),
    );
    await run(answers());
    const written = JSON.parse(readFileSync(cfg, 'utf8'));
    expect(written.server).toEqual({ logFormat: 'json', port: 3000 });
    expect(written.upstreams).toEqual([
      { url: 'http://127.0.0.1:8080', name: 'gpu-box', maxOutputTokens: 8192, kind: 'llama.cpp' },
    ]);
    expect(written.profile).toEqual({
      backend: 'llama.cpp',
      ctxSize: 65536,
      model: '/models/DeepSeek-V4-Flash-Q4_K_M.gguf',
      gpus: 1,
      host: '127.0.0.1',
      port: 8080,
    });
  });
});

describe('firewall rules', () => {
  it('not admin: the script is written and nothing is run', async () => {
    const c = ctx({
      exec: async (file, args) => {
        execLog.push([file, ...args]);
        if (file === 'id')
          return { exitCode: 0, stdout: '1000\n', stderr: '', notFound: false, timedOut: false };
        if (file === 'ufw')
          return { exitCode: 0, stdout: 'ufw 0.36.2\n', stderr: '', notFound: false, timedOut: false };
        return { exitCode: 1, stdout: '', stderr: '', notFound: false, timedOut: false };
      },
    });
    const { result } = await run(answers({ firewall: true }), { applyFirewall: true }, c);
    expect(result.firewall).toMatchObject({
      applied: false,
      manual: [`sudo sh ${path.join(home, '.config/dsb/scripts/firewall-linux.sh')}`],
    });
    expect(result.firewall!.messages.join()).toMatch(/needs administrator rights/);
    expect(execLog.some(([f, a]) => f === 'ufw' && a === 'allow')).toBe(false);
    expect(readFileSync(path.join(home, '.config/dsb/scripts/firewall-linux.sh'), 'utf8')).toContain(
      'ufw allow in on lo to any port 3000 proto tcp',
    );
  });

  it('admin and confirmed: runs exactly the ufw rule for the bridge port', async () => {
    const c = ctx({
      exec: async (file, args) => {
        execLog.push([file, ...args]);
        if (file === 'id')
          return { exitCode: 0, stdout: '0\n', stderr: '', notFound: false, timedOut: false };
        if (file === 'ufw')
          return {
            exitCode: 0,
            stdout: args[0] === 'allow' ? 'Rule added\n' : 'ufw 0.36.2\n',
            stderr: '',
            notFound: false,
            timedOut: false,
          };
        return { exitCode: 1, stdout: '', stderr: '', notFound: false, timedOut: false };
      },
    });
    const { result } = await run(answers({ firewall: true, bridgePort: 3456 }), { applyFirewall: true }, c);
    expect(result.firewall!.applied).toBe(true);
    expect(execLog).toContainEqual([
      'ufw',
      'allow',
      'in',
      'on',
      'lo',
      'to',
      'any',
      'port',
      '3456',
      'proto',
      'tcp',
      'comment',
      'dsb bridge',
    ]);
  });
});
