// What a local kind's launch generator gets and gives (design.md §5, §8): each kind's file turns a
// LaunchProfile into its server command; src/launch/generate.ts adds what all of them share.
import type { CommandLine } from '../shell/command.js';
import type { LocalUpstreamKind } from './kind.js';
import type { DeepSeekFamily, Parsers } from './model-family.js';

export interface LaunchProfile {
  backend: LocalUpstreamKind;
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

export interface LaunchTemplates {
  modelfile: string;
}

/** What differs between the servers: the rest of a LaunchPlan is the same for all of them. */
export interface ServerLaunch {
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
}

export interface ServerInput {
  profile: LaunchProfile;
  templates: LaunchTemplates;
  family: DeepSeekFamily;
  /** Notes about the command; each server's generator adds its own. */
  notes: string[];
}

/** The parsers the user gave, else the family's; notes the guess when the family is unknown. */
export function pickParsers({ profile, family, notes }: ServerInput, defaults: Parsers): Parsers {
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
export function healthServer(server: LaunchStep, model: string): ServerLaunch {
  return { server, afterReady: [], files: [], readinessPath: '/health', servedModel: model };
}
