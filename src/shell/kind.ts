// Which shell dsb writes commands for. One decision for the whole CLI: `dsb launch` prints in it,
// `dsb init` picks the start script it tells the user to run, and writes PowerShell scripts only
// where a PowerShell is at hand.

export type ShellKind = 'sh' | 'powershell';

/** The shell a user types commands in: PowerShell on Windows, POSIX sh elsewhere (WSL's terminal too). */
export function shellFor(system: { platform: NodeJS.Platform }): ShellKind {
  return system.platform === 'win32' ? 'powershell' : 'sh';
}

/**
 * Whether Windows is at hand: on Windows itself, and in WSL, whose Windows side runs PowerShell
 * scripts and owns the firewall Windows clients pass. On Linux and macOS a `.ps1` is clutter.
 */
export function windowsAtHand(system: { platform: NodeJS.Platform; isWsl: boolean }): boolean {
  return system.platform === 'win32' || system.isWsl;
}
