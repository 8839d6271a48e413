// The model a launch script names, as the server will see it: a path typed with `~`, `$HOME` or
// `%USERPROFILE%` expanded, and for llama.cpp a check that the GGUF file exists.
import type { SystemContext } from '../system/context.js';
import { expandUserPath, looksLikeLocalPath } from '../system/expand-path.js';
import { LOCAL_UPSTREAMS } from '../upstreams/index.js';
import { isLocalUpstreamKind } from '../upstreams/kind.js';

export interface ResolvedModel {
  model: string;
  /** Warnings for the user (the file is missing). */
  notes: string[];
}

export async function resolveModelPath(
  ctx: Pick<SystemContext, 'platform' | 'env' | 'homedir' | 'stat'>,
  backend: string,
  model: string,
): Promise<ResolvedModel> {
  // A kind whose model is a file (llama.cpp's GGUF): the file must exist on this machine.
  const isFile = isLocalUpstreamKind(backend) && LOCAL_UPSTREAMS[backend].model.file;
  if (!isFile && !looksLikeLocalPath(model)) return { model, notes: [] };
  const expanded = expandUserPath(model, ctx);
  const notes: string[] = [];
  if (isFile) {
    const stat = await ctx.stat(expanded);
    if (!stat?.isFile) {
      notes.push(
        `WARNING: the model file ${expanded} does not exist on this machine${expanded !== model ? ` (from ${model})` : ''}: llama-server will not start until it does — check the path`,
      );
    }
  }
  return { model: expanded, notes };
}
