// `~`, `$HOME` and `%USERPROFILE%` in a typed model path are expanded before quoting (sh, PowerShell,
// --json, init's scripts) and the GGUF is checked to exist; `dsb launch llama.cpp` without a model
// prints a template; `dsb launch ollama` prints the command that writes its Modelfile.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expandUserPath } from '../../src/system/expand-path.js';
import { dsb, tempHome } from '../init/cli.js';

describe('expandUserPath', () => {
  const linux = { platform: 'linux' as const, env: { HOME: '/home/ada' }, homedir: '/home/ada' };
  const win = {
    platform: 'win32' as const,
    env: { USERPROFILE: 'C:\\Users\\Ada' },
    homedir: 'C:\\Users\\Ada',
  };
  it('expands the home forms a user types, nothing else', () => {
    expect(expandUserPath('~/models/x.gguf', linux)).toBe('/home/ada/models/x.gguf');
    expect(expandUserPath('~', linux)).toBe('/home/ada');
    expect(expandUserPath('$HOME/models/x.gguf', linux)).toBe('/home/ada/models/x.gguf');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text a user types
    expect(expandUserPath('${HOME}/m.gguf', linux)).toBe('/home/ada/m.gguf');
    expect(expandUserPath('%USERPROFILE%\\models\\x.gguf', win)).toBe('C:\\Users\\Ada\\models\\x.gguf');
    expect(expandUserPath('%userprofile%\\m.gguf', win)).toBe('C:\\Users\\Ada\\m.gguf');
    expect(expandUserPath('$env:USERPROFILE\\m.gguf', win)).toBe('C:\\Users\\Ada\\m.gguf');
    expect(expandUserPath('~\\models\\x.gguf', win)).toBe('C:\\Users\\Ada\\models\\x.gguf');
    for (const literal of ['~bob/x.gguf', 'deepseek-ai/DeepSeek-V4-Flash', '/abs/~/x.gguf', 'a~b'])
      expect(expandUserPath(literal, linux)).toBe(literal);
  });
});

describe('dsb launch / init with a typed path (built CLI)', () => {
  let home: string;
  beforeEach(() => {
    home = tempHome('dsb-tilde-');
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('~ is expanded in sh, PowerShell and --json; an existing file gives no warning', () => {
    mkdirSync(path.join(home, 'models'));
    const gguf = path.join(home, 'models', 'x.gguf');
    writeFileSync(gguf, 'GGUF');
    const sh = dsb(['launch', 'llama.cpp', '--model-file', '~/models/x.gguf'], { home });
    expect(sh.code, sh.stderr).toBe(0);
    expect(sh.stdout).toContain(`-m ${gguf}`);
    expect(sh.stdout).not.toContain('~');
    expect(sh.stdout).not.toMatch(/WARNING/);
    const ps = dsb(['launch', 'llama.cpp', '--model-file', '~/models/x.gguf', '--shell', 'powershell'], {
      home,
    });
    expect(ps.stdout).toContain(gguf);
    expect(ps.stdout).not.toContain('~');
    const json = JSON.parse(
      dsb(['launch', 'llama.cpp', '--model-file', '$HOME/models/x.gguf', '--json'], { home }).stdout,
    );
    expect(json.server.args).toContain(gguf);
    expect(json.command).not.toContain('$HOME');
  });

  it('a missing GGUF is named in a clear warning', () => {
    const r = dsb(['launch', 'llama.cpp', '--model-file', '~/models/absent.gguf'], { home });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `WARNING: the model file ${path.join(home, 'models', 'absent.gguf')} does not exist on this machine \\(from ~/models/absent\\.gguf\\)`,
      ),
    );
  });

  it('init expands ~ before writing the launch scripts, and warns about a missing file', () => {
    const r = dsb(
      [
        'init',
        '--dry-run',
        '--json',
        '--backend',
        'llama.cpp',
        '--model-file',
        '~/models/absent.gguf',
        '--ctx-size',
        '8192',
        '--no-vscode',
        '--no-firewall',
      ],
      { home, env: { DSB_CONFIG_DIR: path.join(home, 'cfg') } },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.answers.model).toBe(path.join(home, 'models', 'absent.gguf'));
    expect(report.notes.join('\n')).toMatch(/WARNING: the model file .*absent\.gguf does not exist/);
    const script = report.files.find((f: { path: string }) => f.path.endsWith('start-model-server.sh'));
    expect(script?.diff).toContain(path.join(home, 'models', 'absent.gguf'));
    expect(script?.diff).not.toContain("'~/");
  });

  it('llama.cpp without a model prints a template with a placeholder (exit 0)', () => {
    const r = dsb(['launch', 'llama.cpp'], { home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("-m '<path/to/model.gguf>'");
    expect(r.stdout).toMatch(/replace <path\/to\/model\.gguf> with yours/);
  });

  it('ollama: the printed commands write the Modelfile they use', () => {
    const cfg = path.join(home, 'cfg');
    const r = dsb(['launch', 'ollama', '--model', 'deepseek-r1:32b', '--json'], {
      home,
      env: { DSB_CONFIG_DIR: cfg },
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const modelfile = report.files[0];
    expect(report.afterReady[0].command).toContain(modelfile.path);
    // Run the printed writer with a real sh: the file the next command reads now exists.
    execFileSync('sh', ['-c', modelfile.command]);
    expect(readFileSync(modelfile.path, 'utf8')).toBe(modelfile.content);
    expect(readFileSync(modelfile.path, 'utf8')).toMatch(/PARAMETER num_ctx 65536/);
    const text = dsb(['launch', 'ollama', '--model', 'deepseek-r1:32b'], {
      home,
      env: { DSB_CONFIG_DIR: cfg },
    });
    expect(text.stdout.indexOf(`cat > ${modelfile.path}`)).toBeLessThan(text.stdout.indexOf('ollama create'));
  });
});
