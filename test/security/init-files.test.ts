// Issue 13 items 7 and 14: init's backups never collide (two runs in the same second both keep
// a backup, the user's original is in one), a dangling symlink is not replaced by a plain file,
// and a read-only settings.json is not overwritten without asking. Real file system, temp HOME.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, gatherFacts, InitRefusedError } from '../../src/init/apply.js';
import { buildPlan } from '../../src/init/plan.js';
import type { InitAnswers } from '../../src/init/types.js';
import { loadTemplates } from '../../src/shell/templates.js';
import type { ExecResult, SystemContext } from '../../src/system/context.js';
import { createSystemContext } from '../../src/system/node.js';

let home: string;
let settings: string;
const NOW = Date.parse('2026-12-06T11:00:00.000Z');
const ORIGINAL = '{\n  "env": { "ANTHROPIC_BASE_URL": "https://llm-gateway.corp.example" }\n}\n';

function ctx(): SystemContext {
  const exec = async (): Promise<ExecResult> => ({
    exitCode: null,
    stdout: '',
    stderr: '',
    notFound: true,
    timedOut: false,
  });
  return createSystemContext({
    platform: 'linux',
    osRelease: '6.8.0-generic',
    homedir: home,
    cwd: home,
    env: { HOME: home, PATH: process.env.PATH },
    exec,
    now: () => NOW, // every run in the same second
  });
}

const answers = (port: number): InitAnswers => ({
  backend: 'llama.cpp',
  upstreamUrl: 'http://127.0.0.1:8080',
  model: '/models/m.gguf',
  ctxSize: 65536,
  ctxSource: '--ctx-size',
  maxOutputTokens: 16384,
  gpus: 0,
  bridgePort: port,
  scope: 'user',
  vscode: false,
  firewall: false,
});

async function planFor(port: number) {
  const c = ctx();
  const facts = await gatherFacts(c, answers(port), await loadTemplates(c), [
    '/usr/bin/node',
    '/opt/dsb/run.js',
  ]);
  return { c, plan: buildPlan(answers(port), facts) };
}

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'dsb-init-files-'));
  mkdirSync(path.join(home, '.claude'));
  settings = path.join(home, '.claude', 'settings.json');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const backups = () =>
  readdirSync(path.dirname(settings))
    .filter((n) => n.startsWith('settings.json.bak-'))
    .map((n) => readFileSync(path.join(path.dirname(settings), n), 'utf8'));

describe('backups (item 7)', () => {
  it('two runs in the same second keep two backups; the original is in one of them', async () => {
    writeFileSync(settings, ORIGINAL);
    const first = await planFor(3000);
    const r1 = await applyPlan(first.c, first.plan, { dryRun: false, applyFirewall: false });
    const second = await planFor(3001);
    const r2 = await applyPlan(second.c, second.plan, { dryRun: false, applyFirewall: false });
    const names = [...r1.files, ...r2.files].filter((f) => f.path === settings).map((f) => f.backup);
    expect(new Set(names).size).toBe(2);
    const saved = backups();
    expect(saved).toHaveLength(2);
    expect(saved).toContain(ORIGINAL);
  });

  it('two runs at once, planned from the same original: every backup kept, the original among them', async () => {
    writeFileSync(settings, ORIGINAL);
    const runs = await Promise.all([planFor(3000), planFor(3001), planFor(3002)]);
    await Promise.all(runs.map((r) => applyPlan(r.c, r.plan, { dryRun: false, applyFirewall: false })));
    const saved = backups();
    expect(saved).toHaveLength(3);
    expect(saved).toContain(ORIGINAL);
  });
});

describe('links and protected files (item 14)', () => {
  it('a dangling symlink settings.json is refused, and stays a link', async () => {
    const target = path.join(home, 'dotfiles', 'claude-settings.json');
    symlinkSync(target, settings);
    const { c, plan } = await planFor(3000);
    const run = applyPlan(c, plan, { dryRun: false, applyFirewall: false });
    await expect(run).rejects.toBeInstanceOf(InitRefusedError);
    await expect(run).rejects.toMatchObject({ code: 'INIT_REFUSED', reason: 'dangling-symlink' });
    await expect(run).rejects.toThrow(/symbolic link to .*does not exist/);
    expect(lstatSync(settings).isSymbolicLink()).toBe(true);
    expect(readlinkSync(settings)).toBe(target);
    expect(existsSync(target)).toBe(false);
  });

  it('a symlink to an existing file: the target is written, the link kept', async () => {
    const target = path.join(home, 'real-settings.json');
    writeFileSync(target, ORIGINAL);
    symlinkSync(target, settings);
    const { c, plan } = await planFor(3000);
    await applyPlan(c, plan, { dryRun: false, applyFirewall: false });
    expect(lstatSync(settings).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toContain('127.0.0.1:3000');
  });

  it('a read-only settings.json is refused without confirmation, written with it', async () => {
    writeFileSync(settings, ORIGINAL);
    chmodSync(settings, 0o444);
    const { c, plan } = await planFor(3000);
    await expect(applyPlan(c, plan, { dryRun: false, applyFirewall: false })).rejects.toMatchObject({
      code: 'INIT_REFUSED',
      reason: 'read-only',
      message: expect.stringContaining('read-only'),
    });
    expect(readFileSync(settings, 'utf8')).toBe(ORIGINAL);
    expect(backups()).toHaveLength(0);

    const declined = applyPlan(c, plan, {
      dryRun: false,
      applyFirewall: false,
      confirmReadOnly: async () => false,
    });
    await expect(declined).rejects.toMatchObject({ code: 'INIT_REFUSED', reason: 'read-only' });
    const asked: string[] = [];
    await applyPlan(c, plan, {
      dryRun: false,
      applyFirewall: false,
      confirmReadOnly: async (file) => {
        asked.push(file);
        return true;
      },
    });
    expect(asked).toEqual([settings]);
    expect(readFileSync(settings, 'utf8')).toContain('127.0.0.1:3000');
  });
});
