// Pure launch generators: current flags per backend (design.md §5), golden renderings in sh and PowerShell.
import { describe, expect, it } from 'vitest';
import { deepseekFamily, sglangParsers, vllmParsers } from '../../src/launch/backends.js';
import { generateLaunch, type LaunchProfile, ollamaModelName } from '../../src/launch/generate.js';
import { launchScriptBody } from '../../src/launch/script.js';
import { renderCommand } from '../../src/shell/command.js';
import { expectGolden, readTemplates } from '../init/golden.js';

const templates = readTemplates();

const base: Omit<LaunchProfile, 'backend' | 'model'> = {
  ctxSize: 65536,
  gpus: 1,
  host: '127.0.0.1',
  port: 8080,
  platform: 'linux',
};

const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

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
  it('warns below the practical minimum context', () => {
    const small = generateLaunch(
      { ...base, ctxSize: 16384, backend: 'llama.cpp', model: 'm.gguf' },
      templates,
    );
    expect(small.notes.join('\n')).toMatch(/below 65536/);
  });
});

describe('vLLM', () => {
  it('picks parsers from the model generation and sets tensor parallelism', () => {
    const plan = generateLaunch(
      { ...base, port: 8000, gpus: 2, backend: 'vllm', model: 'deepseek-ai/DeepSeek-V3.1' },
      templates,
    );
    const a = plan.server.args;
    expect(plan.server.program).toBe('vllm');
    expect(a.slice(0, 2)).toEqual(['serve', 'deepseek-ai/DeepSeek-V3.1']);
    expect(argAfter(a, '--max-model-len')).toBe('65536');
    expect(a).toContain('--enable-auto-tool-choice');
    expect(argAfter(a, '--tool-call-parser')).toBe('deepseek_v31');
    expect(argAfter(a, '--reasoning-parser')).toBe('deepseek_v3');
    expect(argAfter(a, '--tensor-parallel-size')).toBe('2');
  });
  it.each([
    ['deepseek-ai/DeepSeek-V4-Flash', 'deepseek_v4', 'deepseek_v4'],
    ['deepseek-ai/DeepSeek-V3.2', 'deepseek_v32', 'deepseek_v3'],
    ['deepseek-ai/DeepSeek-R1-0528', 'deepseek_v3', 'deepseek_r1'],
    ['deepseek-ai/DeepSeek-V3-0324', 'deepseek_v3', undefined],
  ])('%s → %s / %s', (model, tool, reasoning) => {
    expect(vllmParsers(deepseekFamily(model))).toEqual({
      toolCallParser: tool,
      ...(reasoning ? { reasoningParser: reasoning } : {}),
    });
  });
  it('flags override the parsers; an unknown name says what it assumed', () => {
    const plan = generateLaunch(
      { ...base, backend: 'vllm', model: 'my-finetune', toolCallParser: 'x', reasoningParser: 'y' },
      templates,
    );
    expect(argAfter(plan.server.args, '--tool-call-parser')).toBe('x');
    expect(argAfter(plan.server.args, '--reasoning-parser')).toBe('y');
    const guessed = generateLaunch({ ...base, backend: 'vllm', model: 'my-finetune' }, templates);
    expect(guessed.notes.join('\n')).toMatch(/assuming V4/);
  });
});

describe('SGLang', () => {
  it('uses launch_server with context length, parsers and --tp', () => {
    const plan = generateLaunch(
      { ...base, port: 30000, gpus: 8, backend: 'sglang', model: 'deepseek-ai/DeepSeek-V4-Pro' },
      templates,
    );
    const a = plan.server.args;
    expect(plan.server.program).toBe('python3');
    expect(a.slice(0, 2)).toEqual(['-m', 'sglang.launch_server']);
    expect(argAfter(a, '--model-path')).toBe('deepseek-ai/DeepSeek-V4-Pro');
    expect(argAfter(a, '--context-length')).toBe('65536');
    expect(argAfter(a, '--tool-call-parser')).toBe('deepseekv4');
    expect(argAfter(a, '--reasoning-parser')).toBe('deepseek-v4');
    expect(argAfter(a, '--tp')).toBe('8');
    expect(sglangParsers('r1')).toEqual({ toolCallParser: 'deepseekv3', reasoningParser: 'deepseek-r1' });
    expect(
      generateLaunch({ ...base, platform: 'win32', backend: 'sglang', model: 'x-v4' }, templates).server
        .program,
    ).toBe('python');
  });
});

describe('Ollama', () => {
  it('sets OLLAMA_CONTEXT_LENGTH and creates a model from a Modelfile with num_ctx', () => {
    const plan = generateLaunch(
      { ...base, port: 11434, backend: 'ollama', model: 'deepseek-r1:14b', modelfilePath: '/x/Modelfile' },
      templates,
    );
    expect(plan.server.env).toEqual({ OLLAMA_HOST: '127.0.0.1:11434', OLLAMA_CONTEXT_LENGTH: '65536' });
    expect(plan.server.args).toEqual(['serve']);
    expect(plan.files[0]!.content).toMatch(/^FROM deepseek-r1:14b$/m);
    expect(plan.files[0]!.content).toMatch(/^PARAMETER num_ctx 65536$/m);
    expect(plan.afterReady[0]!.args).toEqual(['create', 'deepseek-r1-14b-dsb', '-f', '/x/Modelfile']);
    expect(plan.servedModel).toBe(ollamaModelName('deepseek-r1:14b'));
    expect(plan.readinessPath).toBe('/api/version');
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
