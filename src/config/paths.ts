// Where dsb keeps its user config, per OS (XDG on Linux, Library/Preferences on macOS, %APPDATA% on Windows).
import path from 'node:path';
import envPaths from 'env-paths';

export const PROJECT_CONFIG_FILE = 'dsb.config.json';

export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DSB_CONFIG_DIR) return env.DSB_CONFIG_DIR;
  return envPaths('dsb', { suffix: '' }).config;
}

export function userConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userConfigDir(env), 'config.json');
}

export function projectConfigFile(cwd: string = process.cwd()): string {
  return path.join(cwd, PROJECT_CONFIG_FILE);
}
