// DSB_UPSTREAM stands for --upstream (a comma-separated list). oclif hands a repeatable flag's env
// value over as one string: `dsb serve` crashed on it ("flags.upstream.map is not a function").
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { upstreamList } from '../../src/commands/serve.js';

const root = path.resolve(import.meta.dirname, '../..');

/** `dsb serve` with the given environment, up to its listening line (JSON log), then stopped. */
async function listeningLine(env: Record<string, string>): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-serve-env-'));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSB_')));
  const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'serve', '--port', '0'], {
    cwd: dir,
    env: { ...clean, DSB_CONFIG_DIR: dir, DSB_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  try {
    return await new Promise((resolve, reject) => {
      // Generous hang-catching deadline, not a timing assertion.
      const hang = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${stderr}`)), 60_000);
      child.stderr.on('data', (c) => {
        stderr += c;
        const line = stderr.split('\n').find((l) => l.includes('listening on'));
        if (!line) return;
        clearTimeout(hang);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}:\n${stderr}`)));
    });
  } finally {
    child.kill('SIGTERM');
  }
}

describe('DSB_UPSTREAM', () => {
  it('a comma-separated list starts the bridge with each upstream', async () => {
    const line = await listeningLine({ DSB_UPSTREAM: 'http://127.0.0.1:1, http://127.0.0.1:2' });
    expect(line.upstreams).toBe('http://127.0.0.1:1,http://127.0.0.1:2');
  });

  it('upstreamList takes repeated flags and comma-separated values alike', () => {
    expect(upstreamList(undefined)).toEqual([]);
    expect(upstreamList('http://a:1, http://b:2,')).toEqual(['http://a:1', 'http://b:2']);
    expect(upstreamList(['http://a:1', 'http://b:2,http://c:3'])).toEqual([
      'http://a:1',
      'http://b:2',
      'http://c:3',
    ]);
  });
});
