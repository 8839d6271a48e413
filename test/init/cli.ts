// Runs the built CLI (bin/run.js → dist/, built by `npm test`'s pretest) in a temporary HOME.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RUN_JS = path.join(ROOT, 'bin', 'run.js');

/** The parent's environment without anything that would configure dsb or Claude Code behind the test's back. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      /^(ANTHROPIC_|CLAUDE_|DSB_|XDG_|VSCODE_)/.test(k) ||
      k === 'CI' ||
      k === 'HOME' ||
      k === 'DEEPSEEK_API_KEY'
    )
      continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function tempHome(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function dsb(args: string[], options: { home: string; cwd?: string; env?: Record<string, string> }) {
  const res = spawnSync(process.execPath, [RUN_JS, ...args], {
    cwd: options.cwd ?? options.home,
    env: cleanEnv({ HOME: options.home, CI: 'true', NO_COLOR: '1', ...options.env }),
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
