// Flags that mean the same thing on every command that has them (one meaning per flag name):
//   -c, --config FILE   a dsb config file read instead of the user config and ./dsb.config.json
//   -u, --upstream URL  the OpenAI-compatible model server (or API) base URL
//   --model ID          the model id the upstream serves / is asked for (never a file)
//   --model-file FILE   a GGUF file on this machine (llama.cpp)
//   --client-model NAME the model name Claude Code sends (probe)
import { Flags } from '@oclif/core';
import { DsbError } from '../errors.js';

export const configFlag = (
  summary = 'Read this dsb config file instead of the user config and ./dsb.config.json.',
) => Flags.string({ char: 'c', summary, helpValue: 'FILE' });

export const upstreamFlag = (summary: string) => Flags.string({ char: 'u', summary, helpValue: 'URL' });

export const modelFileFlag = (summary = 'A GGUF model file on this machine (llama.cpp).') =>
  Flags.string({ summary, helpValue: 'FILE' });

export const modelIdFlag = (summary: string) => Flags.string({ summary, helpValue: 'ID' });

/**
 * The model a server command names: `--model-file` (a GGUF, llama.cpp) or `--model` (an id, tag or
 * Hugging Face path). A .gguf given as --model still works, with a nudge towards --model-file.
 */
export function modelFromFlags(
  flags: { model?: string; 'model-file'?: string },
  warn: (message: string) => void,
): string | undefined {
  const file = flags['model-file'];
  if (file !== undefined && flags.model !== undefined && flags.model !== file)
    throw new ModelFlagsError('pass either --model-file (a GGUF file) or --model (a model id), not both');
  if (file === undefined && flags.model !== undefined && /\.gguf$/i.test(flags.model))
    warn(`--model ${flags.model}: a GGUF file goes in --model-file (--model is the model id)`);
  return file ?? flags.model;
}

export class ModelFlagsError extends DsbError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'ModelFlagsError';
  }
}
