import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PROJECT_CONFIG_FILE,
  projectConfigFile,
  userConfigDir,
  userConfigFile,
} from '../../src/config/paths.js';

describe('config paths', () => {
  it('DSB_CONFIG_DIR names the user config folder outright', () => {
    const env = { DSB_CONFIG_DIR: path.join('/tmp', 'dsb-conf') };
    expect(userConfigDir(env)).toBe(env.DSB_CONFIG_DIR);
    expect(userConfigFile(env)).toBe(path.join(env.DSB_CONFIG_DIR, 'config.json'));
  });

  it("otherwise the OS's config folder for dsb (no -nodejs suffix)", () => {
    const dir = userConfigDir({});
    expect(path.basename(dir)).toBe('dsb');
    expect(path.isAbsolute(dir)).toBe(true);
  });

  it('the project config is dsb.config.json in the folder given', () => {
    expect(projectConfigFile('/work/p')).toBe(path.join('/work/p', PROJECT_CONFIG_FILE));
    expect(PROJECT_CONFIG_FILE).toBe('dsb.config.json');
  });
});
