// Asks a running model server for the context it really serves per request (design.md §4.5):
// llama.cpp /props and /v1/models meta, vLLM / SGLang /v1/models max_model_len, Ollama /api/ps and /api/show.
// The bodies are read by the same per-kind parsers the bridge's discovery uses (src/upstreams/); the
// calls go through the SystemContext so init and launch stay testable with fakes.
import type { UpstreamKindSetting } from '../config/schema.js';
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
  backend: UpstreamKindSetting,
  options: ProbeOptions = {},
): Promise<ContextProbeResult> {
  const server = new ServerReader(ctx, stripBaseUrl(baseUrl), options.timeoutMs ?? 1500);
  let model: string | undefined;
  if (backend === 'llama.cpp' || backend === 'auto') {
    const props = await fromLlamaProps(server);
    if (props.found) return props.found;
    model = props.model;
    if (!server.reachable && backend === 'llama.cpp') return { reachable: false };
  }
  if (backend === 'ollama' || backend === 'auto') {
    const found = await fromOllama(server, options.model);
    if (found) return found;
    if (backend === 'ollama') return { reachable: server.reachable, model: options.model };
  }
  if (backend === 'deepseek-api') return { reachable: false };
  return fromModelList(server, model);
}

/** Reads JSON from one server, remembering whether it answered at all. */
class ServerReader {
  /** Some call got an HTTP answer (any status). */
  reachable = false;

  constructor(
    private readonly ctx: Pick<SystemContext, 'http'>,
    private readonly base: string,
    private readonly timeoutMs: number,
  ) {}

  /** The JSON of a 200 answer; undefined for anything else (not found, not JSON, no answer). */
  async json(path: string, post?: { body: string }): Promise<unknown> {
    try {
      const res = await this.ctx.http(`${this.base}${path}`, {
        timeoutMs: this.timeoutMs,
        method: post ? 'POST' : undefined,
        body: post?.body,
        headers: post ? { 'content-type': 'application/json' } : undefined,
      });
      this.reachable = true;
      return res.status === 200 ? JSON.parse(res.body) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** llama-server's /props: the context per slot, and the model file it loaded. */
async function fromLlamaProps(server: ServerReader): Promise<{ found?: ContextProbeResult; model?: string }> {
  const props = parseLlamaPropsDetail(await server.json('/props'));
  const model = props?.modelPath;
  if (!props?.contextSize) return { model };
  return {
    found: {
      reachable: server.reachable,
      ctxSize: props.contextSize,
      source: 'GET /props default_generation_settings.n_ctx',
      model,
    },
  };
}

/** Ollama: the loaded model's context (/api/ps), else the num_ctx its Modelfile sets (/api/show). */
async function fromOllama(server: ServerReader, wanted?: string): Promise<ContextProbeResult | undefined> {
  const ps = await server.json('/api/ps');
  const running = wanted ? parseOllamaPs(ps, wanted) : parseOllamaLoaded(ps)[0];
  if (running?.contextSize) {
    return {
      reachable: server.reachable,
      ctxSize: running.contextSize,
      source: 'GET /api/ps context_length',
      model: running.model,
    };
  }
  if (!wanted) return undefined;
  const show = await server.json('/api/show', { body: JSON.stringify({ model: wanted }) });
  const numCtx = parseOllamaShow(show)?.numCtx;
  if (!numCtx) return undefined;
  return {
    reachable: server.reachable,
    ctxSize: numCtx,
    source: 'POST /api/show parameters num_ctx',
    model: wanted,
  };
}

/** /v1/models: vLLM's and SGLang's max_model_len, llama-server's meta.n_ctx, or just the model. */
async function fromModelList(server: ServerReader, knownModel?: string): Promise<ContextProbeResult> {
  const models = await server.json('/v1/models');
  const first = parseModelList(models)[0];
  const model = knownModel ?? first?.id;
  const reachable = server.reachable;
  if (first?.maxModelLen)
    return { reachable, ctxSize: first.maxModelLen, source: 'GET /v1/models max_model_len', model };
  const nCtx = parseLlamaModels(models)?.contextSize;
  if (nCtx) return { reachable, ctxSize: nCtx, source: 'GET /v1/models meta.n_ctx', model };
  return { reachable, model };
}
