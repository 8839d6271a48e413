// `dsb serve` re-executes itself with a young-generation cap (src/system/serve-process.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planServeProcess, REEXEC_MARKER, type ServeProcessInput } from '../../src/system/serve-process.js';

const base: ServeProcessInput = {
  argv: ['/usr/bin/node', '/opt/dsb/bin/run.js', 'serve', '--port', '3000'],
  execArgv: [],
  execPath: '/usr/bin/node',
  env: { PATH: '/usr/bin', HOME: '/home/u' },
  platform: 'linux',
  canExecve: true,
};

describe('planServeProcess', () => {
  it('re-executes serve with the semi-space cap, keeping argv, execArgv and env', () => {
    const plan = planServeProcess({ ...base, execArgv: ['--enable-source-maps'] });
    expect(plan).toEqual({
      file: '/usr/bin/node',
      args: [
        '/usr/bin/node',
        '--max-semi-space-size=8',
        '--enable-source-maps',
        '/opt/dsb/bin/run.js',
        'serve',
        '--port',
        '3000',
      ],
      env: { PATH: '/usr/bin', HOME: '/home/u', [REEXEC_MARKER]: '1', MALLOC_ARENA_MAX: '2' },
      added: ['--max-semi-space-size=8'],
    });
  });

  it('leaves every other command, and a second pass, alone', () => {
    expect(
      planServeProcess({ ...base, argv: ['/usr/bin/node', '/opt/dsb/bin/run.js', 'doctor'] }),
    ).toBeUndefined();
    expect(planServeProcess({ ...base, argv: ['/usr/bin/node', '/opt/dsb/bin/run.js'] })).toBeUndefined();
    expect(planServeProcess({ ...base, env: { [REEXEC_MARKER]: '1' } })).toBeUndefined();
  });

  it('serves in place on Windows and on a Node without execve', () => {
    expect(planServeProcess({ ...base, platform: 'win32' })).toBeUndefined();
    expect(planServeProcess({ ...base, canExecve: false })).toBeUndefined();
  });

  it("respects the user's own semi-space size, in execArgv or NODE_OPTIONS", () => {
    expect(planServeProcess({ ...base, execArgv: ['--max-semi-space-size=32'] })).toBeUndefined();
    expect(
      planServeProcess({ ...base, env: { NODE_OPTIONS: '--inspect --max-semi-space-size=4' } }),
    ).toBeUndefined();
    // A flag that merely starts alike is not the same flag.
    expect(planServeProcess({ ...base, env: { NODE_OPTIONS: '--max-semi-space-size-x' } })).toBeDefined();
  });

  it('takes DSB_SEMI_SPACE_MB (0 keeps Node defaults; a bad value keeps dsb default)', () => {
    expect(planServeProcess({ ...base, env: { DSB_SEMI_SPACE_MB: '0' } })).toBeUndefined();
    expect(planServeProcess({ ...base, env: { DSB_SEMI_SPACE_MB: '16' } })?.added).toEqual([
      '--max-semi-space-size=16',
    ]);
    expect(planServeProcess({ ...base, env: { DSB_SEMI_SPACE_MB: 'lots' } })?.added).toEqual([
      '--max-semi-space-size=8',
    ]);
  });

  it('stays in place under a debugger (the exec would drop it)', () => {
    expect(planServeProcess({ ...base, execArgv: ['--inspect-brk=9229'] })).toBeUndefined();
    expect(planServeProcess({ ...base, env: { NODE_OPTIONS: '--inspect' } })).toBeUndefined();
    expect(planServeProcess({ ...base, execArgv: ['--inspect-publish-uid=http'] })).toBeDefined();
  });

  it('keeps a MALLOC_ARENA_MAX the user set', () => {
    expect(planServeProcess({ ...base, env: { MALLOC_ARENA_MAX: '8' } })?.env.MALLOC_ARENA_MAX).toBe('8');
  });
});

const root = path.resolve(import.meta.dirname, '../..');
const linuxWithExecve =
  process.platform === 'linux' && typeof (process as unknown as { execve?: unknown }).execve === 'function';

/** Starts the built `dsb serve --demo`, returns the cmdline of its pid once it listens, then stops it. */
async function servedCmdline(extraEnv: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-reexec-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSB_')));
  const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'serve', '--demo', '--port', '0'], {
    cwd: dir,
    env: { ...env, DSB_CONFIG_DIR: dir, NO_COLOR: '1', ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line: ${stderr}`)), 60_000); // hang-catching
      child.stderr.on('data', (c) => {
        stderr += c;
        if (stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    // The same pid serves: the exec replaced the process, it did not start another one.
    return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

describe.runIf(linuxWithExecve)('dsb serve process (built CLI, Linux)', () => {
  it('serves from the same pid, re-executed with the cap', async () => {
    const cmdline = await servedCmdline({});
    expect(cmdline[1]).toBe('--max-semi-space-size=8');
    expect(cmdline.slice(-4)).toEqual(['serve', '--demo', '--port', '0']);
  });

  it('with DSB_SEMI_SPACE_MB=0 serves with Node defaults', async () => {
    const cmdline = await servedCmdline({ DSB_SEMI_SPACE_MB: '0' });
    expect(cmdline.some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
  });
});
