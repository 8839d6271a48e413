// The OS fake the checks are tested with must not be permissive (issue #12): a command the test did
// not script fails the test, even when the check runner turns the throw into an `error` result, and
// a scripted command that never ran fails it too.
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/checks/runner.js';
import type { Check } from '../../src/checks/types.js';
import { fakeContext, fakeSystem, UnscriptedCommandError } from './fake-system.js';

/** A check that runs one command and passes whatever it answers. */
const runs = (file: string, args: string[]): Check => ({
  id: 'runs-a-command',
  title: 'runs a command',
  required: false,
  description: 'test double',
  async run(ctx) {
    const r = await ctx.system.exec(file, args);
    return { status: 'pass', summary: r.notFound ? 'not found' : r.stdout };
  },
});

describe('fakeSystem exec', () => {
  it('throws on an unscripted command, naming it and what was scripted', async () => {
    const system = fakeSystem({ commands: { 'node --version': { stdout: 'v22.12.0' } } });
    await system.exec('node', ['--version']);
    const err = await system.exec('which', ['-a', 'node']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnscriptedCommandError);
    expect((err as UnscriptedCommandError).code).toBe('UNSCRIPTED_COMMAND');
    expect((err as Error).message).toMatch(/unscripted command "which -a node"; scripted: "node --version"/);
    expect(system.unscripted).toEqual(['which -a node']);
    system.unscripted.length = 0; // acknowledged: this test means it
  });

  it.fails('fails the test when a check ran an unscripted command, though the runner caught the throw', async () => {
    const system = fakeSystem();
    const r = await runCheck(runs('nvidia-smi', ['-L']), fakeContext(system), new Map());
    // The runner reports the throw as a dsb error; the test body alone would not notice.
    expect(r.status).toBe('error');
  });

  it("answers a command scripted 'notfound' as not installed", async () => {
    const system = fakeSystem({ commands: { 'nvidia-smi': 'notfound' } });
    const r = await runCheck(runs('nvidia-smi', ['-L']), fakeContext(system), new Map());
    expect(r).toMatchObject({ status: 'pass', summary: 'not found' });
  });

  it('matches the exact command line first, then the file with any arguments', async () => {
    const system = fakeSystem({
      commands: { 'wsl.exe --status': { stdout: 'exact' }, 'wsl.exe': { stdout: 'any' } },
    });
    expect((await system.exec('wsl.exe', ['--status'])).stdout).toBe('exact');
    expect((await system.exec('wsl.exe', ['--list', '--verbose'])).stdout).toBe('any');
  });
});

describe('fakeSystem assertAllUsed', () => {
  it('fails while a scripted command has not run, and passes once every one has', async () => {
    const system = fakeSystem({
      commands: { 'ufw status': { stdout: 'Status: inactive' }, 'firewall-cmd': 'notfound' },
    });
    await system.exec('ufw', ['status']);
    expect(() => system.assertAllUsed()).toThrow(
      /scripted commands never ran: "firewall-cmd"; ran: "ufw status"/,
    );
    await system.exec('firewall-cmd', ['--state']);
    expect(() => system.assertAllUsed()).not.toThrow();
  });

  it.fails('runs by itself when the test finishes: an unused scripted command fails the test', async () => {
    fakeSystem({ commands: { 'nvidia-smi': 'notfound' } });
  });

  it('allowUnusedCommands opts a multi-scenario test out of the automatic check', async () => {
    const system = fakeSystem({ commands: { 'nvidia-smi': 'notfound' }, allowUnusedCommands: true });
    expect(() => system.assertAllUsed()).toThrow(/never ran/);
  });
});
