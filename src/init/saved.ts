// What a previous `dsb init` saved, as the defaults of this run: the wizard pre-fills them and
// `--yes` on a configured machine reuses them (instead of "--model is required").
import type { DsbConfig } from '../config/schema.js';
import type { UpstreamKind } from '../upstreams/kind.js';

export interface SavedAnswers {
  backend?: UpstreamKind;
  upstreamUrl?: string;
  model?: string;
  ctxSize?: number;
  gpus?: number;
  bridgePort?: number;
}

export function savedAnswers(config: DsbConfig | undefined, sources: readonly string[]): SavedAnswers {
  // Nothing saved: the built-in defaults of the schema are not answers anyone gave.
  if (!config || sources.length === 0) return {};
  const profile = config.profile;
  const upstream = config.upstreams[0];
  const backend = profile?.backend ?? (upstream && upstream.kind !== 'auto' ? upstream.kind : undefined);
  return {
    ...(backend ? { backend } : {}),
    ...(upstream ? { upstreamUrl: upstream.url } : {}),
    ...(profile?.model || upstream?.model ? { model: profile?.model ?? upstream?.model } : {}),
    ...(profile?.ctxSize ? { ctxSize: profile.ctxSize } : {}),
    ...(profile?.gpus !== undefined ? { gpus: profile.gpus } : {}),
    bridgePort: config.server.port,
  };
}
