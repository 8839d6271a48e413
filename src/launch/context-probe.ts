// Asks a running model server for the context it really serves per request (design.md §4.5):
// llama.cpp /props and /v1/models meta, vLLM / SGLang /v1/models max_model_len, Ollama /api/ps and /api/show.
// The bodies are read by the same per-kind parsers the bridge's discovery uses (src/upstreams/); the
// calls go through the SystemContext so init and launch stay testable with fakes.
import type { Backend } from '../config/schema.js';
import type { SystemContext } from '../system/context.js';
import { parseLlamaModels, parseLlamaPropsDetail } from '../upstreams/llama-cpp.js';
import { parseOllamaLoaded, parseOllamaPs, parseOllamaShow } from '../upstreams/ollama.js';
import { parseModelList } from '../upstreams/openai.js';

export interface ContextProbeResult {
  /** The server answered at all. */
  reachable: boolean;
  ctxSize?: number;
  /** Where ctxSize came from, e.g. `GET /props default_generation_settings.n_ctx`. */
  source?: string;
  /** The model the server serves, when it says. */
  model?: string;
}

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
  /** The JSON of a 200 answer; undefined for anything else (not found, not JSON, no answer). */
  const getJson = async (path: string, init?: { method: string; body: string }): Promise<unknown> => {
    try {
      const res = await ctx.http(`${base}${path}`, {
        timeoutMs,
        method: init?.method,
        body: init?.body,
        headers: init ? { 'content-type': 'application/json' } : undefined,
      });
      reachable = true;
      return res.status === 200 ? JSON.parse(res.body) : undefined;
    } catch {
      return undefined;
    }
  };
  let model: string | undefined;

  if (backend === 'llama.cpp' || backend === 'auto') {
    const props = parseLlamaPropsDetail(await getJson('/props'));
    model = props?.modelPath;
    if (props?.contextSize)
      return {
        reachable,
        ctxSize: props.contextSize,
        source: 'GET /props default_generation_settings.n_ctx',
        model,
      };
    if (!reachable && backend === 'llama.cpp') return { reachable };
  }

  if (backend === 'ollama' || backend === 'auto') {
    const ps = await getJson('/api/ps');
    const running = options.model ? parseOllamaPs(ps, options.model) : parseOllamaLoaded(ps)[0];
    if (running?.contextSize) {
      return {
        reachable,
        ctxSize: running.contextSize,
        source: 'GET /api/ps context_length',
        model: running.model,
      };
    }
    if (options.model) {
      const show = await getJson('/api/show', {
        method: 'POST',
        body: JSON.stringify({ model: options.model }),
      });
      const numCtx = parseOllamaShow(show)?.numCtx;
      if (numCtx) {
        return {
          reachable,
          ctxSize: numCtx,
          source: 'POST /api/show parameters num_ctx',
          model: options.model,
        };
      }
    }
    if (backend === 'ollama') return { reachable, model: options.model };
  }

  if (backend === 'deepseek-api') return { reachable: false };

  const models = await getJson('/v1/models');
  const first = parseModelList(models)[0];
  model ??= first?.id;
  if (first?.maxModelLen)
    return { reachable, ctxSize: first.maxModelLen, source: 'GET /v1/models max_model_len', model };
  const nCtx = parseLlamaModels(models)?.contextSize;
  if (nCtx) return { reachable, ctxSize: nCtx, source: 'GET /v1/models meta.n_ctx', model };
  return { reachable, model };
}
