// llama.cpp's launch command (design.md §5): current llama-server flags, nothing removed.
import { describe, expect, it } from 'vitest';
import { generateLaunch } from '../../src/launch/generate.js';
import { argAfter, base, templates } from '../support/launch-profile.js';

describe('llama.cpp', () => {
  const plan = generateLaunch(
    { ...base, backend: 'llama.cpp', model: '/models/DeepSeek-V4-Flash-Q4_K_M.gguf' },
    templates,
  );
  it('uses the current llama-server flags and nothing removed', () => {
    const a = plan.server.args;
    expect(plan.server.program).toBe('llama-server');
    expect(argAfter(a, '-m')).toBe('/models/DeepSeek-V4-Flash-Q4_K_M.gguf');
    expect(argAfter(a, '-c')).toBe('65536');
    expect(argAfter(a, '-np')).toBe('1');
    expect(argAfter(a, '--host')).toBe('127.0.0.1');
    expect(argAfter(a, '--port')).toBe('8080');
    expect(argAfter(a, '-ngl')).toBe('999');
    expect(a).toContain('--jinja');
    expect(argAfter(a, '--reasoning-format')).toBe('deepseek');
    expect(a).not.toContain('--no-mmap');
    expect(a.join(' ')).not.toMatch(/make|--ctx-len|--enable-scheduler/);
    expect(plan.readinessPath).toBe('/health');
    expect(plan.baseUrl).toBe('http://127.0.0.1:8080');
  });
  it('CPU only: -ngl 0', () => {
    const cpu = generateLaunch({ ...base, gpus: 0, backend: 'llama.cpp', model: 'm.gguf' }, templates);
    expect(argAfter(cpu.server.args, '-ngl')).toBe('0');
  });
});
