// The wizard remembers: a second run pre-fills what the first saved, `dsb init --yes` on a
// configured machine reuses it; the context question reads cleanly; Ctrl-C exits 130 quietly.
// Driven through a pseudo-terminal (util-linux `script`), as in init-interactive.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextPrompt } from '../../src/init/questions.js';
import { quoteSh } from '../../src/shell/quote.js';
import { cleanEnv, dsb, RUN_JS, tempHome } from '../init/cli.js';

const hasScript =
  process.platform === 'linux' && spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

let home: string;
beforeEach(() => {
  home = tempHome('dsb-wizard-memory-');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
const ENTER = '\r';

function wizard(args: string[]) {
  const cmd = [process.execPath, RUN_JS, 'init', ...args].map(quoteSh).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], {
    cwd: home,
    env: cleanEnv({ HOME: home, TERM: 'xterm-256color', COLUMNS: '200', LINES: '50', NO_COLOR: '1' }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  const onData = (c: Buffer) => {
    screen += stripAnsi(String(c));
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let seen = 0;
  /** Waits (hang-catching deadline only) for `text` after what was answered, then types `keys`. */
  const answer = async (text: string | RegExp, keys: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rest = screen.slice(seen);
      const m = typeof text === 'string' ? rest.indexOf(text) : rest.search(text);
      if (m !== -1) {
        seen += m + 1;
        break;
      }
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`never saw ${text}; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 60));
    child.stdin.write(keys);
  };
  const done = () =>
    Promise.race([exited, new Promise((r) => setTimeout(() => r('hang: no exit within 30 s'), 30_000))]);
  return { answer, done, screen: () => screen, kill: () => child.kill('SIGKILL') };
}

const seed = [
  '--backend',
  'vllm',
  '--model',
  'deepseek-ai/DeepSeek-R1-0528',
  '--upstream',
  'http://127.0.0.1:9',
  '--ctx-size',
  '131072',
  '--gpus',
  '2',
  '--port',
  '3777',
  '--no-vscode',
  '--no-firewall',
];

describe('the context question', () => {
  it('gives the reason once, without repeating the default inquirer shows', () => {
    expect(
      contextPrompt('default 65536: the upstream at http://127.0.0.1:8080 did not answer, not started yet?'),
    ).toBe('Context size in tokens (the upstream at http://127.0.0.1:8080 did not answer, not started yet?)');
  });
});

describe('dsb init remembers', () => {
  it('--yes on a configured machine reuses the saved profile (no "--model is required")', () => {
    expect(dsb(['init', '--yes', ...seed], { home }).code).toBe(0);
    const again = dsb(['init', '--yes', '--json'], { home });
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.answers).toMatchObject({
      backend: 'vllm',
      model: 'deepseek-ai/DeepSeek-R1-0528',
      ctxSize: 131072,
      gpus: 2,
      bridgePort: 3777,
    });
    expect(report.changed).toBe(false);
  });

  it.skipIf(!hasScript)(
    'a second wizard run pre-fills every saved answer',
    async () => {
      expect(dsb(['init', '--yes', ...seed], { home }).code).toBe(0);
      const w = wizard([]);
      try {
        await w.answer('Which backend serves the model?', ENTER);
        await w.answer('Model server URL', ENTER);
        await w.answer('Model (Hugging Face id or local path) (deepseek-ai/DeepSeek-R1-0528)', ENTER);
        await w.answer('Context size in tokens (saved by the last dsb init) (131072)', ENTER);
        await w.answer('How many GPUs to use (0: CPU only) (2)', ENTER);
        await w.answer('Bridge port on 127.0.0.1 (3777)', ENTER);
        await w.answer("Where should Claude Code's settings go?", ENTER);
        await w.answer('Configure the Claude Code extension in VS Code?', `n${ENTER}`);
        await w.answer('Write firewall rules', `n${ENTER}`);
        expect(await w.done(), w.screen()).toBe(0);
      } finally {
        w.kill();
      }
      expect(w.screen()).toMatch(/vLLM/);
      const config = JSON.parse(readFileSync(path.join(home, '.config', 'dsb', 'config.json'), 'utf8'));
      expect(config.profile).toMatchObject({
        backend: 'vllm',
        model: 'deepseek-ai/DeepSeek-R1-0528',
        gpus: 2,
      });
    },
    120_000,
  );

  it.skipIf(!hasScript)(
    'Ctrl-C at a prompt: exit 130, "Cancelled", no error framing, nothing written',
    async () => {
      const w = wizard(['--backend', 'vllm', '--model', 'x', '--upstream', 'http://127.0.0.1:9']);
      try {
        await w.answer(
          /Context size in tokens \(the upstream at http:\/\/127\.0\.0\.1:9 did not answer,\s+not\s+started\s+yet\?\)\s+\(65536\)/,
          '\x03',
        );
        expect(await w.done(), w.screen()).toBe(130);
      } finally {
        w.kill();
      }
      expect(w.screen()).toContain('Cancelled: nothing was written.');
      expect(w.screen()).not.toMatch(/Error|›/);
      expect(w.screen()).not.toContain('default: default');
      expect(() => readFileSync(path.join(home, '.config', 'dsb', 'config.json'))).toThrow();
    },
    120_000,
  );
});
