// Done-when of issue 5: `dsb init --yes`, then `dsb serve`, then the real Claude Code CLI with the
// written settings.json as its ONLY configuration answers through the bridge.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, dsb, ROOT, RUN_JS, tempHome } from '../init/cli.js';

const CLAUDE = path.join(ROOT, 'node_modules', '.bin', 'claude');
const SERVE_BUILT = path.join(ROOT, 'dist', 'commands', 'serve.js');
const ready = existsSync(CLAUDE) && existsSync(SERVE_BUILT);
if (!ready)
  console.info(
    'init-e2e.test: skipped, needs node_modules/.bin/claude and a built `dsb serve` (npm run build)',
  );

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

let home: string | undefined;
let bridge: ChildProcess | undefined;
afterAll(async () => {
  if (bridge && bridge.exitCode === null) {
    bridge.kill('SIGTERM');
    await new Promise((r) => bridge!.once('exit', r));
  }
  if (home) rmSync(home, { recursive: true, force: true });
});

describe.skipIf(!ready)('init → serve → real Claude Code', () => {
  it('answers through the bridge with only the written settings.json', { timeout: 120_000 }, async () => {
    home = tempHome('dsb-e2e-init-');
    const port = await freePort();
    const claudeDir = path.join(home, '.claude');
    const init = dsb(
      [
        'init',
        '--yes',
        '--backend',
        'llama.cpp',
        '--model',
        '/models/DeepSeek-V4-Flash-Q4_K_M.gguf',
        '--ctx-size',
        '65536',
        '--port',
        String(port),
        '--upstream',
        'http://127.0.0.1:9',
        '--no-vscode',
        '--no-firewall',
      ],
      {
        home,
        env: { CLAUDE_CONFIG_DIR: claudeDir },
      },
    );
    expect(init.code, init.stderr).toBe(0);
    expect(
      JSON.parse(readFileSync(path.join(claudeDir, 'settings.json'), 'utf8')).env.ANTHROPIC_BASE_URL,
    ).toBe(`http://127.0.0.1:${port}`);

    // The bridge takes its port from the config init wrote (no --port); --demo stands in for llama-server.
    bridge = spawn(process.execPath, [RUN_JS, 'serve', '--demo'], {
      cwd: home,
      env: cleanEnv({ HOME: home, NO_COLOR: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let bridgeLog = '';
    bridge.stdout!.on('data', (c) => {
      bridgeLog += c;
    });
    bridge.stderr!.on('data', (c) => {
      bridgeLog += c;
    });
    const deadline = Date.now() + 90_000; // hang-catching
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net
          .connect(port, '127.0.0.1')
          .once('connect', () => resolve(true))
          .once('error', () => resolve(false));
        s.once('close', () => s.destroy());
        setTimeout(() => s.destroy(), 500);
      });
      if (up) break;
      if (Date.now() > deadline || bridge.exitCode !== null)
        throw new Error(`bridge did not start on ${port}:\n${bridgeLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const work = path.join(home, 'work');
    mkdirSync(work);
    const res = spawnSync(CLAUDE, ['-p', 'say hi', '--output-format', 'json'], {
      cwd: work,
      // No ANTHROPIC_* / CLAUDE_* from the parent: settings.json is the only configuration.
      env: cleanEnv({ HOME: home, CLAUDE_CONFIG_DIR: claudeDir }),
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(res.status, `${res.stdout}\n${res.stderr}\n--- bridge ---\n${bridgeLog}`).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.is_error).toBe(false);
    expect(typeof out.result).toBe('string');
    expect(out.result.length).toBeGreaterThan(0);
    // spawnSync blocked this process: let the bridge's buffered log lines arrive first.
    const logDeadline = Date.now() + 20_000; // hang-catching only
    while (!/\/v1\/messages/.test(bridgeLog) && Date.now() < logDeadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(bridgeLog).toMatch(/POST \/v1\/messages 200/);
  });
});
