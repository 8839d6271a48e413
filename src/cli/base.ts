// The base of every dsb command: usage errors stay on screen (one line, a "did you mean", where to
// find the flags) instead of scrolling away under the full usage oclif prints after them, and a
// prompt cancelled with Ctrl-C exits 130 quietly, like any program interrupted by SIGINT.
import { Command, Errors } from '@oclif/core';
import { closest, didYouMean } from './suggest.js';

/** Exit status of a program interrupted by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

type ParseError = Error & {
  showHelp?: boolean;
  flags?: string[];
  oclif?: { exit?: number };
  /** Set on oclif's parse errors (CLIParseError and its subclasses). */
  parse?: unknown;
};

export abstract class DsbCommand extends Command {
  /** What a Ctrl-C at a prompt prints (commands that write files say whether they did). */
  protected cancelledMessage = 'Cancelled.';

  override async catch(err: ParseError): Promise<unknown> {
    if (err.name === 'ExitPromptError' || err.name === 'AbortPromptError') {
      // @inquirer/prompts on Ctrl-C: an interruption the user asked for, not an error to frame.
      process.stderr.write(`\n${this.cancelledMessage}\n`);
      process.exitCode = EXIT_INTERRUPTED;
      throw new Errors.ExitError(EXIT_INTERRUPTED);
    }
    if (err.parse !== undefined || err.showHelp || /\nSee more help with --help$/.test(err.message)) {
      // A fresh error: oclif's parse errors carry the whole parser state, which --json would print.
      // Usage errors exit 2, --json mode included (oclif would use 1 there).
      if (process.exitCode === undefined) process.exitCode = 2;
      return super.catch(new Errors.CLIError(this.usageMessage(err), { exit: 2 }));
    }
    if (err.oclif?.exit !== undefined && process.exitCode === undefined) {
      process.exitCode = err.oclif.exit;
    }
    return super.catch(err);
  }

  /** "Nonexistent flag: --prot (did you mean --port?)\nSee every flag: dsb serve --help". */
  private usageMessage(err: ParseError): string {
    const first = err.message
      .replace(/\nSee more help with --help$/, '')
      .replace(/^Parsing (--\S+)\s*\n\t/, '$1: ');
    let hint = '';
    if (Array.isArray(err.flags) && err.flags.length === 1) {
      const typed = err.flags[0]!.replace(/^-+/, '').replace(/=.*$/, '');
      const known = Object.keys((this.constructor as typeof Command).flags ?? {});
      hint = didYouMean(closest(typed, known), '--');
    }
    const id = this.id ? ` ${this.id.replaceAll(':', ' ')}` : '';
    return `${first}${hint}\nSee every flag: ${this.config.bin}${id} --help`;
  }
}
