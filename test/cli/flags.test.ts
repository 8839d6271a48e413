import { describe, expect, it } from 'vitest';
import {
  configFlag,
  ModelFlagsError,
  modelFileFlag,
  modelFromFlags,
  upstreamFlag,
} from '../../src/cli/flags.js';
import { DsbError } from '../../src/errors.js';

describe('modelFromFlags', () => {
  const run = (flags: { model?: string; 'model-file'?: string }) => {
    const warnings: string[] = [];
    return { model: modelFromFlags(flags, (w) => warnings.push(w)), warnings };
  };

  it('--model-file wins; --model alone is the model id; neither is undefined', () => {
    expect(run({ 'model-file': '/m/a.gguf' })).toEqual({ model: '/m/a.gguf', warnings: [] });
    expect(run({ model: 'deepseek-chat' })).toEqual({ model: 'deepseek-chat', warnings: [] });
    expect(run({})).toEqual({ model: undefined, warnings: [] });
    // The same value in both is no conflict.
    expect(run({ model: '/m/a.gguf', 'model-file': '/m/a.gguf' })).toEqual({
      model: '/m/a.gguf',
      warnings: [],
    });
  });

  it('two different models is a usage error with a code', () => {
    let err: unknown;
    try {
      modelFromFlags({ model: 'x', 'model-file': '/m/a.gguf' }, () => {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelFlagsError);
    expect(err).toBeInstanceOf(DsbError);
    expect((err as DsbError).code).toBe('USAGE');
    expect((err as Error).message).toMatch(/either --model-file .* or --model .*, not both/);
  });

  it('a .gguf given as --model still works, with a nudge (any case of the extension)', () => {
    expect(run({ model: '/m/A.GGUF' })).toEqual({
      model: '/m/A.GGUF',
      warnings: ['--model /m/A.GGUF: a GGUF file goes in --model-file (--model is the model id)'],
    });
  });
});

describe('the shared flag definitions', () => {
  it('one letter and one value name per meaning', () => {
    expect(configFlag()).toMatchObject({ char: 'c', helpValue: 'FILE', type: 'option' });
    expect(configFlag('custom').summary).toBe('custom');
    expect(upstreamFlag('the server')).toMatchObject({ char: 'u', helpValue: 'URL', summary: 'the server' });
    expect(modelFileFlag()).toMatchObject({ helpValue: 'FILE' });
    expect(modelFileFlag().char).toBeUndefined();
  });
});
