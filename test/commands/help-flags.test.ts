// The CLI's front door, as a new user meets it: oclif's help, not-found, version and autocomplete
// plugins; usage errors that stay on screen; one meaning per flag name across commands.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const run = path.join(root, 'bin/run.js');
const pkg = (await import(pathToFileURL(path.join(root, 'package.json')).href, { with: { type: 'json' } }))
  .default as { version: string };

const dsb = (args: string[]) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-help-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSB_')));
  return execa(process.execPath, [run, ...args], {
    cwd: dir,
    reject: false,
    timeout: 60_000,
    env: { ...env, DSB_CONFIG_DIR: dir, HOME: dir, XDG_CACHE_HOME: dir, XDG_DATA_HOME: dir, NO_COLOR: '1' },
  });
};

type FlagSpec = { char?: string; aliases?: string[] };
const commands = async () => {
  const dir = path.join(root, 'dist', 'commands');
  const out: Record<string, { flags: Record<string, FlagSpec>; description?: string }> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    const mod = await import(pathToFileURL(path.join(dir, file)).href);
    out[file.replace(/\.js$/, '')] = mod.default;
  }
  return out;
};

describe('help, version, not-found, completion', () => {
  it('`dsb help serve` shows serve’s help, with defaults and the DSB_* variables', async () => {
    const r = await dsb(['help', 'serve']);
    expect(r.exitCode).toBe(0);
    r.stdout = r.stdout.replace(/\s+/g, ' ');
    expect(r.stdout).toMatch(/\$ dsb serve/);
    expect(r.stdout).toMatch(/\[default: 3000, env: DSB_PORT\]/);
    expect(r.stdout).toMatch(/env: DSB_UPSTREAM\]/);
    expect(r.stdout).toMatch(/env: DSB_UPSTREAM_MODEL\]/);
    expect(r.stdout).toMatch(/DSB_AUTH_TOKEN/);
  });

  it('-v, --version and `version` print the version', async () => {
    for (const args of [['-v'], ['--version'], ['version']]) {
      const r = await dsb(args);
      expect(r.exitCode, args.join(' ')).toBe(0);
      expect(r.stdout).toContain(`dsb/${pkg.version}`);
    }
  });

  it('a mistyped flag: the error, a suggestion and where the flags are, without the full usage', async () => {
    const r = await dsb(['serve', '--prot', '3000']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Nonexistent flag: --prot \(did you mean --port\?\)/);
    expect(r.stderr).toMatch(/dsb serve --help/);
    expect(r.stderr).not.toMatch(/USAGE|FLAGS/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
    const bad = await dsb(['init', '--ctx-size', 'abc', '--json']);
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toMatch(/^--ctx-size: Expected an integer/);
    expect(bad.stdout).not.toMatch(/"parse"/);
  });

  it.skipIf(process.platform !== 'linux')('`dsb serv` on a terminal asks "Did you mean serve?"', () => {
    // util-linux `script` gives the CLI a pseudo-terminal; stdin at EOF answers the prompt.
    let out: string;
    try {
      out = execFileSync('script', ['-qec', `${process.execPath} ${run} serv`, '/dev/null'], {
        input: '',
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, NO_COLOR: '1' },
      });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? '');
    }
    expect(out).toMatch(/serv.* is not a dsb command/);
    expect(out).toMatch(/Did you mean .*serve/);
  });

  it('shell completion: `dsb autocomplete bash` prints the setup', async () => {
    const r = await dsb(['autocomplete', 'bash']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/autocomplete/i);
  });

  it('descriptions are paragraphs, not hard-wrapped lines', async () => {
    for (const [id, cmd] of Object.entries(await commands())) {
      // A line break inside a paragraph: a line not ending a sentence or a lead-in, followed by text.
      expect(cmd.description ?? '', id).not.toMatch(/[^.:)\n]\n(?![\n ])/);
    }
  });
});

describe('one meaning per flag name', () => {
  it('--model is a model id, --model-file a GGUF, --client-model the Claude name; -c/-u everywhere', async () => {
    const all = await commands();
    expect(Object.keys(all.doctor!.flags)).toContain('model-file');
    expect(Object.keys(all.doctor!.flags)).not.toContain('model');
    expect(all.doctor!.flags['model-file']?.aliases).toEqual(['model']);
    expect(Object.keys(all.probe!.flags)).toContain('client-model');
    expect(Object.keys(all.probe!.flags)).not.toContain('model');
    for (const id of ['init', 'launch']) expect(Object.keys(all[id]!.flags)).toContain('model-file');
    for (const id of ['doctor', 'serve', 'init', 'launch', 'probe'])
      expect(all[id]!.flags.config?.char, `${id} -c`).toBe('c');
    for (const id of ['doctor', 'serve', 'init', 'probe'])
      expect(all[id]!.flags.upstream?.char, `${id} -u`).toBe('u');
  });

  it('deprecated aliases still work, with a warning', async () => {
    const r = await dsb(['doctor', 'quantization', '--model', '/nonexistent/x.gguf']);
    expect(r.stderr.replace(/\s+/g, ' ')).toMatch(/--model.*deprecated.*--model-file/);
    expect(r.stdout).toMatch(/cannot read the GGUF header of \/nonexistent\/x\.gguf/);
  });
});
