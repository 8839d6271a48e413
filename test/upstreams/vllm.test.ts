// vLLM's launch command and its parsers per DeepSeek generation (design.md §5).
import { describe, expect, it } from 'vitest';
import { generateLaunch } from '../../src/launch/generate.js';
import { deepseekFamily } from '../../src/upstreams/model-family.js';
import { vllmParsers } from '../../src/upstreams/vllm.js';
import { argAfter, base, templates } from '../support/launch-profile.js';

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
