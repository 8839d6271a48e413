// The built CLI: `dsb serve` warns at start-up when an upstream's per-request context is too small
// for Claude Code, naming the cause and the `dsb launch` command (issue #14). Scripted llama-server
// here; the real one with -np 4 in test/real/context-slots-real.test.ts.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, RUN_JS } from '../init/cli.js';
import { startScriptedUpstream } from '../support/fake-upstream/index.js';

const built = existsSync(path.join(path.dirname(RUN_JS), '..', 'dist', 'commands', 'serve.js'));
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!built)('dsb serve start-up context advice (built CLI)', () => {
  it('warns about a 32K llama-server with the cause and the fix, in the JSON log', async () => {
    const upstream = await startScriptedUpstream({ nCtx: 32_768, script: () => ({ text: 'ok' }) });
    cleanups.push(() => upstream.close());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-serve-advice-'));
    const child = spawn(
      process.execPath,
      [RUN_JS, 'serve', '--upstream', upstream.url, '--port', '0', '--log-format', 'json'],
      {
        cwd: dir,
        env: cleanEnv({ HOME: dir, DSB_CONFIG_DIR: dir, NO_COLOR: '1' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    cleanups.push(async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    });
    let stderr = '';
    const warning = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`dsb serve exited (${code}) without the warning: ${stderr}`)),
      );
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        for (const line of stderr.split('\n')) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.level === 'warn' && String(entry.msg).includes('Claude Code needs')) resolve(entry);
        }
      });
    });
    expect(warning.msg).toContain(`${upstream.url}: 32768 tokens per request is less than Claude Code needs`);
    expect(warning.msg).toContain('Cause: llama-server runs with -c 32768');
    expect(warning.fix).toBe(`dsb launch llama.cpp --ctx-size 65536 --port ${new URL(upstream.url).port}`);
  });
});
