// `dsb serve` warms up before it listens (the local tokenizer, the upstream's facts), so the first
// request is as quick as the next; and it says at start that an upstream is dead or named localhost.
// Event order, not time: the warm-up lines come before the "listening" line.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const run = path.join(root, 'bin/run.js');

/** Starts `dsb serve`, returns its JSON log lines up to and including the "listening" one, then stops it. */
async function startLines(args: string[]): Promise<Array<{ level: string; msg: string }>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-warm-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSB_')));
  const child = spawn(process.execPath, [run, 'serve', '--port', '0', '--log-format', 'json', ...args], {
    cwd: dir,
    env: { ...env, DSB_CONFIG_DIR: dir, NO_COLOR: '1' },
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
        const lines = stderr
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { level: string; msg: string });
        resolve(lines);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}:\n${stderr}`)));
    });
  } finally {
    child.kill('SIGTERM');
  }
}

const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('dsb serve warm-up', () => {
  it('loads the tokenizer and learns the upstream before the listening line', async () => {
    const lines = await startLines(['--demo']);
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l.msg));
    const listening = at(/listening on/);
    expect(at(/warm-up: local tokenizer loaded/)).toBeGreaterThanOrEqual(0);
    expect(at(/warm-up: local tokenizer loaded/)).toBeLessThan(listening);
    expect(at(/warm-up: upstream demo is llama\.cpp, context 65536/)).toBeLessThan(listening);
    expect(at(/warm-up: upstream demo is llama\.cpp/)).toBeGreaterThanOrEqual(0);
  });

  it('a dead upstream and a localhost upstream are warned about at start', async () => {
    const port = await closedPort();
    const lines = await startLines(['--upstream', `http://localhost:${port}`]);
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`uses localhost.*use http://127\\.0\\.0\\.1:${port}`)),
        expect.stringMatching(/does not answer GET \/v1\/models: start the model server/),
      ]),
    );
  });
});
