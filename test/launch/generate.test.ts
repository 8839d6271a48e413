// What generateLaunch adds to every kind's command (notes), and golden renderings in sh and PowerShell;
// each kind's own flags are tested in test/upstreams/<kind>.test.ts.
import { describe, expect, it } from 'vitest';
import { generateLaunch, type LaunchProfile } from '../../src/launch/generate.js';
import { launchScriptBody } from '../../src/launch/script.js';
import { renderCommand } from '../../src/shell/command.js';
import { expectGolden } from '../init/golden.js';
import { base, templates } from '../support/launch-profile.js';

describe('common notes', () => {
  it('warns below the practical minimum context', () => {
    const small = generateLaunch(
      { ...base, ctxSize: 16384, backend: 'llama.cpp', model: 'm.gguf' },
      templates,
    );
    expect(small.notes.join('\n')).toMatch(/below 65536/);
  });
});

describe('golden renderings', () => {
  const cases: Array<[string, LaunchProfile]> = [
    [
      'llama.cpp',
      { ...base, backend: 'llama.cpp', model: '/home/ada/My Models/DeepSeek-V4-Flash-Q4_K_M.gguf' },
    ],
    [
      'llama.cpp-windows',
      {
        ...base,
        platform: 'win32',
        backend: 'llama.cpp',
        model: "C:\\Users\\Ada O'Neil\\models\\DeepSeek-V4-Flash-Q4_K_M.gguf",
        bin: 'C:\\Program Files\\llama.cpp\\llama-server.exe',
      },
    ],
    ['vllm', { ...base, port: 8000, gpus: 2, backend: 'vllm', model: 'deepseek-ai/DeepSeek-V4-Flash' }],
    ['sglang', { ...base, port: 30000, gpus: 8, backend: 'sglang', model: 'deepseek-ai/DeepSeek-V4-Pro' }],
    [
      'ollama',
      {
        ...base,
        port: 11434,
        backend: 'ollama',
        model: 'deepseek-r1:14b',
        modelfilePath: '/home/ada/.config/dsb/scripts/Modelfile',
      },
    ],
  ];
  it.each(cases)('%s', (name, profile) => {
    const plan = generateLaunch(profile, templates);
    for (const shell of ['sh', 'powershell'] as const) {
      const text = [
        renderCommand(plan.server, shell),
        renderCommand(plan.server, shell, { multiline: true }),
        ...plan.afterReady.map((s) => renderCommand(s, shell)),
        '--- script body ---',
        launchScriptBody(plan, shell),
        '',
      ].join('\n');
      expectGolden(`launch/${name}.${shell === 'sh' ? 'sh' : 'ps1'}.txt`, text);
    }
  });
});
