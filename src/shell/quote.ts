// Quoting of one word for each place dsb writes commands to: POSIX sh and PowerShell (so that
// model paths with spaces, quotes or `$` reach the server's argv intact; tested through a real
// shell with an argv-printing stand-in), a systemd unit's ExecStart, and a Windows command line.
import type { ShellKind } from './kind.js';

const SH_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for POSIX sh: bare when only safe characters, else single-quoted (`'` as `'\''`). */
export function quoteSh(word: string): string {
  if (SH_SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

// Commas (array operator), `@` (splatting), `$`, backticks, quotes, parentheses and braces all mean
// something to PowerShell; `--%` stops its parsing altogether.
const PS_SAFE = /^[A-Za-z0-9_./:\\=+-]+$/;

/** One word for PowerShell: bare when only safe characters, else a verbatim single-quoted string. */
export function quotePowerShell(word: string): string {
  if (PS_SAFE.test(word) && word !== '--%') return word;
  return psString(word);
}

/** A verbatim PowerShell string literal (always quoted: for expressions such as `$env:X = ...`). */
export function psString(value: string): string {
  // PowerShell also treats the typographic single quotes as quote characters: double them all.
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

export function quoteFor(shell: ShellKind, word: string): string {
  return shell === 'sh' ? quoteSh(word) : quotePowerShell(word);
}

/** systemd ExecStart word: double-quoted when needed; `%` and `$` are specifiers / variables there. */
export function quoteSystemd(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@+=:,./%$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * One argument of a Windows command line (a scheduled task's `-Argument`): double-quoted when it
 * holds white space or a double quote, with `"` as `\"`.
 */
export function quoteWindowsArg(word: string): string {
  return /[\s"]/.test(word) ? `"${word.replace(/"/g, '\\"')}"` : word;
}
