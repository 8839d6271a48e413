// The built CLI against the REAL llama-server: `dsb launch llama.cpp --run` starts the shared build
// with the flags dsb generates, `dsb doctor`'s upstream checks judge a real server.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorReportSchema } from '../../src/checks/types.js';
import { cleanEnv, RUN_JS } from '../init/cli.js';
import {
  freePort,
  llamaPaths,
  type RealLlama,
  SKIP_REASON,
  startRealLlama,
  stopPid,
} from '../support/real-llama.js';

/** Hang-catching deadline for a server to come up or go away. */
const HANG_DEADLINE_MS = 120_000;

let home: string;
beforeAll(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'dsb-real-cmd-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

const env = () => cleanEnv({ HOME: home, NO_COLOR: '1', XDG_CONFIG_HOME: path.join(home, '.config') });

describe.skipIf(SKIP_REASON)('real llama-server: dsb launch', () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child?.pid && child.exitCode === null) await stopPid(child.pid);
  });

  it('real llama-server: dsb launch llama.cpp --run --bin --model starts the shared build with the flags dsb generates and reports the context it really got', async () => {
    const { bin, model } = llamaPaths();
    const port = await freePort();
    const flags = [
      '--bin',
      bin,
      '--model',
      model,
      '--ctx-size',
      '8192',
      '--gpus',
      '0',
      '--port',
      String(port),
    ];
    // What dsb generates, printed without --run.
    const printed = await execa(process.execPath, [RUN_JS, 'launch', 'llama.cpp', ...flags, '--json'], {
      env: env(),
      extendEnv: false,
      reject: false,
    });
    expect(printed.exitCode, printed.stderr).toBe(0);
    const plan = JSON.parse(printed.stdout) as { command: string; ctxSize: number };
    expect(plan.command).toContain(`-c 8192 -np 1 --host 127.0.0.1 --port ${port}`);
    expect(plan.command).toContain('--jinja');

    child = spawn(process.execPath, [RUN_JS, 'launch', 'llama.cpp', '--run', ...flags, '--timeout', '120'], {
      // One thread (llama.cpp reads its flags from LLAMA_ARG_*): tests run beside it, and two
      // spinning threads on a busy 2-core machine can stall its warm-up for minutes.
      env: { ...env(), LLAMA_ARG_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (err += c));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const until = performance.now() + HANG_DEADLINE_MS;
    while (!out.includes('ready at') && child.exitCode === null && performance.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    // Started with exactly the generated command, and the server itself serves that context.
    expect(err).toContain(`starting: ${plan.command}`);
    expect(out, err).toMatch(
      new RegExp(
        `ready at http://127\\.0\\.0\\.1:${port} after [\\d.]+ s; context 8192 tokens per request \\(`,
      ),
    );
    const props = (await (await fetch(`http://127.0.0.1:${port}/props`)).json()) as {
      default_generation_settings: { n_ctx: number };
    };
    expect(props.default_generation_settings.n_ctx).toBe(8192);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The server went with it: its port answers no more.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});

function doctor(args: string[], extraEnv: Record<string, string> = {}) {
  return execa(process.execPath, [RUN_JS, 'doctor', '--json', ...args], {
    env: { ...env(), CLAUDE_CONFIG_DIR: path.join(home, '.claude'), ...extraEnv },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
}

const statusById = (stdout: string) => {
  const report = doctorReportSchema.parse(JSON.parse(stdout));
  return Object.fromEntries(report.checks.map((c) => [c.id, c]));
};

describe.skipIf(SKIP_REASON)('real llama-server: dsb doctor', () => {
  let llama: RealLlama | undefined;
  let split: RealLlama | undefined;
  beforeAll(async () => {
    if (SKIP_REASON) return;
    [llama, split] = await Promise.all([
      startRealLlama(['-c', '65536', '-np', '1']),
      startRealLlama(['-c', '65536', '-np', '4']),
    ]);
  });
  afterAll(async () => {
    await Promise.all([llama?.stop(), split?.stop()]);
  });

  it('real llama-server: the upstream checks pass against it', async () => {
    const r = await doctor(
      ['--upstream', llama!.url, 'upstream-openai', 'upstream-context', 'upstream-tools'],
      // Claude Code takes CLAUDE_CODE_MAX_CONTEXT_TOKENS only with a non-Claude model name (§6).
      { ANTHROPIC_MODEL: 'deepseek-v4-flash', CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536' },
    );
    const checks = statusById(r.stdout);
    for (const id of ['upstream-openai', 'upstream-context', 'upstream-tools']) {
      expect(`${id}: ${checks[id]?.status}: ${checks[id]?.summary}`).toMatch(new RegExp(`^${id}: pass: `));
    }
    expect(checks['upstream-openai']!.summary).toMatch(/llama\.cpp/);
    expect(checks['upstream-context']!.summary).toMatch(/65536/);
    expect(r.exitCode).toBe(0);

    // The window setting alone leaves Claude Code on its default model and its 1M window: warned.
    const alone = await doctor(['--upstream', llama!.url, 'upstream-context'], {
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
    });
    const context = statusById(alone.stdout)['upstream-context']!;
    expect(context.status).toBe('warn');
    expect(context.summary).toMatch(/1M/);
  });

  it('real llama-server: with -np 4 -c 65536 the context check warns about the 16,384-token slots', async () => {
    const r = await doctor(['--upstream', split!.url, 'upstream-context'], {
      ANTHROPIC_MODEL: 'deepseek-v4-flash',
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
    });
    const check = statusById(r.stdout)['upstream-context']!;
    expect(['warn', 'fail']).toContain(check.status);
    const said = JSON.stringify(check);
    expect(said).toMatch(/16384|16K/);
    expect(said).toMatch(/-np 4|4 slots/);
  });
});
