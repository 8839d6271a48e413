// Flags over the profile `dsb init` saved → the LaunchProfile the generators need.
import path from 'node:path';
import type { ProfileConfig } from '../config/schema.js';
import { DsbError } from '../errors.js';
import { DEFAULT_SERVER_PORTS, FALLBACK_CONTEXT, isLocalBackend, type LocalBackend } from './backends.js';
import type { LaunchProfile } from './generate.js';

/** Where the model goes when none is known: printed as a template the user fills in. */
export const MODEL_PLACEHOLDERS: Record<LocalBackend, string> = {
  'llama.cpp': '<path/to/model.gguf>',
  vllm: '<huggingface-id-or-path>',
  sglang: '<huggingface-id-or-path>',
  ollama: '<ollama-model-tag>',
};

export interface LaunchFlags {
  backend?: string;
  model?: string;
  ctxSize?: number;
  gpus?: number;
  port?: number;
  host?: string;
  bin?: string;
  toolCallParser?: string;
  reasoningParser?: string;
}

export class LaunchUsageError extends DsbError {
  constructor(message: string) {
    super('LAUNCH_USAGE', message);
    this.name = 'LaunchUsageError';
  }
}

export interface ResolvedProfile {
  profile: LaunchProfile;
  notes: string[];
}

export function resolveLaunchProfile(
  flags: LaunchFlags,
  saved: ProfileConfig | undefined,
  facts: {
    platform: NodeJS.Platform;
    scriptsDir: string;
    detectedGpus?: number;
    /** Print a template with a placeholder instead of failing when no model is known. */
    placeholderModel?: boolean;
  },
): ResolvedProfile {
  const notes: string[] = [];
  const backend = flags.backend ?? saved?.backend;
  if (!backend) {
    throw new LaunchUsageError(
      'which backend? pass one (llama.cpp, vllm, ollama, sglang) or run dsb init first',
    );
  }
  if (!isLocalBackend(backend)) {
    throw new LaunchUsageError(
      `${backend} is not a server dsb can start (llama.cpp, vllm, ollama, sglang)${backend === 'deepseek-api' ? ': the DeepSeek API needs no local server, run dsb serve' : ''}`,
    );
  }
  // The saved model, port and parsers belong to the saved backend only.
  const same = saved?.backend === backend ? saved : undefined;
  let model = flags.model ?? same?.model;
  if (!model && facts.placeholderModel) {
    model = MODEL_PLACEHOLDERS[backend];
    notes.push(
      `no model given and none saved: replace ${model} with yours (or pass ${backend === 'llama.cpp' ? '--model-file' : '--model'}; dsb init saves it)`,
    );
  }
  if (!model) {
    const what =
      backend === 'llama.cpp'
        ? 'the GGUF file'
        : backend === 'ollama'
          ? 'the model tag'
          : 'the model id or path';
    const flag = backend === 'llama.cpp' ? '--model-file' : '--model';
    throw new LaunchUsageError(`${flag} is required (${what}); dsb init saves it for next time`);
  }
  let ctxSize = flags.ctxSize ?? saved?.ctxSize;
  if (ctxSize === undefined) {
    ctxSize = FALLBACK_CONTEXT;
    notes.push(`no --ctx-size and none saved: using ${FALLBACK_CONTEXT}`);
  }
  const b: LocalBackend = backend;
  return {
    profile: {
      backend: b,
      model,
      ctxSize,
      gpus: flags.gpus ?? saved?.gpus ?? facts.detectedGpus ?? 1,
      host: flags.host ?? same?.host ?? '127.0.0.1',
      port: flags.port ?? same?.port ?? DEFAULT_SERVER_PORTS[b],
      bin: flags.bin ?? same?.bin,
      toolCallParser: flags.toolCallParser ?? same?.toolCallParser,
      reasoningParser: flags.reasoningParser ?? same?.reasoningParser,
      platform: facts.platform,
      modelfilePath: path.join(facts.scriptsDir, 'Modelfile'),
    },
    notes,
  };
}
