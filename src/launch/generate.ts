// Pure generators of model-server commands (design.md §5, §8): current flags only — never
// `make server` or `--no-mmap` (both gone from llama.cpp), never flags that do not exist.

import type { CommandLine } from '../shell/command.js';
import { renderTemplate } from '../shell/template.js';
import {
  DEFAULT_SERVER_PORTS,
  type DeepSeekFamily,
  deepseekFamily,
  type LocalBackend,
  type Parsers,
  sglangParsers,
  vllmParsers,
} from './backends.js';

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

/** What differs between the servers: the rest of a LaunchPlan is the same for all of them. */
type ServerLaunch = Pick<LaunchPlan, 'server' | 'afterReady' | 'files' | 'readinessPath' | 'servedModel'>;

interface ServerInput {
  profile: LaunchProfile;
  templates: LaunchTemplates;
  family: DeepSeekFamily;
  /** Notes about the command; each server's generator adds its own. */
  notes: string[];
}

const SERVERS: Record<LocalBackend, (input: ServerInput) => ServerLaunch> = {
  'llama.cpp': llamaCppLaunch,
  vllm: vllmLaunch,
  sglang: sglangLaunch,
  ollama: ollamaLaunch,
};

export function generateLaunch(profile: LaunchProfile, templates: LaunchTemplates): LaunchPlan {
  const { backend, model, ctxSize } = profile;
  const baseUrl = `http://${hostForUrl(profile.host)}:${profile.port}`;
  const notes = commonNotes(profile, baseUrl);
  const server = SERVERS[backend]({ profile, templates, family: deepseekFamily(model), notes });
  return {
    backend,
    baseUrl,
    ctxSize,
    server: server.server,
    afterReady: server.afterReady,
    files: server.files,
    readinessPath: server.readinessPath,
    servedModel: server.servedModel,
    notes,
  };
}

function commonNotes(profile: LaunchProfile, baseUrl: string): string[] {
  const notes: string[] = [];
  if (profile.ctxSize < PRACTICAL_MIN_CONTEXT) {
    notes.push(
      `context ${profile.ctxSize} is below ${PRACTICAL_MIN_CONTEXT}: Claude Code's first prompt alone is 12K-20K tokens; raise it if memory allows`,
    );
  }
  if (profile.port !== DEFAULT_SERVER_PORTS[profile.backend]) {
    notes.push(`non-default port ${profile.port}: the bridge's upstream URL must say ${baseUrl}`);
  }
  return notes;
}

/** The parsers the user gave, else the family's; notes the guess when the family is unknown. */
function pickParsers({ profile, family, notes }: ServerInput, defaults: Parsers): Parsers {
  if (family === 'unknown' && !(profile.toolCallParser && profile.reasoningParser)) {
    notes.push(
      `could not tell the DeepSeek generation from "${profile.model}": assuming V4 parsers (override with --tool-call-parser / --reasoning-parser)`,
    );
  }
  return {
    toolCallParser: profile.toolCallParser ?? defaults.toolCallParser,
    reasoningParser: profile.reasoningParser ?? defaults.reasoningParser,
  };
}

/** A server that serves the model it was started with and answers GET /health once ready. */
function healthServer(server: LaunchStep, model: string): ServerLaunch {
  return { server, afterReady: [], files: [], readinessPath: '/health', servedModel: model };
}

function llamaCppLaunch({ profile }: ServerInput): ServerLaunch {
  const { model, ctxSize, gpus, host, port } = profile;
  const args = [
    '-m',
    model,
    '-c',
    String(ctxSize),
    // One slot: every request gets the whole context (more slots split or share it).
    '-np',
    '1',
    '--host',
    host,
    '--port',
    String(port),
    '-ngl',
    gpus > 0 ? '999' : '0',
    '--jinja',
    '--reasoning-format',
    'deepseek',
  ];
  return healthServer({ description: 'llama-server', program: profile.bin ?? 'llama-server', args }, model);
}

function vllmLaunch(input: ServerInput): ServerLaunch {
  const { model, ctxSize, gpus, host, port } = input.profile;
  const parsers = pickParsers(input, vllmParsers(input.family));
  const args = [
    'serve',
    model,
    '--host',
    host,
    '--port',
    String(port),
    '--max-model-len',
    String(ctxSize),
    '--enable-auto-tool-choice',
    '--tool-call-parser',
    parsers.toolCallParser,
  ];
  if (parsers.reasoningParser) args.push('--reasoning-parser', parsers.reasoningParser);
  if (gpus > 0) args.push('--tensor-parallel-size', String(gpus));
  else input.notes.push('vLLM needs a GPU unless you installed its CPU build');
  return healthServer({ description: 'vLLM server', program: input.profile.bin ?? 'vllm', args }, model);
}

function sglangLaunch(input: ServerInput): ServerLaunch {
  const { model, ctxSize, gpus, host, port, platform } = input.profile;
  const parsers = pickParsers(input, sglangParsers(input.family));
  const args = [
    '-m',
    'sglang.launch_server',
    '--model-path',
    model,
    '--host',
    host,
    '--port',
    String(port),
    '--context-length',
    String(ctxSize),
    '--tool-call-parser',
    parsers.toolCallParser,
  ];
  if (parsers.reasoningParser) args.push('--reasoning-parser', parsers.reasoningParser);
  if (gpus > 0) args.push('--tp', String(gpus));
  const python = platform === 'win32' ? 'python' : 'python3';
  return healthServer({ description: 'SGLang server', program: input.profile.bin ?? python, args }, model);
}

function ollamaLaunch({ profile, templates }: ServerInput): ServerLaunch {
  const { model, ctxSize, host, port } = profile;
  const served = ollamaModelName(model);
  const modelfilePath = profile.modelfilePath ?? 'Modelfile';
  const ollamaHost = `${hostForUrl(host)}:${port}`;
  const modelfile = renderTemplate(templates.modelfile, { model, ctxSize: String(ctxSize) });
  const program = profile.bin ?? 'ollama';
  return {
    server: {
      description: 'Ollama server',
      // OLLAMA_CONTEXT_LENGTH sets the server-wide default; the Modelfile pins num_ctx for the model.
      env: { OLLAMA_HOST: ollamaHost, OLLAMA_CONTEXT_LENGTH: String(ctxSize) },
      program,
      args: ['serve'],
    },
    afterReady: [
      {
        description: `create ${served} from ${model} with num_ctx ${ctxSize}`,
        env: { OLLAMA_HOST: ollamaHost },
        program,
        args: ['create', served, '-f', modelfilePath],
      },
    ],
    files: [{ path: modelfilePath, content: modelfile, description: `Modelfile for ${served}` }],
    readinessPath: '/api/version',
    servedModel: served,
  };
}
