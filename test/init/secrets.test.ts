// `dsb init --backend deepseek-api --scope project` keeps the API key out of the project: the key
// goes to the user config's "secrets" (mode 0600), the project's dsb.config.json names it
// (apiKeyRef), .gitignore gets dsb.config.json in a git repository, and --dry-run says where the
// key goes without printing it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { dsb, tempHome } from './cli.js';

const KEY = 'sk-p16-secret-0123456789abcdef';
let home: string;
let project: string;
let cfg: string;
beforeEach(() => {
  home = tempHome('dsb-secrets-');
  project = path.join(home, 'proj');
  cfg = path.join(home, 'cfg');
  mkdirSync(project);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const init = (extra: string[]) =>
  dsb(['init', '--backend', 'deepseek-api', '--scope', 'project', '--no-vscode', '--no-firewall', ...extra], {
    home,
    cwd: project,
    env: { DSB_CONFIG_DIR: cfg, DEEPSEEK_API_KEY: KEY },
  });

describe('the API key of a project setup', () => {
  it('goes to the user config; the project config only names it; git does not see it', () => {
    execFileSync('git', ['init', '-q', project]);
    const r = init(['--yes']);
    expect(r.code, r.stderr).toBe(0);
    const projectText = readFileSync(path.join(project, 'dsb.config.json'), 'utf8');
    expect(projectText).not.toContain(KEY);
    expect(JSON.parse(projectText).upstreams[0]).toMatchObject({ apiKeyRef: 'deepseek-api' });
    const userFile = path.join(cfg, 'config.json');
    expect(JSON.parse(readFileSync(userFile, 'utf8')).secrets['deepseek-api']).toBe(KEY);
    if (process.platform !== 'win32') expect(statSync(userFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(project, '.gitignore'), 'utf8')).toMatch(/^dsb\.config\.json$/m);
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(status).not.toContain('dsb.config.json');
    expect(r.stdout).not.toContain(KEY);
    // What dsb serve reads: the key, resolved through the reference (also with --config alone).
    const env = { DSB_CONFIG_DIR: cfg };
    expect(loadConfig({ cwd: project, env }).config.upstreams[0]?.apiKey).toBe(KEY);
    const alone = loadConfig({ configFile: path.join(project, 'dsb.config.json'), env });
    expect(alone.config.upstreams[0]?.apiKey).toBe(KEY);
  });

  it('--dry-run tells where the key goes, without printing it', () => {
    const r = init(['--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(
      `the API key goes to ${path.join(cfg, 'config.json')} ("secrets"."deepseek-api", mode 0600); ${path.join(project, 'dsb.config.json')} only names it`,
    );
    expect(r.stdout).not.toContain(KEY);
    expect(existsSync(path.join(project, 'dsb.config.json'))).toBe(false);
  });

  it('outside a git repository no .gitignore is written', () => {
    expect(init(['--yes']).code).toBe(0);
    expect(existsSync(path.join(project, '.gitignore'))).toBe(false);
  });
});
