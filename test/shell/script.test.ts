// The generic server script: the Ollama one is covered byte for byte by test/launch/generate.test.ts
// (golden files); these pin what the kit guarantees to any caller.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScriptCommand, serverScriptBody } from '../../src/shell/script.js';

const server = { env: { PORT: '1 2' }, program: 'srv', args: ['serve', '--port', '1'] };

describe('serverScriptBody', () => {
  it('a server alone is exec-ed in sh (its signals reach it) and run as is in PowerShell', () => {
    expect(serverScriptBody({ server, afterReady: [] }, 'sh')).toBe(
      "exec PORT='1 2' srv serve \\\n  --port 1",
    );
    expect(serverScriptBody({ server, afterReady: [] }, 'powershell')).toBe(
      "$env:PORT = '1 2'\nsrv serve `\n  --port 1",
    );
  });

  it('follow-up commands wait for the ready check; sh passes the check its env, PowerShell sets it once', () => {
    const script = {
      server,
      afterReady: [{ env: { PORT: '1 2' }, program: 'srv', args: ['make', 'x y'] }],
      readyCheck: { env: { PORT: '1 2' }, program: 'srv', args: ['list'] },
    };
    expect(serverScriptBody(script, 'sh').split('\n')).toEqual([
      "PORT='1 2' srv serve \\",
      '  --port 1 &',
      'server=$!',
      "until PORT='1 2' srv list >/dev/null 2>&1; do sleep 1; done",
      "PORT='1 2' srv make 'x y'",
      'wait "$server"',
    ]);
    expect(serverScriptBody(script, 'powershell').split('\n')).toEqual([
      "$env:PORT = '1 2'",
      "$server = Start-Process -FilePath 'srv' -ArgumentList 'serve', '--port', '1' -NoNewWindow -PassThru",
      'while ($true) { & srv list *> $null; if ($LASTEXITCODE -eq 0) { break }; Start-Sleep 1 }',
      "srv make 'x y'",
      'Wait-Process -Id $server.Id',
    ]);
  });

  it('follow-up commands without a ready check are a bug, not a script that races the server', () => {
    expect(() => serverScriptBody({ server, afterReady: [server] }, 'sh')).toThrow(/readyCheck/);
  });
});

describe('runScriptCommand', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-shell-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a script whose path has spaces and quotes through a real sh', () => {
    const folder = path.join(dir, "my scripts's $HOME");
    mkdirSync(folder);
    const file = path.join(folder, 'start.sh');
    writeFileSync(file, 'echo started\n');
    const out = execFileSync('sh', ['-c', runScriptCommand('sh', file)], { encoding: 'utf8' });
    expect(out).toBe('started\n');
  });

  it('PowerShell ignores the execution policy for the unsigned scripts dsb writes', () => {
    expect(runScriptCommand('powershell', 'C:\\Users\\a b\\dsb\\x.ps1')).toBe(
      'powershell -NoProfile -ExecutionPolicy Bypass -File "C:\\Users\\a b\\dsb\\x.ps1"',
    );
  });
});
