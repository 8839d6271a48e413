// The wizard driven for real: `script` (util-linux, present on fresh Linux machines) gives dsb a
// pseudo-terminal, and the test types answers the way a user would (arrow keys, text, Enter).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quoteSh } from '../../src/shell/quote.js';
import { cleanEnv, RUN_JS, tempHome } from '../init/cli.js';

const hasScript =
  process.platform === 'linux' && spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasScript)
  console.info('init-interactive.test: skipped, needs util-linux `script` (Linux) for a pseudo-terminal');

let home: string;
beforeEach(() => {
  home = tempHome('dsb-cli-wizard-');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
const DOWN = '\x1b[B';
const ENTER = '\r';

describe.skipIf(!hasScript)('dsb init, interactive', () => {
  it('asks every question, shows the plan, applies after confirmation', async () => {
    const cmd = [process.execPath, RUN_JS, 'init', '--upstream', 'http://127.0.0.1:9'].map(quoteSh).join(' ');
    const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], {
      cwd: home,
      env: cleanEnv({ HOME: home, TERM: 'xterm-256color', COLUMNS: '200', LINES: '50', NO_COLOR: '1' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (c) => {
      screen += stripAnsi(String(c));
    });
    child.stderr.on('data', (c) => {
      screen += stripAnsi(String(c));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let seen = 0;
    /** Waits for `text` to appear after what was already answered, then types `keys`. */
    const answer = async (text: string | RegExp, keys: string) => {
      const deadline = Date.now() + 60_000; // hang-catching
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
      child.stdin.write(keys);
    };
    try {
      await answer('Which backend serves the model?', DOWN + ENTER); // llama.cpp → vLLM
      await answer('Model (Hugging Face id or local path)', `deepseek-ai/DeepSeek-R1-0528${ENTER}`);
      await answer('Context size in tokens', `\x7f\x7f\x7f\x7f\x7f\x7f\x7f131072${ENTER}`);
      await answer('How many GPUs', `\x7f\x7f2${ENTER}`);
      await answer('Bridge port on 127.0.0.1', `\x7f\x7f\x7f\x7f\x7f3777${ENTER}`);
      await answer("Where should Claude Code's settings go?", ENTER);
      await answer('Configure the Claude Code extension in VS Code?', `n${ENTER}`);
      await answer('Write firewall rules', `n${ENTER}`);
      await answer(/Apply these \d+ changes\?/, `y${ENTER}`);
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
      expect(code, screen).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(screen).toContain('dsb init plan');
    expect(screen).toMatch(/context 131072 tokens \(answered\)/);
    const settings = JSON.parse(readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
    expect(settings.env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:3777',
      ANTHROPIC_MODEL: 'deepseek-ai/DeepSeek-R1-0528',
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: '131072',
    });
    const config = JSON.parse(readFileSync(path.join(home, '.config', 'dsb', 'config.json'), 'utf8'));
    expect(config.profile).toMatchObject({ backend: 'vllm', gpus: 2, ctxSize: 131072 });
    const script = readFileSync(
      path.join(home, '.config', 'dsb', 'scripts', 'start-model-server.sh'),
      'utf8',
    );
    expect(script).toMatch(
      /--tool-call-parser deepseek_v3 \\\n\s+--reasoning-parser deepseek_r1 \\\n\s+--tensor-parallel-size 2/,
    );
  });
});
