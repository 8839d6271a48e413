// Pure generators of model-server commands (design.md §5, §8): current flags only — never
// `make server` or `--no-mmap` (both gone from llama.cpp), never flags that do not exist. Each
// kind's own command is in its file under src/upstreams/; this adds what all of them share.

import { LOCAL_UPSTREAMS } from '../upstreams/index.js';
import type { LocalUpstreamKind } from '../upstreams/kind.js';
import { deepseekFamily } from '../upstreams/model-family.js';
import type { LaunchProfile, LaunchTemplates, ServerLaunch } from '../upstreams/server-launch.js';
import { hostForUrl } from '../util/host-for-url.js';

export type { LaunchProfile, LaunchTemplates } from '../upstreams/server-launch.js';

export interface LaunchPlan extends ServerLaunch {
  backend: LocalUpstreamKind;
  /** Base URL of the server once it runs (without /v1). */
  baseUrl: string;
  ctxSize: number;
  notes: string[];
}

/** Claude Code's first request alone is 12K-20K tokens and sessions grow fast (design.md §5). */
export const PRACTICAL_MIN_CONTEXT = 65_536;

export function generateLaunch(profile: LaunchProfile, templates: LaunchTemplates): LaunchPlan {
  const { backend, model, ctxSize } = profile;
  const baseUrl = `http://${hostForUrl(profile.host)}:${profile.port}`;
  const notes = commonNotes(profile, baseUrl);
  const server = LOCAL_UPSTREAMS[backend].launch({
    profile,
    templates,
    family: deepseekFamily(model),
    notes,
  });
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
  if (profile.port !== LOCAL_UPSTREAMS[profile.backend].defaultPort) {
    notes.push(`non-default port ${profile.port}: the bridge's upstream URL must say ${baseUrl}`);
  }
  return notes;
}
