// The exact commands doctor shows as fixes. Server commands come from src/launch's generators, so
// doctor and `dsb launch` always print the same flags (design.md §5).
import { generateLaunch } from '../launch/generate.js';
import { renderCommand } from '../shell/command.js';
import { type ShellKind, shellFor } from '../shell/kind.js';
import { psString, quoteSh } from '../shell/quote.js';
import { LOCAL_UPSTREAMS, localKindByDefaultPort } from '../upstreams/index.js';
import { isLocalUpstreamKind, type LocalUpstreamKind } from '../upstreams/kind.js';
import type { CheckContext } from './types.js';
import { isLoopback, urlParts } from './util.js';

/** The shell fix commands are shown in (the shell kit's one decision). */
export type Shell = ShellKind;

/** The context size the fixes ask for: Claude Code's first prompt is 12K–20K tokens and grows fast. */
export const RECOMMENDED_CONTEXT = 65_536;

export function shellOf(ctx: CheckContext): Shell {
  return shellFor(ctx.system);
}

export interface LaunchTarget {
  kind: LocalUpstreamKind;
  host: string;
  port: number;
  /** A GGUF path (llama.cpp), a Hugging Face id (vLLM, SGLang) or an Ollama model name. */
  model?: string;
  ctxSize?: number;
}

/**
 * The server command, from the same generator as `dsb launch` (one source of truth for flags):
 * doctor's fix and launch's output never disagree.
 */
export function launchCommand(target: LaunchTarget, shell: Shell): string {
  const plan = generateLaunch(
    {
      backend: target.kind,
      model: target.model ?? LOCAL_UPSTREAMS[target.kind].model.doctorPlaceholder,
      ctxSize: target.ctxSize ?? RECOMMENDED_CONTEXT,
      gpus: 1,
      host: target.host,
      port: target.port,
      platform: shell === 'powershell' ? 'win32' : 'linux',
    },
    { modelfile: '' },
  );
  return renderCommand(plan.server, shell);
}

/** Where doctor found the upstream's model: the file it runs (llama.cpp) and the id it serves. */
export interface FoundModel {
  modelFile?: string;
  model?: string;
}

/**
 * The command that restarts the upstream's server with the recommended context, naming the model
 * the way its kind is started (or the placeholder when the kind's restart names none).
 */
export function relaunchCommand(ctx: CheckContext, kind: LocalUpstreamKind, found: FoundModel): string {
  const named = LOCAL_UPSTREAMS[kind].doctor.relaunchModel;
  const model = named === 'file' ? found.modelFile : named === 'served' ? found.model : undefined;
  return launchCommand({ kind, ...launchAddress(ctx), model }, shellOf(ctx));
}

/** The server kind to suggest when the upstream does not answer: from the config, else from the port. */
export function guessServerKind(ctx: CheckContext, known?: string): LocalUpstreamKind {
  const fromKind = (k: string | undefined): LocalUpstreamKind | undefined =>
    k !== undefined && isLocalUpstreamKind(k) ? k : undefined;
  const configured = fromKind(known) ?? fromKind(ctx.config.upstreams[0]?.kind);
  if (configured) return configured;
  return localKindByDefaultPort(urlParts(ctx.upstreamUrl)?.port) ?? 'llama.cpp';
}

/** Host and port the upstream should listen on, from the configured upstream URL. */
export function launchAddress(ctx: CheckContext): { host: string; port: number } {
  const parts = urlParts(ctx.upstreamUrl);
  const host = !parts || isLoopback(parts.host) ? '127.0.0.1' : '0.0.0.0';
  return { host, port: parts?.port ?? 8080 };
}

/** Sets an environment variable for the current shell session. */
export function setEnvCommand(name: string, value: string, shell: Shell): string {
  return shell === 'powershell' ? `$env:${name} = ${psString(value)}` : `export ${name}=${quoteSh(value)}`;
}
