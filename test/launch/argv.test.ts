// A generated command, run through a real shell, must hand the server exactly the argv dsb meant:
// paths with spaces, quotes, `$`, backticks, globs and non-ASCII included.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLaunch, type LaunchProfile } from '../../src/launch/generate.js';
import { renderCommand } from '../../src/shell/command.js';
import { quotePowerShell, quoteSh } from '../../src/shell/quote.js';

const printer = fileURLToPath(new URL('./fixtures/print-argv.mjs', import.meta.url));
const templates = { modelfile: 'FROM {{model}}\nPARAMETER num_ctx {{ctxSize}}\n' };

let dir: string;
let standIn: string;

function hasCommand(cmd: string): boolean {
  try {
    execFileSync(cmd, ['-NoProfile', '-Command', 'exit 0'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  // The stand-in's own path has a space and a quote too: the program is quoted like any argument.
  dir = mkdtempSync(path.join(os.tmpdir(), "dsb argv '"));
  standIn = path.join(dir, 'llama server');
  writeFileSync(standIn, `#!/bin/sh\nexec ${quoteSh(process.execPath)} ${quoteSh(printer)} "$@"\n`);
  chmodSync(standIn, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const profile = (over: Partial<LaunchProfile>): LaunchProfile => ({
  backend: 'llama.cpp',
  model: '/models/m.gguf',
  ctxSize: 65536,
  gpus: 1,
  host: '127.0.0.1',
  port: 8080,
  platform: 'linux',
  bin: standIn,
  ...over,
});

const runSh = (script: string) =>
  JSON.parse(execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } })) as {
    argv: string[];
    env: Record<string, string>;
  };

const NASTY = [
  '/home/me/My Models/DeepSeek V4 "Flash" Q4_K_M.gguf',
  "/home/me/it's here/model.gguf",
  '/tmp/$HOME/`whoami`/$(id)/*.gguf',
  'C:\\Users\\Jörg Müller\\models\\deepseek – v4.gguf',
  'a\\b\\\\c; rm -rf ~ && echo pwned | cat > x',
  '--looks-like-a-flag',
  ' leading and trailing ',
  'new\nline',
  '',
];

describe('generated sh commands through a real shell', () => {
  it.each(NASTY)('llama.cpp model path %j arrives intact', (model) => {
    const plan = generateLaunch(profile({ model }), templates);
    for (const multiline of [false, true]) {
      const out = runSh(renderCommand(plan.server, 'sh', { multiline }));
      expect(out.argv).toEqual(plan.server.args);
      expect(out.argv[1]).toBe(model);
    }
  });

  it('Ollama: the environment variables reach the server too', () => {
    const plan = generateLaunch(
      profile({ backend: 'ollama', model: 'deepseek-r1:14b', port: 11500 }),
      templates,
    );
    const out = runSh(renderCommand(plan.server, 'sh'));
    expect(out.argv).toEqual(['serve']);
    expect(out.env).toEqual({ OLLAMA_HOST: '127.0.0.1:11500', OLLAMA_CONTEXT_LENGTH: '65536' });
  });

  it('vLLM and SGLang arguments arrive intact for arbitrary model strings (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 0, maxLength: 40 }),
        fc.constantFrom('vllm', 'sglang') as fc.Arbitrary<'vllm' | 'sglang'>,
        (model, backend) => {
          fc.pre(!model.includes('\0'));
          const plan = generateLaunch(profile({ backend, model }), templates);
          expect(runSh(renderCommand(plan.server, 'sh')).argv).toEqual(plan.server.args);
        },
      ),
      { numRuns: 40 },
    );
  });
});

const pwsh = hasCommand('pwsh');
describe.skipIf(!pwsh)('generated PowerShell commands through pwsh', () => {
  it.each(NASTY.filter((m) => m !== ''))('model path %j arrives intact', (model) => {
    const plan = generateLaunch(profile({ model }), templates);
    const script = `$PSNativeCommandArgumentPassing = 'Standard'\n${renderCommand(plan.server, 'powershell', { multiline: true })}`;
    const out = JSON.parse(execFileSync('pwsh', ['-NoProfile', '-Command', script], { encoding: 'utf8' }));
    expect(out.argv).toEqual(plan.server.args);
  });
});
if (!pwsh)
  console.info(
    'argv.test: pwsh is not installed, the PowerShell round trip is skipped (the quoting rules are unit-tested)',
  );

describe('quoting rules', () => {
  it('leaves plain words bare and quotes the rest', () => {
    expect(quoteSh('--port')).toBe('--port');
    expect(quoteSh('/a b')).toBe("'/a b'");
    expect(quoteSh("it's")).toBe(`'it'\\''s'`);
    expect(quoteSh('')).toBe("''");
    expect(quotePowerShell('--jinja')).toBe('--jinja');
    expect(quotePowerShell('C:\\models\\m.gguf')).toBe('C:\\models\\m.gguf');
    expect(quotePowerShell("C:\\it's")).toBe("'C:\\it''s'");
    expect(quotePowerShell('a,b')).toBe("'a,b'");
    expect(quotePowerShell('$env:X')).toBe("'$env:X'");
    expect(quotePowerShell('--%')).toBe("'--%'");
    expect(quotePowerShell('it\u2019s')).toBe("'it\u2019\u2019s'");
  });

  it('PowerShell: a quoted program is invoked with the call operator, env set first', () => {
    expect(
      renderCommand(
        { program: 'C:\\Program Files\\llama\\llama-server.exe', args: ['-c', '4096'] },
        'powershell',
      ),
    ).toBe("& 'C:\\Program Files\\llama\\llama-server.exe' -c 4096");
    expect(
      renderCommand(
        { env: { OLLAMA_HOST: '127.0.0.1:11434' }, program: 'ollama', args: ['serve'] },
        'powershell',
      ),
    ).toBe("$env:OLLAMA_HOST = '127.0.0.1:11434'; ollama serve");
  });
});
