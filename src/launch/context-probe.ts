// Asks a running model server for the context it really serves per request (design.md §4.5):
// llama.cpp /props and /v1/models meta, vLLM / SGLang /v1/models max_model_len, Ollama /api/ps and /api/show.
import type { Backend } from '../config/schema.js';
import type { SystemContext } from '../system/context.js';

export interface ContextProbeResult {
  /** The server answered at all. */
  reachable: boolean;
  ctxSize?: number;
  /** Where ctxSize came from, e.g. `GET /props default_generation_settings.n_ctx`. */
  source?: string;
  /** The model the server serves, when it says. */
  model?: string;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const posInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;

export function stripBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

export interface ProbeOptions {
  timeoutMs?: number;
  /** Ollama: the model whose context to read. */
  model?: string;
}

export async function probeUpstreamContext(
  ctx: Pick<SystemContext, 'http'>,
  baseUrl: string,
  backend: Backend | 'auto',
  options: ProbeOptions = {},
): Promise<ContextProbeResult> {
  const base = stripBaseUrl(baseUrl);
  const timeoutMs = options.timeoutMs ?? 1500;
  let reachable = false;
  const getJson = async (
    path: string,
    init?: { method: string; body: string },
  ): Promise<Json | undefined> => {
    try {
      const res = await ctx.http(`${base}${path}`, {
        timeoutMs,
        method: init?.method,
        body: init?.body,
        headers: init ? { 'content-type': 'application/json' } : undefined,
      });
      reachable = true;
      if (res.status !== 200) return undefined;
      const parsed: unknown = JSON.parse(res.body);
      return isObj(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  };
  let model: string | undefined;

  if (backend === 'llama.cpp' || backend === 'auto') {
    const props = await getJson('/props');
    const settings = props?.default_generation_settings;
    if (typeof props?.model_path === 'string') model = props.model_path;
    const nCtx = isObj(settings) ? posInt(settings.n_ctx) : undefined;
    if (nCtx)
      return { reachable, ctxSize: nCtx, source: 'GET /props default_generation_settings.n_ctx', model };
    if (!reachable && backend === 'llama.cpp') return { reachable };
  }

  if (backend === 'ollama' || backend === 'auto') {
    const ps = await getJson('/api/ps');
    const loaded = Array.isArray(ps?.models) ? (ps.models as unknown[]).filter(isObj) : [];
    const match = loaded.find((m) => !options.model || m.name === options.model || m.model === options.model);
    if (match && posInt(match.context_length)) {
      return {
        reachable,
        ctxSize: posInt(match.context_length),
        source: 'GET /api/ps context_length',
        model: String(match.name ?? options.model),
      };
    }
    if (options.model) {
      const show = await getJson('/api/show', {
        method: 'POST',
        body: JSON.stringify({ model: options.model }),
      });
      const params = typeof show?.parameters === 'string' ? show.parameters : '';
      const numCtx = /(?:^|\n)\s*num_ctx\s+(\d+)/.exec(params);
      if (numCtx) {
        return {
          reachable,
          ctxSize: Number(numCtx[1]),
          source: 'POST /api/show parameters num_ctx',
          model: options.model,
        };
      }
    }
    if (backend === 'ollama') return { reachable, model: options.model };
  }

  if (backend === 'deepseek-api') return { reachable: false };

  const models = await getJson('/v1/models');
  const first = Array.isArray(models?.data) ? (models.data as unknown[]).find(isObj) : undefined;
  if (first) {
    if (typeof first.id === 'string') model ??= first.id;
    const maxLen = posInt(first.max_model_len);
    if (maxLen) return { reachable, ctxSize: maxLen, source: 'GET /v1/models max_model_len', model };
    const meta = first.meta;
    const nCtx = isObj(meta) ? posInt(meta.n_ctx) : undefined;
    if (nCtx) return { reachable, ctxSize: nCtx, source: 'GET /v1/models meta.n_ctx', model };
  }
  return { reachable, model };
}
