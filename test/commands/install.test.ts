// The install path: bin/run.js on a Node older than 22 re-runs itself on the package's own Node 24
// (the `node` npm package) or says what to install; a git install builds (prepare); `npm run -s dsb`
// prints only dsb's output, so --json pipes work.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { planNodeRuntime } from '../../bin/node-runtime.js';

const root = path.resolve(import.meta.dirname, '../..');
const run = path.join(root, 'bin/run.js');
const bundled = path.join(root, 'node_modules', 'node', 'bin', 'node');

const plan = (version: string, files: string[], env: Record<string, string> = {}, platform = 'linux') =>
  planNodeRuntime({
    version,
    execPath: '/usr/bin/node',
    platform,
    env,
    root: platform === 'win32' ? 'C:\\dsb' : '/opt/dsb',
    exists: (f: string) => files.includes(f),
  });

describe('bin/run.js on the Node it needs', () => {
  it('plans: run on 22+, re-run on the bundled Node, else say what to install', () => {
    expect(plan('v22.0.0', [])).toEqual({ action: 'run' });
    expect(plan('v24.21.0', [])).toEqual({ action: 'run' });
    expect(plan('v20.20.2', ['/opt/dsb/node_modules/node/bin/node'])).toEqual({
      action: 'reexec',
      file: '/opt/dsb/node_modules/node/bin/node',
    });
    expect(plan('v18.0.0', ['C:\\dsb\\node_modules\\node\\bin\\node.exe'], {}, 'win32')).toMatchObject({
      action: 'reexec',
    });
    const none = plan('v20.20.2', []);
    expect(none.action).toBe('fail');
    expect((none as { message: string }).message).toMatch(
      /needs Node\.js 22 or newer; this is Node v20\.20\.2/,
    );
    expect((none as { message: string }).message).toMatch(/Install Node 22\+/);
    // Already re-run once and still old: never loop.
    expect(plan('v20.0.0', ['/opt/dsb/node_modules/node/bin/node'], { DSB_NODE_REEXEC: '1' }).action).toBe(
      'fail',
    );
  });

  // The machine's own `node` (Node 20 here) is what `npm link` would run dsb with.
  const systemNode = (() => {
    for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
      try {
        const v = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
        if (Number(v.slice(1).split('.')[0]) < 22) return candidate;
      } catch {}
    }
    return undefined;
  })();
  it.skipIf(!systemNode)('started by an old system Node, dsb runs on the bundled Node 24', async () => {
    const r = await execa(systemNode!, [run, '--version'], { reject: false, timeout: 60_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^dsb\/\S+ \S+ node-v(2[2-9]|[3-9]\d)\./);
    const bundledVersion = execFileSync(bundled, ['--version'], { encoding: 'utf8' }).trim();
    expect(r.stdout).toContain(`node-${bundledVersion}`);
  });
});

describe('install from git and npm run', () => {
  it('a git install builds: `prepare` runs the build, and the package ships dist and the manifest', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.files).toEqual(expect.arrayContaining(['bin', 'dist', 'oclif.manifest.json']));
  });

  it('`npm run -s dsb -- …` prints only what dsb prints (no npm banner on stdout)', async () => {
    const r = await execa('npm', ['run', '-s', 'dsb', '--', '--version'], {
      cwd: root,
      reject: false,
      timeout: 60_000,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^dsb\/[^\n]+$/);
  });
});
