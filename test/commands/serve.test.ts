// The built CLI: `dsb serve` starts, answers, stops on SIGTERM; bad settings exit 2 with a clear message.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const run = path.join(root, 'bin/run.js');
const isolatedEnv = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-serve-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSB_')));
  return { dir, env: { ...env, DSB_CONFIG_DIR: dir, NO_COLOR: '1' } };
};

describe('dsb serve (built CLI)', () => {
  it('serves the demo upstream on a free port and stops cleanly on SIGTERM', async () => {
    const { dir, env } = isolatedEnv();
    const child = spawn(process.execPath, [run, 'serve', '--demo', '--port', '0', '--log-format', 'json'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line: ${stderr}`)), 60_000); // hang-catching
      child.stderr.on('data', () => {
        const m = /listening on (http:\/\/[^"\s]+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const res = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'ping' }],
      }),
    });
    const answer = (await res.json()) as { content: Array<{ text: string }> };
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(answer.content[0]!.text).toContain('You said: "ping"');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    // --log-format json: every line parses, and the request line names the models.
    const lines = stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({
      status: 200,
      modelAsked: 'claude-haiku-4-5',
      modelSent: 'dsb-demo',
    });
  });

  it('refuses a non-loopback bind without a token (exit 2)', async () => {
    const { dir, env } = isolatedEnv();
    const r = await execa(process.execPath, [run, 'serve', '--host', '0.0.0.0', '--port', '0'], {
      cwd: dir,
      env,
      reject: false,
      timeout: 90_000, // hang-catching
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/DSB_AUTH_TOKEN/);
  });

  it('names the file and field of an invalid config (exit 2)', async () => {
    const { dir, env } = isolatedEnv();
    writeFileSync(path.join(dir, 'dsb.config.json'), JSON.stringify({ upstreams: [{ url: 'not a url' }] }));
    const r = await execa(process.execPath, [run, 'serve', '--port', '0'], {
      cwd: dir,
      env,
      reject: false,
      timeout: 90_000, // hang-catching
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/dsb\.config\.json/);
    expect(r.stderr).toMatch(/upstreams\.0\.url/);
  });

  it('--help teaches with examples', async () => {
    const r = await execa(process.execPath, [run, 'serve', '--help'], { reject: false, timeout: 90_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('--demo');
    expect(r.stdout).toContain('ANTHROPIC_BASE_URL');
    expect(r.stdout).toContain('dsb serve --upstream http://127.0.0.1:8080');
  });
});
