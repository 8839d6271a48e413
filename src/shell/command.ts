// A command line (environment, program, arguments) and how it reads typed into sh or PowerShell,
// on one line or broken after each option.
import type { ShellKind } from './kind.js';
import { psString, quoteFor, quoteSh } from './quote.js';

export interface CommandLine {
  /** Environment variables set for this command only. */
  env?: Record<string, string>;
  program: string;
  args: string[];
}

export interface RenderOptions {
  /** Break long commands after each option, with the shell's line continuation. */
  multiline?: boolean;
}

/**
 * Groups the arguments for a multi-line rendering: leading positionals (`serve MODEL`) stay with the
 * program, then each option with its value on a line of its own.
 */
function groupArgs(args: string[]): { head: string[]; groups: string[][] } {
  let i = 0;
  while (i < args.length && !args[i]!.startsWith('-')) i++;
  const groups: string[][] = [];
  for (const arg of args.slice(i)) {
    const last = groups[groups.length - 1];
    if (last && last.length === 1 && last[0]!.startsWith('-') && !arg.startsWith('-')) last.push(arg);
    else groups.push([arg]);
  }
  return { head: args.slice(0, i), groups };
}

/** The command as the user would type it in `shell`. */
export function renderCommand(cmd: CommandLine, shell: ShellKind, options: RenderOptions = {}): string {
  const q = (w: string) => quoteFor(shell, w);
  const env = Object.entries(cmd.env ?? {});
  let program = q(cmd.program);
  if (shell === 'powershell' && program !== cmd.program) program = `& ${program}`;
  const { head, groups } = groupArgs(cmd.args);
  const sep = options.multiline ? (shell === 'sh' ? ' \\\n  ' : ' `\n  ') : ' ';
  const line = [[program, ...head.map(q)].join(' '), ...groups.map((g) => g.map(q).join(' '))].join(sep);
  if (shell === 'sh') {
    const prefix = env.map(([k, v]) => `${k}=${quoteSh(v)}`).join(' ');
    return prefix ? `${prefix} ${line}` : line;
  }
  const assignments = env.map(([k, v]) => `$env:${k} = ${psString(v)}`);
  return [...assignments, line].join(options.multiline ? '\n' : '; ');
}
