import { describe, expect, it } from 'vitest';
import { expandUserPath, looksLikeLocalPath } from '../../src/system/expand-path.js';

/** `${HOME}` as a user types it (not a JS template placeholder). */
const BRACED_HOME = ['$', '{HOME}'].join('');
const linux = { platform: 'linux' as const, env: { HOME: '/home/env' }, homedir: '/home/u' };
const windows = {
  platform: 'win32' as const,
  env: { USERPROFILE: 'C:\\Users\\env' },
  homedir: 'C:\\Users\\u\\',
};

describe('expandUserPath', () => {
  it('~ and ~/rest from the home directory', () => {
    expect(expandUserPath('~', linux)).toBe('/home/u');
    expect(expandUserPath('~/models/a.gguf', linux)).toBe('/home/u/models/a.gguf');
    expect(expandUserPath('~\\models', windows)).toBe('C:\\Users\\u\\models');
  });

  it('$HOME and its braced form from the environment, else the home directory', () => {
    expect(expandUserPath('$HOME/m', linux)).toBe('/home/env/m');
    expect(expandUserPath(`${BRACED_HOME}/m`, linux)).toBe('/home/env/m');
    expect(expandUserPath('$HOME/m', { ...linux, env: {} })).toBe('/home/u/m');
  });

  it('%USERPROFILE% and $env:USERPROFILE (any case), else the home directory', () => {
    expect(expandUserPath('%USERPROFILE%\\m', windows)).toBe('C:\\Users\\env\\m');
    expect(expandUserPath('$ENV:userprofile\\m', windows)).toBe('C:\\Users\\env\\m');
    expect(expandUserPath('%userprofile%\\m', { ...windows, env: {} })).toBe('C:\\Users\\u\\m');
  });

  it('anything else, ~user and $HOMEX included, is left alone', () => {
    for (const p of ['/abs/x', 'rel/x', '~bob/x', '$HOMEX/y', 'a/~/b', 'deepseek-ai/DeepSeek-V3'])
      expect(expandUserPath(p, linux)).toBe(p);
  });
});

describe('looksLikeLocalPath', () => {
  it('home forms, relative and absolute paths, drive letters and .gguf files', () => {
    for (const p of [
      '~/a',
      '$HOME/a',
      `${BRACED_HOME}/a`,
      '%USERPROFILE%\\a',
      '$env:USERPROFILE\\a',
      './a',
      '../a',
      '/a',
      'C:\\a',
      'd:/a',
      'model.GGUF',
    ])
      expect(looksLikeLocalPath(p)).toBe(true);
  });

  it('not a Hugging Face id or an Ollama tag', () => {
    for (const p of ['deepseek-ai/DeepSeek-V3', 'deepseek-r1:7b', 'unsloth/DeepSeek-GGUF'])
      expect(looksLikeLocalPath(p)).toBe(false);
  });
});
