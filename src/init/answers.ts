// Turns flags (+ what the machine and the upstream say) into complete InitAnswers. Every question
// goes through an Asker: the interactive one (questions.ts) prompts, the non-interactive one takes
// the default and fails with a usage error when there is none.
import { DsbError } from '../errors.js';
import { type ContextProbeResult, probeUpstreamContext } from '../launch/context-probe.js';
import { resolveModelPath } from '../launch/model-path.js';
import { FALLBACK_CONTEXT } from '../launch/profile.js';
import { windowsAtHand } from '../shell/kind.js';
import type { SystemContext } from '../system/context.js';
import { detectWsl } from '../system/platform.js';
import { deepseekApi } from '../upstreams/deepseek-api.js';
import { LOCAL_UPSTREAMS, UPSTREAMS } from '../upstreams/index.js';
import { isLocalUpstreamKind, isUpstreamKind, type UpstreamKind } from '../upstreams/kind.js';
import type { Scope } from './paths.js';
import { vscodeTargets } from './paths.js';
import { defaultMaxOutputTokens } from './plan.js';
import type { SavedAnswers } from './saved.js';
import type { InitAnswers } from './types.js';

export class UsageError extends DsbError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

export interface InitFlags {
  backend?: UpstreamKind;
  upstream?: string;
  model?: string;
  /** --config: the dsb config file to write instead of the scope's usual one. */
  configFile?: string;
  apiKey?: string;
  ctxSize?: number;
  maxOutputTokens?: number;
  gpus?: number;
  port?: number;
  scope?: Scope;
  vscode?: boolean;
  firewall?: boolean;
}

export interface Asker {
  backend(def: UpstreamKind): Promise<UpstreamKind>;
  upstream(backend: UpstreamKind, def: string | undefined): Promise<string>;
  model(backend: UpstreamKind, def: string | undefined): Promise<string | undefined>;
  apiKey(backend: UpstreamKind, def: string | undefined): Promise<string | undefined>;
  ctxSize(def: number, source: string): Promise<number>;
  gpus(def: number): Promise<number>;
  port(def: number): Promise<number>;
  scope(def: Scope): Promise<Scope>;
  vscode(def: boolean): Promise<boolean>;
  firewall(def: boolean): Promise<boolean>;
}

/** The --yes asker: every default is taken; a question without one is a usage error. */
export const defaultsAsker: Asker = {
  backend: async (d) => d,
  upstream: async (backend, d) => {
    if (!d) throw new UsageError(`--upstream URL is required for backend ${backend}`);
    return d;
  },
  model: async (backend, d) => {
    if (!d && isLocalUpstreamKind(backend)) {
      throw new UsageError(
        `--model is required for ${backend} (${LOCAL_UPSTREAMS[backend].model.initNoun}); it could not be read from a running server either`,
      );
    }
    return d;
  },
  apiKey: async (_b, d) => d,
  ctxSize: async (d) => d,
  gpus: async (d) => d,
  port: async (d) => d,
  scope: async (d) => d,
  vscode: async (d) => d,
  firewall: async (d) => d,
};

export function validateUrl(url: string): string | true {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http:// or https:// URL';
    return true;
  } catch {
    return 'not a URL (example: http://127.0.0.1:8080)';
  }
}

/** `localhost` may resolve to ::1 first while servers listen on 127.0.0.1 (design.md §6). */
export function normalizeUpstream(url: string): { url: string; note?: string } {
  const trimmed = url.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
  const u = new URL(trimmed);
  if (u.hostname === 'localhost') {
    u.hostname = '127.0.0.1';
    const fixed = u.toString().replace(/\/$/, '');
    return { url: fixed, note: `upstream ${trimmed}: using ${fixed} (localhost may resolve to ::1 first)` };
  }
  return { url: trimmed };
}

export async function detectGpus(ctx: SystemContext): Promise<number> {
  const res = await ctx.exec('nvidia-smi', ['-L'], { timeoutMs: 5000 });
  if (res.exitCode !== 0) return 0;
  return res.stdout.split('\n').filter((l) => /^GPU \d+/.test(l.trim())).length;
}

