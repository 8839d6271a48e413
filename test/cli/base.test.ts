import { Config, Errors, Flags } from '@oclif/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DsbCommand, EXIT_INTERRUPTED } from '../../src/cli/base.js';

class Serve extends DsbCommand {
  static override flags = { port: Flags.integer(), host: Flags.string() };
  async run(): Promise<void> {}
}

let config: Config;
beforeAll(async () => {
  config = await Config.load({ root: process.cwd() });
});
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** What `catch` rethrows for `err` (oclif's catch rethrows to let the runner print it). */
async function caught(err: Error, id = 'serve'): Promise<Error & { oclif?: { exit?: number } }> {
  const cmd = new Serve([], config);
  cmd.id = id;
  try {
    await cmd.catch(err);
  } catch (thrown) {
    return thrown as Error;
  }
  throw new Error('catch did not rethrow');
}

/** An error shaped like oclif's parse errors. */
const parseError = (message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { parse: {}, ...extra });

describe('DsbCommand.catch', () => {
  it('a mistyped flag: one line, a did-you-mean, where to find the flags, exit 2', async () => {
    const err = await caught(
      parseError('Nonexistent flag: --prot\nSee more help with --help', { flags: ['--prot=3000'] }),
    );
    expect(err).toBeInstanceOf(Errors.CLIError);
    expect(err.message).toBe(
      `Nonexistent flag: --prot (did you mean --port?)\nSee every flag: ${config.bin} serve --help`,
    );
    expect(err.oclif?.exit).toBe(2);
    expect(process.exitCode).toBe(2);
  });

  it('no suggestion when nothing is close, or when several flags are wrong', async () => {
    const far = await caught(parseError('Nonexistent flag: --zzzzzz', { flags: ['--zzzzzz'] }));
    expect(far.message).toBe(`Nonexistent flag: --zzzzzz\nSee every flag: ${config.bin} serve --help`);
    const two = await caught(
      parseError('Nonexistent flags: --prot, --hots', { flags: ['--prot', '--hots'] }),
    );
    expect(two.message).not.toContain('did you mean');
  });

  it('"Parsing --flag\\n\\t…" becomes "--flag: …"; a topic command id is spelled with spaces', async () => {
    const err = await caught(
      parseError('Parsing --port \n\tExpected an integer but received: x'),
      'init:wizard',
    );
    expect(err.message).toBe(
      `--port: Expected an integer but received: x\nSee every flag: ${config.bin} init wizard --help`,
    );
  });

  it('an error that asks for help is a usage error too; an exit code already set is kept', async () => {
    process.exitCode = 3;
    const err = await caught(Object.assign(new Error('Missing 1 required arg'), { showHelp: true }));
    expect(err.oclif?.exit).toBe(2);
    expect(process.exitCode).toBe(3);
  });

  it('a cancelled prompt exits 130 quietly with the command’s message', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    for (const name of ['ExitPromptError', 'AbortPromptError']) {
      process.exitCode = undefined;
      const e = Object.assign(new Error('User force closed the prompt'), { name });
      const err = await caught(e);
      expect(err).toBeInstanceOf(Errors.ExitError);
      expect(err.oclif?.exit).toBe(EXIT_INTERRUPTED);
      expect(process.exitCode).toBe(EXIT_INTERRUPTED);
    }
    expect(writes).toEqual(['\nCancelled.\n', '\nCancelled.\n']);
  });

  it('any other error keeps its own exit code and message', async () => {
    const original = new Errors.CLIError('upstream unreachable', { exit: 4 });
    const err = await caught(original);
    expect(err).toBe(original);
    expect(process.exitCode).toBe(4);
  });
});
