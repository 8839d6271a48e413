// `dsb launch` through the built CLI: the profile init saved, --json, --shell, usage errors, and
// --run against a stand-in llama-server.
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quoteSh } from '../../src/shell/quote.js';
import { dsb, ROOT, tempHome } from '../init/cli.js';

let home: string;
beforeEach(() => {
  home = tempHome('dsb-cli-launch-');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('dsb launch (CLI)', () => {
  it('uses the profile dsb init saved', () => {
    const init = dsb(
      [
        'init',
        '--yes',
        '--backend',
        'vllm',
        '--model',
        'deepseek-ai/DeepSeek-V3.2',
        '--gpus',
        '4',
        '--ctx-size',
        '131072',
        '--upstream',
        'http://127.0.0.1:9',
      ],
      { home },
    );
    expect(init.code, init.stderr).toBe(0);
    const res = dsb(['launch', '--json'], { home });
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.command).toBe(
      'vllm serve deepseek-ai/DeepSeek-V3.2 --host 127.0.0.1 --port 9 --max-model-len 131072 --enable-auto-tool-choice --tool-call-parser deepseek_v32 --reasoning-parser deepseek_v3 --tensor-parallel-size 4',
    );
  });

  it('prints a PowerShell command with safe quoting', () => {
    const res = dsb(
      [
        'launch',
        'llama.cpp',
        '--model',
        "C:\\Models\\it's big.gguf",
        '--gpus',
        '1',
        '--ctx-size',
        '65536',
        '--shell',
        'powershell',
      ],
      { home },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain("-m 'C:\\Models\\it''s big.gguf'");
    expect(res.stdout).not.toContain('--no-mmap');
  });

  it('usage errors exit 2', () => {
    expect(dsb(['launch'], { home }).code).toBe(2);
    expect(dsb(['launch', 'llama.cpp', '--run'], { home }).stderr).toMatch(/--model-file is required/);
    expect(dsb(['launch', 'tgi'], { home }).code).toBe(2);
  });

  it('--run starts the server, waits for it and reports its real context; SIGTERM stops both', async () => {
    const bin = path.join(home, 'llama-server');
    const fake = path.join(ROOT, 'test', 'launch', 'fixtures', 'fake-llama-server.mjs');
    writeFileSync(bin, `#!/bin/sh\nexec ${quoteSh(process.execPath)} ${quoteSh(fake)} "$@"\n`);
    chmodSync(bin, 0o755);
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const { spawn } = await import('node:child_process');
    const { cleanEnv, RUN_JS } = await import('../init/cli.js');
    const child = spawn(
      process.execPath,
      [
        RUN_JS,
        'launch',
        'llama.cpp',
        '--run',
        '--bin',
        bin,
        '--model',
        '/m/x.gguf',
        '--ctx-size',
        '8192',
        '--port',
        String(port),
        '--timeout',
        '90',
      ],
      {
        env: cleanEnv({ HOME: home, NO_COLOR: '1' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    const deadline = Date.now() + 90_000; // hang-catching
    while (!out.includes('ready at') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    expect(out, err).toMatch(
      new RegExp(
        `ready at http://127.0.0.1:${port} after [\\d.]+ s; context 8192 tokens per request \\(GET /props`,
      ),
    );
    expect(err).toContain('server is listening');
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    // The stand-in is gone too: its port is free again.
    const free = await new Promise((resolve) => {
      const s = net
        .createServer()
        .once('error', () => resolve(false))
        .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    expect(free).toBe(true);
  });
});
