// Where init writes, per OS, as pure functions of (platform, env, home, cwd) so plans are testable
// for every OS on any OS.
import path from 'node:path';
import { PROJECT_CONFIG_FILE } from '../config/paths.js';

export interface PathFacts {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  homedir: string;
  cwd: string;
}

export type Scope = 'user' | 'project';

export const pathFor = (platform: NodeJS.Platform): path.PlatformPath =>
  platform === 'win32' ? path.win32 : path.posix;

/** dsb's user config dir: the same place src/config/paths.ts finds with env-paths. */
export function dsbUserConfigDir(f: PathFacts): string {
  const p = pathFor(f.platform);
  if (f.env.DSB_CONFIG_DIR) return f.env.DSB_CONFIG_DIR;
  if (f.platform === 'win32')
    return p.join(f.env.APPDATA || p.join(f.homedir, 'AppData', 'Roaming'), 'dsb', 'Config');
  if (f.platform === 'darwin') return p.join(f.homedir, 'Library', 'Preferences', 'dsb');
  return p.join(f.env.XDG_CONFIG_HOME || p.join(f.homedir, '.config'), 'dsb');
}

export function dsbConfigFile(scope: Scope, f: PathFacts): string {
  const p = pathFor(f.platform);
  return scope === 'project'
    ? p.join(f.cwd, PROJECT_CONFIG_FILE)
    : p.join(dsbUserConfigDir(f), 'config.json');
}

/** Launch scripts, the Modelfile, the service unit and firewall scripts. */
export function scriptsDir(f: PathFacts): string {
  return pathFor(f.platform).join(dsbUserConfigDir(f), 'scripts');
}

/** Claude Code's settings.json: ~/.claude (or $CLAUDE_CONFIG_DIR) for the user, .claude/ in the project. */
export function claudeSettingsFile(scope: Scope, f: PathFacts): string {
  const p = pathFor(f.platform);
  if (scope === 'project') return p.join(f.cwd, '.claude', 'settings.json');
  const dir = f.env.CLAUDE_CONFIG_DIR || p.join(f.homedir, '.claude');
  return p.join(dir, 'settings.json');
}

export const VSCODE_FLAVOURS = [
  { id: 'code', title: 'VS Code', dir: 'Code' },
  { id: 'insiders', title: 'VS Code Insiders', dir: 'Code - Insiders' },
  { id: 'vscodium', title: 'VSCodium', dir: 'VSCodium' },
] as const;

export interface VsCodeTarget {
  flavour: string;
  title: string;
  /** The folder that exists when this flavour is installed and has run once. */
  userDir: string;
  settingsFile: string;
}

/** Candidate VS Code user-settings files for every flavour, plus the VS Code Server's machine settings. */
export function vscodeTargets(f: PathFacts): VsCodeTarget[] {
  const p = pathFor(f.platform);
  let base: string;
  if (f.platform === 'win32') base = f.env.APPDATA || p.join(f.homedir, 'AppData', 'Roaming');
  else if (f.platform === 'darwin') base = p.join(f.homedir, 'Library', 'Application Support');
  else base = f.env.XDG_CONFIG_HOME || p.join(f.homedir, '.config');
  const targets: VsCodeTarget[] = VSCODE_FLAVOURS.map((fl) => {
    const userDir = p.join(base, fl.dir, 'User');
    return { flavour: fl.id, title: fl.title, userDir, settingsFile: p.join(userDir, 'settings.json') };
  });
  if (f.platform === 'linux') {
    // Remote-WSL / Remote-SSH: the extension runs here and reads the server's machine settings.
    const userDir = p.join(f.homedir, '.vscode-server', 'data', 'Machine');
    targets.push({
      flavour: 'server',
      title: 'VS Code Server (Remote-WSL/SSH machine settings)',
      userDir,
      settingsFile: p.join(userDir, 'settings.json'),
    });
  }
  return targets;
}