export interface ResolveResult {
  answers: InitAnswers;
  probe?: ContextProbeResult;
  notes: string[];
}

export async function resolveAnswers(
  ctx: SystemContext,
  flags: InitFlags,
  ask: Asker,
  saved: SavedAnswers = {},
): Promise<ResolveResult> {
  const notes: string[] = [];
  const backend = flags.backend ?? (await ask.backend(saved.backend ?? 'llama.cpp'));
  if (!isUpstreamKind(backend)) throw new UsageError(`unknown backend ${backend}`);
  // What was saved for another backend (its model, its port) is no answer for this one.
  const same: SavedAnswers = saved.backend === backend ? saved : {};
  const upstreamUrl = await resolveUpstreamUrl(backend, flags, ask, same, notes);
  const { model, probe } = await resolveModel(ctx, backend, upstreamUrl, flags, ask, same, notes);
  const apiKey = await resolveApiKey(ctx, backend, flags, ask);
  const { ctxSize, ctxSource } = await resolveCtxSize(
    contextDefault(backend, upstreamUrl, probe, same),
    probe,
    flags,
    ask,
    notes,
  );
  const usesGpus = isLocalUpstreamKind(backend) && LOCAL_UPSTREAMS[backend].usesGpus;
  const gpus = flags.gpus ?? (usesGpus ? await ask.gpus(same.gpus ?? (await detectGpus(ctx))) : 0);
  const bridgePort = flags.port ?? (await ask.port(saved.bridgePort ?? 3000));
  if (!Number.isInteger(bridgePort) || bridgePort < 1 || bridgePort > 65535) {
    throw new UsageError(`--port ${bridgePort}: expected 1-65535`);
  }
  const scope = flags.scope ?? (await ask.scope('user'));
  const vscode = flags.vscode ?? (await ask.vscode(await vscodeInstalled(ctx)));
  const isWsl = detectWsl(ctx) !== null;
  const firewall = flags.firewall ?? (await ask.firewall(windowsAtHand({ platform: ctx.platform, isWsl })));

  return {
    answers: {
      backend,
      upstreamUrl,
      model,
      apiKey,
      ctxSize,
      ctxSource,
      maxOutputTokens: flags.maxOutputTokens ?? defaultMaxOutputTokens(ctxSize),
      gpus,
      bridgePort,
      scope,
      vscode,
      firewall,
      ...(flags.configFile ? { configFile: flags.configFile } : {}),
    },
    probe,
    notes,
  };
}

async function resolveUpstreamUrl(
  backend: UpstreamKind,
  flags: InitFlags,
  ask: Asker,
  same: SavedAnswers,
  notes: string[],
): Promise<string> {
  const typed =
    flags.upstream ??
    (await ask.upstream(backend, same.upstreamUrl ?? UPSTREAMS[backend].defaultUrl('127.0.0.1')));
  const valid = validateUrl(typed);
  if (valid !== true) throw new UsageError(`--upstream ${typed}: ${valid}`);
  const normalized = normalizeUpstream(typed);
  if (normalized.note) notes.push(normalized.note);
  return normalized.url;
}

