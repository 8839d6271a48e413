// What the per-kind launch tests share: a profile to start from, the templates, reading a flag's value.
import type { LaunchProfile } from '../../src/launch/generate.js';
import { readTemplates } from '../init/golden.js';

export const templates = readTemplates();

export const base: Omit<LaunchProfile, 'backend' | 'model'> = {
  ctxSize: 65536,
  gpus: 1,
  host: '127.0.0.1',
  port: 8080,
  platform: 'linux',
};

export const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
