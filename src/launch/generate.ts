// Pure generators of model-server commands (design.md §5, §8): current flags only — never
// `make server` or `--no-mmap` (both gone from llama.cpp), never flags that do not exist.
import {
  DEFAULT_SERVER_PORTS,
  deepseekFamily,
  type LocalBackend,
  sglangParsers,
  vllmParsers,
} from './backends.js';
import type { CommandLine } from './quote.js';
import { renderTemplate } from './template.js';

export interface LaunchProfile {
  backend: LocalBackend;
  /** GGUF path (llama.cpp), HF id or path (vLLM, SGLang), tag (Ollama). */
  model: string;
  ctxSize: number;
  gpus: number;
  host: string;
  port: number;
  /** The server executable (or the Python interpreter for SGLang) when it is not on PATH. */
  bin?: string;
  toolCallParser?: string;
  reasoningParser?: string;
  /** OS the command runs on: picks `python` vs `python3`. */
  platform: NodeJS.Platform;
  /** Ollama: where the Modelfile that sets `num_ctx` lives. */
  modelfilePath?: string;
}

export interface LaunchStep extends CommandLine {
  description: string;
}

export interface LaunchFile {
  path: string;
  content: string;
  description: string;
}

export interface LaunchPlan {
  backend: LocalBackend;
  /** Base URL of the server once it runs (without /v1). */
  baseUrl: string;
  ctxSize: number;
  /** The long-running server. */
  server: LaunchStep;
  /** One-off commands to run once the server answers (Ollama: create the model with its context). */
  afterReady: LaunchStep[];
  /** Files the commands need (Ollama's Modelfile). */
  files: LaunchFile[];
  /** GET this path until it answers 200. */
  readinessPath: string;
  /** The model id clients must send (Ollama: the model created with the right context). */
  servedModel: string;
  notes: string[];
}

export interface LaunchTemplates {
  modelfile: string;
}

/** The name of the Ollama model dsb creates from `model` with `num_ctx` set. */
export function ollamaModelName(model: string): string {
  const base = model
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${base || 'model'}-dsb`;
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Claude Code's first request alone is 12K-20K tokens and sessions grow fast (design.md §5). */
export const PRACTICAL_MIN_CONTEXT = 65_536;

export function generateLaunch(profile: LaunchProfile, templates: LaunchTemplates): LaunchPlan {
  const { backend, model, ctxSize, gpus, host, port } = profile;
  const baseUrl = `http://${hostForUrl(host)}:${port}`;
  const notes: string[] = [];
  if (ctxSize < PRACTICAL_MIN_CONTEXT) {
    notes.push(
      `context ${ctxSize} is below ${PRACTICAL_MIN_CONTEXT}: Claude Code's first prompt alone is 12K-20K tokens; raise it if memory allows`,
    );
  }
  if (port !== DEFAULT_SERVER_PORTS[backend]) {
    notes.push(`non-default port ${port}: the bridge's upstream URL must say ${baseUrl}`);
  }
  const family = deepseekFamily(model);
  const pickParsers = (defaults: { toolCallParser: string; reasoningParser?: string }) => {
    if (family === 'unknown' && !(profile.toolCallParser && profile.reasoningParser)) {
      notes.push(
        `could not tell the DeepSeek generation from "${model}": assuming V4 parsers (override with --tool-call-parser / --reasoning-parser)`,
      );
    }
    return {
      toolCallParser: profile.toolCallParser ?? defaults.toolCallParser,
      reasoningParser: profile.reasoningParser ?? defaults.reasoningParser,
    };
  };
  const n = String;

  switch (backend) {
    case 'llama.cpp': {
      const args = [
        '-m',
        model,
        '-c',
        n(ctxSize),
        // One slot: every request gets the whole context (more slots split or share it).
        '-np',
        '1',
        '--host',
        host,
        '--port',
        n(port),
        '-ngl',
        gpus > 0 ? '999' : '0',
        '--jinja',
        '--reasoning-format',
        'deepseek',
      ];
      return {
        backend,
        baseUrl,
        ctxSize,
        server: { description: 'llama-server', program: profile.bin ?? 'llama-server', args },
        afterReady: [],
        files: [],
        readinessPath: '/health',
        servedModel: model,
        notes,
      };
    }
    case 'vllm': {
      const parsers = pickParsers(vllmParsers(family));
      const args = [
        'serve',
        model,
        '--host',
        host,
        '--port',
        n(port),
        '--max-model-len',
        n(ctxSize),
        '--enable-auto-tool-choice',
        '--tool-call-parser',
        parsers.toolCallParser,
      ];
      if (parsers.reasoningParser) args.push('--reasoning-parser', parsers.reasoningParser);
      if (gpus > 0) args.push('--tensor-parallel-size', n(gpus));
      else notes.push('vLLM needs a GPU unless you installed its CPU build');
      return {
        backend,
        baseUrl,
        ctxSize,
        server: { description: 'vLLM server', program: profile.bin ?? 'vllm', args },
        afterReady: [],
        files: [],
        readinessPath: '/health',
        servedModel: model,
        notes,
      };
    }
    case 'sglang': {
      const parsers = pickParsers(sglangParsers(family));
      const args = [
        '-m',
        'sglang.launch_server',
        '--model-path',
        model,
        '--host',
        host,
        '--port',
        n(port),
        '--context-length',
        n(ctxSize),
        '--tool-call-parser',
        parsers.toolCallParser,
      ];
      if (parsers.reasoningParser) args.push('--reasoning-parser', parsers.reasoningParser);
      if (gpus > 0) args.push('--tp', n(gpus));
      const python = profile.platform === 'win32' ? 'python' : 'python3';
      return {
        backend,
        baseUrl,
        ctxSize,
        server: { description: 'SGLang server', program: profile.bin ?? python, args },
        afterReady: [],
        files: [],
        readinessPath: '/health',
        servedModel: model,
        notes,
      };
    }
    case 'ollama': {
      const served = ollamaModelName(model);
      const modelfilePath = profile.modelfilePath ?? 'Modelfile';
      const ollamaHost = `${hostForUrl(host)}:${port}`;
      const modelfile = renderTemplate(templates.modelfile, { model, ctxSize: n(ctxSize) });
      return {
        backend,
        baseUrl,
        ctxSize,
        server: {
          description: 'Ollama server',
          // OLLAMA_CONTEXT_LENGTH sets the server-wide default; the Modelfile pins num_ctx for the model.
          env: { OLLAMA_HOST: ollamaHost, OLLAMA_CONTEXT_LENGTH: n(ctxSize) },
          program: profile.bin ?? 'ollama',
          args: ['serve'],
        },
        afterReady: [
          {
            description: `create ${served} from ${model} with num_ctx ${ctxSize}`,
            env: { OLLAMA_HOST: ollamaHost },
            program: profile.bin ?? 'ollama',
            args: ['create', served, '-f', modelfilePath],
          },
        ],
        files: [{ path: modelfilePath, content: modelfile, description: `Modelfile for ${served}` }],
        readinessPath: '/api/version',
        servedModel: served,
        notes,
      };
    }
  }
}
