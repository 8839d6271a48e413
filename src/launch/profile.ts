// Flags over the profile `dsb init` saved → the LaunchProfile the generators need.
import path from 'node:path';
import type { ProfileConfig } from '../config/schema.js';
import { DsbError } from '../errors.js';
import { LOCAL_UPSTREAMS } from '../upstreams/index.js';
import { isLocalUpstreamKind, LOCAL_UPSTREAM_KINDS } from '../upstreams/kind.js';
import type { LaunchProfile } from '../upstreams/server-launch.js';

/** When nothing better is known: big enough for Claude Code's 12K-20K-token first prompt and a session. */
export const FALLBACK_CONTEXT = 65_536;

/** Whether `model` is a kind's placeholder (a template printed where no model is known). */
export function isModelPlaceholder(model: string): boolean {
  return Object.values(LOCAL_UPSTREAMS).some((m) => m.model.placeholder === model);
}

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
      `which backend? pass one (${LOCAL_UPSTREAM_KINDS.join(', ')}) or run dsb init first`,
    );
  }
  if (!isLocalUpstreamKind(backend)) {
    throw new LaunchUsageError(
      `${backend} is not a server dsb can start (${LOCAL_UPSTREAM_KINDS.join(', ')})${backend === 'deepseek-api' ? ': the DeepSeek API needs no local server, run dsb serve' : ''}`,
    );
  }
  const kind = LOCAL_UPSTREAMS[backend];
  // The saved model, port and parsers belong to the saved backend only.
  const same = saved?.backend === backend ? saved : undefined;
  let model = flags.model ?? same?.model;
  if (!model && facts.placeholderModel) {
    model = kind.model.placeholder;
    notes.push(
      `no model given and none saved: replace ${model} with yours (or pass ${kind.model.flag}; dsb init saves it)`,
    );
  }
  if (!model) {
    throw new LaunchUsageError(
      `${kind.model.flag} is required (${kind.model.noun}); dsb init saves it for next time`,
    );
  }
  let ctxSize = flags.ctxSize ?? saved?.ctxSize;
  if (ctxSize === undefined) {
    ctxSize = FALLBACK_CONTEXT;
    notes.push(`no --ctx-size and none saved: using ${FALLBACK_CONTEXT}`);
  }
  return {
    profile: {
      backend,
      model,
      ctxSize,
      gpus: flags.gpus ?? saved?.gpus ?? facts.detectedGpus ?? 1,
      host: flags.host ?? same?.host ?? '127.0.0.1',
      port: flags.port ?? same?.port ?? kind.defaultPort,
      bin: flags.bin ?? same?.bin,
      toolCallParser: flags.toolCallParser ?? same?.toolCallParser,
      reasoningParser: flags.reasoningParser ?? same?.reasoningParser,
      platform: facts.platform,
      modelfilePath: path.join(facts.scriptsDir, 'Modelfile'),
    },
    notes,
  };
}
