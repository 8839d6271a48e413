// Paths as users type them: `~/models/x.gguf`, `$HOME/models`, `%USERPROFILE%\models`. A shell
// would expand these, but dsb writes the path single-quoted into scripts (and passes it to a
// process without a shell), where `~` stays a literal directory name. Expanded from the system
// context's facts (home directory, environment), never from process.env directly.

export interface ExpandFacts {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
}

/** The path with a leading `~`, `$HOME` / `${HOME}`, `%USERPROFILE%` or `$env:USERPROFILE` expanded. */
export function expandUserPath(input: string, facts: ExpandFacts): string {
  const sep = facts.platform === 'win32' ? '\\' : '/';
  const home = facts.homedir;
  const join = (base: string, rest: string) =>
    rest === '' ? base : `${base.replace(/[\\/]+$/, '')}${sep}${rest}`;
  let m = /^~(?:[\\/](.*))?$/s.exec(input);
  if (m) return join(home, m[1] ?? '');
  m = /^(?:\$HOME|\$\{HOME\})(?:[\\/](.*))?$/s.exec(input);
  if (m) return join(facts.env.HOME || home, m[1] ?? '');
  m = /^(?:%USERPROFILE%|\$env:USERPROFILE)(?:[\\/](.*))?$/is.exec(input);
  if (m) return join(facts.env.USERPROFILE || home, m[1] ?? '');
  return input;
}

/** Whether a model string is a path on this machine (not a Hugging Face id or an Ollama tag). */
export function looksLikeLocalPath(model: string): boolean {
  return (
    /^(~|\$HOME|\$\{HOME\}|%USERPROFILE%|\$env:USERPROFILE|\.{0,2}[\\/]|[A-Za-z]:[\\/])/i.test(model) ||
    /\.gguf$/i.test(model)
  );
}
