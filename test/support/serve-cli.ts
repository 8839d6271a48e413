// `dsb serve` as a user starts it (the built CLI), with an isolated user config and no DSB_* of the
// test runner's environment: its stderr lines up to and including the "listening on" line.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** Starts `dsb serve --port 0 …args`, returns its stderr up to the listening line, then stops it. */
export async function serveUntilListening(
  args: string[],
  env: Record<string, string> = {},
): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-serve-'));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSB_')));
  const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'serve', '--port', '0', ...args], {
    cwd: dir,
    env: { ...clean, DSB_CONFIG_DIR: dir, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  try {
    return await new Promise((resolve, reject) => {
      // Generous hang-catching deadline, not a timing assertion.
      const hang = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${stderr}`)), 60_000);
      child.stderr.on('data', (c) => {
        stderr += c;
        if (!/listening on/.test(stderr)) return;
        clearTimeout(hang);
        const lines = stderr.split('\n');
        resolve(lines.slice(0, lines.findIndex((l) => /listening on/.test(l)) + 1));
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}:\n${stderr}`)));
    });
  } finally {
    child.kill('SIGTERM');
  }
}

/** The JSON log lines among `lines` (`--log-format json`). */
export const jsonLines = (lines: string[]) =>
  lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown> & { msg: string });