/** The model, defaulting to what the upstream serves; and what the upstream said about itself. */
async function resolveModel(
  ctx: SystemContext,
  backend: UpstreamKind,
  upstreamUrl: string,
  flags: InitFlags,
  ask: Asker,
  same: SavedAnswers,
  notes: string[],
): Promise<{ model?: string; probe?: ContextProbeResult }> {
  // Ask the upstream what it serves (short timeout: it is often not started yet).
  let probe: ContextProbeResult | undefined;
  if (backend !== 'deepseek-api') {
    probe = await probeUpstreamContext(ctx, upstreamUrl, backend === 'openai' ? 'auto' : backend, {
      timeoutMs: 1500,
      model: flags.model,
    });
  }
  const modelDefault =
    same.model ?? probe?.model ?? (backend === 'deepseek-api' ? deepseekApi.models[0] : undefined);
  const typedModel = (flags.model ?? (await ask.model(backend, modelDefault)))?.trim() || undefined;
  // `~/models/x.gguf` typed in the wizard: expanded before it is quoted into scripts, and checked.
  const resolvedModel = typedModel ? await resolveModelPath(ctx, backend, typedModel) : undefined;
  notes.push(...(resolvedModel?.notes ?? []));
  const model = resolvedModel?.model;
  // Ollama reports a model's context only for the model asked about: ask again with the answer.
  if (backend === 'ollama' && !flags.model && model && probe?.reachable && !probe.ctxSize) {
    const again = await probeUpstreamContext(ctx, upstreamUrl, backend, { timeoutMs: 1500, model });
    if (again.ctxSize) probe = again;
  }
  return { model, probe };
}

async function resolveApiKey(
  ctx: SystemContext,
  backend: UpstreamKind,
  flags: InitFlags,
  ask: Asker,
): Promise<string | undefined> {
  let apiKey: string | undefined = flags.apiKey;
  const asks = UPSTREAMS[backend].apiKey;
  if (apiKey === undefined && asks) {
    apiKey = await ask.apiKey(backend, asks.env ? ctx.env[asks.env] || undefined : undefined);
  }
  return apiKey === '' ? undefined : apiKey;
}

interface ContextChoice {
  ctxSize: number;
  /** Where ctxSize came from, as the user reads it. */
  ctxSource: string;
}

/** The context to offer: the last init's (unless the upstream says), the upstream's, DeepSeek's, a default. */
function contextDefault(
  backend: UpstreamKind,
  upstreamUrl: string,
  probe: ContextProbeResult | undefined,
  same: SavedAnswers,
): ContextChoice {
  if (same.ctxSize && !probe?.ctxSize)
    return { ctxSize: same.ctxSize, ctxSource: 'saved by the last dsb init' };
  if (probe?.ctxSize)
    return { ctxSize: probe.ctxSize, ctxSource: `reported by the upstream (${probe.source})` };
  if (backend === 'deepseek-api')
    return { ctxSize: deepseekApi.context, ctxSource: 'DeepSeek V4 context window' };
  return {
    ctxSize: FALLBACK_CONTEXT,
    ctxSource: probe?.reachable
      ? `default ${FALLBACK_CONTEXT}: the upstream did not report its context`
      : `default ${FALLBACK_CONTEXT}: the upstream at ${upstreamUrl} did not answer, not started yet?`,
  };
}

async function resolveCtxSize(
  offered: ContextChoice,
  probe: ContextProbeResult | undefined,
  flags: InitFlags,
  ask: Asker,
  notes: string[],
): Promise<ContextChoice> {
  let ctxSize: number;
  let ctxSource = offered.ctxSource;
  if (flags.ctxSize !== undefined) {
    ctxSize = flags.ctxSize;
    ctxSource = '--ctx-size';
    if (probe?.ctxSize && probe.ctxSize < ctxSize) {
      notes.push(
        `the running upstream serves ${probe.ctxSize} tokens per request, less than --ctx-size ${ctxSize}: restart it with the new size (dsb launch)`,
      );
    }
  } else {
    ctxSize = await ask.ctxSize(offered.ctxSize, offered.ctxSource);
    if (ctxSize !== offered.ctxSize) ctxSource = 'answered';
  }
  if (!Number.isInteger(ctxSize) || ctxSize <= 0)
    throw new UsageError(`--ctx-size ${ctxSize}: expected a positive integer`);
  return { ctxSize, ctxSource };
}

/** Whether any VS Code flavour's user folder exists. */
async function vscodeInstalled(ctx: SystemContext): Promise<boolean> {
  const pathFacts = { platform: ctx.platform, env: ctx.env, homedir: ctx.homedir, cwd: ctx.cwd };
  for (const t of vscodeTargets(pathFacts)) if ((await ctx.stat(t.userDir))?.isDirectory) return true;
  return false;
}
