// Context discovery (design.md §4.5): which kind of server the upstream is, and how many tokens one
// request may hold there. Parsers are pure, one per endpoint shape; `ContextDiscovery` runs them
// against an upstream once, caches the result and looks again after `invalidate()` (an overflow
// error means the server may have been restarted with another context size).
//
// Where each shape comes from:
// - llama.cpp `GET /props`, `GET /v1/models`: recorded from llama-server b10587
//   (test/fixtures/llama-server/02_props.body, 03_v1_models.body).
// - vLLM `GET /v1/models`: `ModelCard` in vllm/entrypoints/openai/protocol.py
//   (`owned_by: "vllm"`, `root`, `parent`, `max_model_len`).
// - SGLang `GET /v1/models`: `ModelCard` in sglang/srt/entrypoints/openai/protocol.py
//   (`owned_by: "sglang"`, `max_model_len` = the model config's context_len); `GET /get_model_info`
//   (`model_path`, `tokenizer_path`, `is_generation`, …: no context there) and `GET /get_server_info`
//   (the server args, among them `context_length`, plus the scheduler's `max_total_num_tokens` and
//   `max_req_input_len` = min(context_len − 1, max_total_num_tokens − 1)) in
//   sglang/srt/entrypoints/http_server.py and the scheduler.
// - Ollama `GET /api/ps` (`models[].context_length`: the context the loaded runner was given),
//   `POST /api/show` (`model_info["<arch>.context_length"]`, the `parameters` text with a Modelfile
//   `num_ctx`, `details.quantization_level`), `GET /api/version`: Ollama's docs/api.md and
//   docs.ollama.com/api/ps. Ollama's effective num_ctx is a Modelfile `num_ctx`, else the server's
//   default (OLLAMA_CONTEXT_LENGTH, else a small VRAM-dependent default): the server default cannot
//   be read remotely until the model is loaded, so it is left unknown then and looked up again.
// - DeepSeek API: design.md §5 (V4 models: 1M context).
// The parsers and `recognizeUpstreamKind` are also how `dsb doctor` (src/checks/upstream-info.ts) and
// `dsb init` / `dsb launch --run` (src/launch/context-probe.ts) read these bodies; the `…Detail`
// variants add what only those report (model path and size, tool support).
import type { Backend } from '../../config/schema.js';
import { isRecord, positiveInt, postJson, type UpstreamLike } from './http.js';

export type { UpstreamLike } from './http.js';

export type KnownUpstreamKind = Backend;

export interface UpstreamFacts {
  kind: KnownUpstreamKind;
  /** Tokens one request may hold (prompt + output); undefined when unknown. */
  contextSize?: number;
  /** Where `contextSize` comes from, e.g. `llama.cpp /props n_ctx (per slot)`, `config`, `unknown`. */
  contextSource: string;
  model?: string;
  /** Most output tokens one answer may have (config `maxOutputTokens`, or known for the model). */
  outputCap?: number;
  /** llama.cpp parallel slots (`-np`): the context is split between them. */
  slots?: number;
  /** The context the model was trained for (llama.cpp `n_ctx_train`, Ollama `<arch>.context_length`). */
  trainContext?: number;
  /** e.g. `Q4_K_M` (Ollama), `Q4_K - Medium` / `all F32` (llama.cpp `ftype`). */
  quantization?: string;
  /** When these facts were established (ms since the epoch, from the injected clock). */
  discoveredAt: number;
}

// ---------------------------------------------------------------------------------------------
// Pure parsers
// ---------------------------------------------------------------------------------------------

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export interface LlamaPropsFacts {
  /** `default_generation_settings.n_ctx`: the context of one slot, i.e. of one request. */
  contextSize?: number;
  slots?: number;
  model?: string;
  quantization?: string;
  build?: string;
}

/** llama.cpp `GET /props`; undefined when the body is not llama-server's. */
export function parseLlamaProps(json: unknown): LlamaPropsFacts | undefined {
  if (!isRecord(json)) return undefined;
  const settings = json.default_generation_settings;
  if (!isRecord(settings) && json.total_slots === undefined && typeof json.build_info !== 'string')
    return undefined;
  return {
    contextSize: positiveInt(isRecord(settings) ? settings.n_ctx : undefined),
    slots: positiveInt(json.total_slots),
    model: str(json.model_alias) ?? str(json.model_path),
    quantization: str(json.model_ftype),
    build: str(json.build_info),
  };
}

export interface LlamaPropsDetail extends LlamaPropsFacts {
  /** `model_path` as given to `-m` (`model` prefers the `--alias`). */
  modelPath?: string;
  /** `chat_template_caps.supports_tool_calls`: whether the chat template renders tools. */
  supportsTools?: boolean;
}

/** `parseLlamaProps` plus what only diagnostics (doctor, init, launch) need. */
export function parseLlamaPropsDetail(json: unknown): LlamaPropsDetail | undefined {
  const facts = parseLlamaProps(json);
  if (!facts || !isRecord(json)) return undefined;
  const caps = isRecord(json.chat_template_caps) ? json.chat_template_caps : {};
  return {
    ...facts,
    modelPath: str(json.model_path),
    supportsTools: typeof caps.supports_tool_calls === 'boolean' ? caps.supports_tool_calls : undefined,
  };
}

export interface ListedModel {
  id: string;
  ownedBy?: string;
  /** vLLM / SGLang `max_model_len`. */
  maxModelLen?: number;
  /** LoRA adapters name their base model here (vLLM). */
  parent?: string;
  root?: string;
  /** llama.cpp `meta`. */
  meta?: Record<string, unknown>;
}

/** The `data[]` of an OpenAI-style `GET /v1/models`. */
export function parseModelList(json: unknown): ListedModel[] {
  if (!isRecord(json) || !Array.isArray(json.data)) return [];
  const models: ListedModel[] = [];
  for (const entry of json.data) {
    if (!isRecord(entry) || typeof entry.id !== 'string') continue;
    models.push({
      id: entry.id,
      ownedBy: str(entry.owned_by),
      maxModelLen: positiveInt(entry.max_model_len),
      parent: str(entry.parent),
      root: str(entry.root),
      meta: isRecord(entry.meta) ? entry.meta : undefined,
    });
  }
  return models;
}

/** The entry for `wanted` (by id or root), else the first base model (not a LoRA adapter). */
function pickModel(models: ListedModel[], wanted: string | undefined): ListedModel | undefined {
  if (wanted) {
    const hit = models.find((m) => m.id === wanted || m.root === wanted);
    if (hit) return hit;
  }
  return models.find((m) => m.parent === undefined) ?? models[0];
}

export interface LlamaModelsFacts {
  model: string;
  /** `meta.n_ctx`: the server's whole context (all slots together in older builds). */
  contextSize?: number;
  trainContext?: number;
  quantization?: string;
}

const llamaModelEntry = (json: unknown): ListedModel | undefined =>
  parseModelList(json).find((m) => m.ownedBy === 'llamacpp' || m.meta !== undefined);

/** llama.cpp `GET /v1/models` (`owned_by: "llamacpp"`, `meta`); undefined otherwise. */
export function parseLlamaModels(json: unknown): LlamaModelsFacts | undefined {
  const entry = llamaModelEntry(json);
  if (!entry) return undefined;
  return {
    model: entry.id,
    contextSize: positiveInt(entry.meta?.n_ctx),
    trainContext: positiveInt(entry.meta?.n_ctx_train),
    quantization: str(entry.meta?.ftype),
  };
}

export interface LlamaModelsDetail extends LlamaModelsFacts {
  /** `meta.n_params`: the model's parameter count. */
  params?: number;
  /** `meta.size`: the model's tensor bytes. */
  sizeBytes?: number;
}

/** `parseLlamaModels` plus what only diagnostics need (model size and parameter count). */
export function parseLlamaModelsDetail(json: unknown): LlamaModelsDetail | undefined {
  const facts = parseLlamaModels(json);
  const meta = llamaModelEntry(json)?.meta;
  if (!facts) return undefined;
  return { ...facts, params: positiveInt(meta?.n_params), sizeBytes: positiveInt(meta?.size) };
}

export interface ServedModelFacts {
  model: string;
  contextSize?: number;
}

/** vLLM `GET /v1/models` (`owned_by: "vllm"`, `max_model_len`); undefined otherwise. */
export function parseVllmModels(json: unknown, wanted?: string): ServedModelFacts | undefined {
  const entry = pickModel(
    parseModelList(json).filter((m) => m.ownedBy === 'vllm'),
    wanted,
  );
  return entry ? { model: entry.id, contextSize: entry.maxModelLen } : undefined;
}

/** SGLang `GET /v1/models` (`owned_by: "sglang"`, `max_model_len`); undefined otherwise. */
export function parseSglangModels(json: unknown, wanted?: string): ServedModelFacts | undefined {
  const entry = pickModel(
    parseModelList(json).filter((m) => m.ownedBy === 'sglang'),
    wanted,
  );
  return entry ? { model: entry.id, contextSize: entry.maxModelLen } : undefined;
}

/** SGLang `GET /get_model_info` (`model_path`); undefined otherwise. */
export function parseSglangModelInfo(json: unknown): { model: string } | undefined {
  if (!isRecord(json)) return undefined;
  const model = str(json.model_path);
  return model ? { model } : undefined;
}

export interface SglangServerInfo {
  /** `--context-length` as started (null in the body when the model's default is used). */
  contextLength?: number;
  /** Tokens the KV cache pool holds for all requests together. */
  maxTotalTokens?: number;
  /** Longest prompt one request may have: min(context_len − 1, max_total_num_tokens − 1). */
  maxReqInputLen?: number;
  version?: string;
}

/** SGLang `GET /get_server_info`. */
export function parseSglangServerInfo(json: unknown): SglangServerInfo | undefined {
  if (!isRecord(json)) return undefined;
  const info: SglangServerInfo = {
    contextLength: positiveInt(json.context_length),
    maxTotalTokens: positiveInt(json.max_total_num_tokens),
    maxReqInputLen: positiveInt(json.max_req_input_len),
    version: str(json.version),
  };
  return Object.values(info).some((v) => v !== undefined) ? info : undefined;
}

/** A `{"version": "…"}` body (vLLM `GET /version`, Ollama `GET /api/version`) → the version string. */
export function parseServerVersion(json: unknown): string | undefined {
  return isRecord(json) ? str(json.version) : undefined;
}

/** Ollama `GET /api/version` → the version string. */
export function parseOllamaVersion(json: unknown): string | undefined {
  return parseServerVersion(json);
}

/** Ollama names default to the `latest` tag: `deepseek-r1` is `deepseek-r1:latest`. */
export function normalizeOllamaName(name: string): string {
  const lower = name.trim().toLowerCase();
  const lastSegment = lower.slice(lower.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? lower : `${lower}:latest`;
}

export interface OllamaLoadedModel {
  model: string;
  /** The context the loaded runner was started with: what one request may hold. */
  contextSize?: number;
  quantization?: string;
}

export interface OllamaLoadedDetail extends OllamaLoadedModel {
  /** `size`: bytes the loaded model takes (weights and KV cache). */
  sizeBytes?: number;
}

function ollamaLoadedEntry(entry: unknown): OllamaLoadedDetail | undefined {
  if (!isRecord(entry)) return undefined;
  const model = str(entry.model) ?? str(entry.name);
  if (!model) return undefined;
  const details = isRecord(entry.details) ? entry.details : {};
  return {
    model,
    contextSize: positiveInt(entry.context_length),
    quantization: str(details.quantization_level),
    sizeBytes: positiveInt(entry.size),
  };
}

const loadedModel = ({ model, contextSize, quantization }: OllamaLoadedDetail): OllamaLoadedModel => ({
  model,
  contextSize,
  quantization,
});

/** The loaded models of Ollama `GET /api/ps`, with their sizes. */
export function parseOllamaLoadedDetail(json: unknown): OllamaLoadedDetail[] {
  if (!isRecord(json) || !Array.isArray(json.models)) return [];
  return json.models.map(ollamaLoadedEntry).filter((m): m is OllamaLoadedDetail => m !== undefined);
}

/** The loaded models of Ollama `GET /api/ps`. */
export function parseOllamaLoaded(json: unknown): OllamaLoadedModel[] {
  return parseOllamaLoadedDetail(json).map(loadedModel);
}

/** `parseOllamaPs` with the loaded model's size. */
export function parseOllamaPsDetail(json: unknown, wanted?: string): OllamaLoadedDetail | undefined {
  if (!wanted) {
    const loaded = parseOllamaLoadedDetail(json);
    return loaded.length === 1 ? loaded[0] : undefined;
  }
  const target = normalizeOllamaName(wanted);
  if (isRecord(json) && Array.isArray(json.models)) {
    // Match on `name` as well as `model` (they differ for some pulled-by-digest models).
    const entry = json.models.find(
      (e) =>
        isRecord(e) &&
        ((typeof e.name === 'string' && normalizeOllamaName(e.name) === target) ||
          (typeof e.model === 'string' && normalizeOllamaName(e.model) === target)),
    );
    return ollamaLoadedEntry(entry);
  }
  return undefined;
}

/**
 * The loaded model `wanted` in Ollama `GET /api/ps` (names compared with the default `latest` tag),
 * or the only loaded model when none is wanted; undefined when it is not loaded.
 */
export function parseOllamaPs(json: unknown, wanted?: string): OllamaLoadedModel | undefined {
  const running = parseOllamaPsDetail(json, wanted);
  return running && loadedModel(running);
}

export interface OllamaShowFacts {
  architecture?: string;
  /** `model_info["<arch>.context_length"]`: the context the model was trained for. */
  trainContext?: number;
  /** A `num_ctx` in the model's parameters (Modelfile `PARAMETER num_ctx`): overrides the server default. */
  numCtx?: number;
  quantization?: string;
}

/** Ollama `POST /api/show {model}`. */
export function parseOllamaShow(json: unknown): OllamaShowFacts | undefined {
  if (!isRecord(json)) return undefined;
  const info = isRecord(json.model_info) ? json.model_info : undefined;
  const details = isRecord(json.details) ? json.details : undefined;
  if (!info && !details && typeof json.parameters !== 'string') return undefined;
  const architecture = str(info?.['general.architecture']);
  let trainContext = architecture ? positiveInt(info?.[`${architecture}.context_length`]) : undefined;
  if (trainContext === undefined && info) {
    const key = Object.keys(info).find((k) => k.endsWith('.context_length'));
    trainContext = key ? positiveInt(info[key]) : undefined;
  }
  const match = typeof json.parameters === 'string' ? /^\s*num_ctx\s+(\d+)\s*$/m.exec(json.parameters) : null;
  return {
    architecture,
    trainContext,
    numCtx: match ? positiveInt(Number(match[1])) : undefined,
    quantization: str(details?.quantization_level),
  };
}

/** What a server answered to the endpoints that tell the kinds apart; leave out what was not asked. */
export interface KindClues {
  /** `GET /props` (llama.cpp only). */
  props?: unknown;
  /** `GET /v1/models` (`owned_by` names vLLM, SGLang and llama.cpp). */
  models?: unknown;
  /** Some answer carried the header `Server: llama.cpp` (llama-server sends it on every route). */
  llamaServerHeader?: boolean;
  /** `GET /api/version` (Ollama). */
  ollamaVersion?: unknown;
  /** `GET /get_model_info` (SGLang). */
  sglangModelInfo?: unknown;
  /** `GET /version` (vLLM): counts together with a `max_model_len` in `/v1/models`. */
  serverVersion?: unknown;
}

export interface RecognizedKind {
  kind: KnownUpstreamKind;
  /** What gave it away, e.g. `GET /props`, `owned_by "vllm"`. */
  evidence: string;
}

/**
 * Which kind of server gave these answers, and by which; undefined when none of them tells (a
 * generic OpenAI-compatible server, or not asked yet). What only llama-server answers comes first
 * (it also serves Ollama-style routes); Ollama's /api/version comes before `owned_by` vllm/sglang
 * (Ollama's /v1/models gives each model's namespace as `owned_by`).
 */
export function recognizeUpstreamKind(clues: KindClues): RecognizedKind | undefined {
  if (parseLlamaProps(clues.props)) return { kind: 'llama.cpp', evidence: 'GET /props' };
  if (clues.llamaServerHeader) return { kind: 'llama.cpp', evidence: 'Server: llama.cpp header' };
  const listed = parseModelList(clues.models);
  const owners = new Set(listed.map((m) => m.ownedBy));
  if (owners.has('llamacpp')) return { kind: 'llama.cpp', evidence: 'owned_by "llamacpp"' };
  if (parseOllamaVersion(clues.ollamaVersion)) return { kind: 'ollama', evidence: 'GET /api/version' };
  if (owners.has('vllm')) return { kind: 'vllm', evidence: 'owned_by "vllm"' };
  if (owners.has('sglang')) return { kind: 'sglang', evidence: 'owned_by "sglang"' };
  if (parseSglangModelInfo(clues.sglangModelInfo)) return { kind: 'sglang', evidence: 'GET /get_model_info' };
  if (parseServerVersion(clues.serverVersion) && listed[0]?.maxModelLen !== undefined)
    return { kind: 'vllm', evidence: 'GET /version' };
  return undefined;
}

/**
 * DeepSeek API context by model id. Only what design.md §5 states: the V4 models have a 1M-token
 * context (read as 1,000,000, the smaller reading of "1M", so the bridge never lets a prompt
 * through that the API would refuse). `deepseek-chat` / `deepseek-reasoner` are aliases whose
 * context has changed over time (64K, then 128K, then V4-Flash): not encoded, left unknown.
 */
export const DEEPSEEK_V4_CONTEXT = 1_000_000;
const DEEPSEEK_API_CONTEXT: Readonly<Record<string, number>> = {
  'deepseek-v4-pro': DEEPSEEK_V4_CONTEXT,
  'deepseek-v4-flash': DEEPSEEK_V4_CONTEXT,
};

export function deepseekApiContext(model: string | undefined): number | undefined {
  return model ? DEEPSEEK_API_CONTEXT[model.toLowerCase()] : undefined;
}

export function isDeepSeekApiUrl(url: string): boolean {
  try {
    return new URL(url).hostname.toLowerCase() === 'api.deepseek.com';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Discovery against a live upstream
// ---------------------------------------------------------------------------------------------

export interface ContextDiscoveryOptions {
  /** Upper bound of one whole discovery, in ms. */
  budgetMs?: number;
  /** Upper bound of one call, in ms. */
  callTimeoutMs?: number;
  /**
   * How long an incomplete result is kept before looking again (upstream unreachable, Ollama
   * model not loaded yet): the first real request usually makes the missing fact available.
   */
  retryMs?: number;
}

interface Discovered {
  facts: Omit<UpstreamFacts, 'discoveredAt'>;
  /** False when looking again later may tell more. */
  complete: boolean;
}

const DEFAULT_BUDGET_MS = 3_000;
const DEFAULT_CALL_TIMEOUT_MS = 1_500;
const DEFAULT_RETRY_MS = 30_000;
/** Below this, a call would time out before a real server could answer: skip it. */
const MIN_CALL_MS = 50;

export class ContextDiscovery {
  private cached: { facts: UpstreamFacts; expiresAt: number } | undefined;
  private last: UpstreamFacts | undefined;
  private inflight: Promise<UpstreamFacts> | undefined;
  private generation = 0;
  private readonly budgetMs: number;
  private readonly callTimeoutMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly upstream: UpstreamLike,
    private readonly now: () => number = Date.now,
    options: ContextDiscoveryOptions = {},
  ) {
    this.budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  }

  /** The upstream's facts: cached; concurrent callers share one discovery; never throws. */
  get(): Promise<UpstreamFacts> {
    if (this.cached && this.now() < this.cached.expiresAt) return Promise.resolve(this.cached.facts);
    if (this.inflight) return this.inflight;
    const generation = this.generation;
    const run = this.discover()
      .catch((): Discovered => ({ facts: this.unknown(), complete: false }))
      .then(({ facts, complete }) => {
        const full: UpstreamFacts = { ...facts, discoveredAt: this.now() };
        if (generation === this.generation) {
          this.cached = {
            facts: full,
            expiresAt: complete ? Number.POSITIVE_INFINITY : this.now() + this.retryMs,
          };
          this.last = full;
        }
        return full;
      })
      .finally(() => {
        if (this.inflight === run) this.inflight = undefined;
      });
    this.inflight = run;
    return run;
  }

  /** Forget the cached facts (after an overflow error): the next `get()` discovers again. */
  invalidate(): void {
    this.generation++;
    this.cached = undefined;
    this.inflight = undefined;
  }

  /** The last facts discovered, without waiting (still the previous ones after `invalidate()`). */
  peek(): UpstreamFacts | undefined {
    return this.last;
  }

  private unknown(): Discovered['facts'] {
    const config = this.upstream.config;
    const kind: KnownUpstreamKind =
      config.kind !== 'auto' ? config.kind : isDeepSeekApiUrl(this.upstream.url) ? 'deepseek-api' : 'openai';
    return this.withConfig({ kind, contextSource: 'unknown' });
  }

  /** A config `contextSize` / `maxOutputTokens` / `model` always wins over what was discovered. */
  private withConfig(facts: Discovered['facts']): Discovered['facts'] {
    const config = this.upstream.config;
    const out = { ...facts };
    if (config.contextSize) {
      out.contextSize = config.contextSize;
      out.contextSource = 'config';
    }
    if (config.maxOutputTokens) out.outputCap = config.maxOutputTokens;
    if (config.model) out.model = config.model;
    return out;
  }

  private async discover(): Promise<Discovered> {
    const config = this.upstream.config;
    const started = performance.now();
    const remaining = () => this.budgetMs - (performance.now() - started);
    // Whole milliseconds: AbortSignal.timeout throws on fractions.
    const timeout = () => Math.floor(Math.min(this.callTimeoutMs, remaining()));
    // Each endpoint is read at most once per discovery, shared by detection and the kind's parser.
    const seen = new Map<string, Promise<unknown>>();
    let answered = false;
    const get = (path: string): Promise<unknown> => {
      let pending = seen.get(path);
      if (!pending) {
        const ms = timeout();
        pending =
          ms < MIN_CALL_MS
            ? Promise.resolve(undefined)
            : this.upstream.getJson(path, ms).then(
                (json) => {
                  if (json !== undefined) answered = true;
                  return json;
                },
                () => undefined,
              );
        seen.set(path, pending);
      }
      return pending;
    };
    const post = async (path: string, body: unknown): Promise<unknown> => {
      const ms = timeout();
      if (ms < MIN_CALL_MS) return undefined;
      const res = await postJson(this.upstream, path, body, { timeoutMs: ms });
      if (res.status > 0) answered = true;
      return res.ok ? res.json : undefined;
    };

    let kind: KnownUpstreamKind | undefined = config.kind === 'auto' ? undefined : config.kind;
    if (!kind && isDeepSeekApiUrl(this.upstream.url)) kind = 'deepseek-api';
    if (!kind) {
      // /props and /v1/models tell llama.cpp, vLLM and SGLang apart; Ollama's and SGLang's own
      // endpoints are asked only when they do not (recognizeUpstreamKind puts llama.cpp first:
      // llama-server also answers Ollama-style endpoints).
      const [props, models] = await Promise.all([get('/props'), get('/v1/models')]);
      kind = recognizeUpstreamKind({ props, models })?.kind;
      if (!kind) {
        const [ollamaVersion, sglangModelInfo] = await Promise.all([
          get('/api/version'),
          get('/get_model_info'),
        ]);
        kind = recognizeUpstreamKind({ ollamaVersion, sglangModelInfo })?.kind ?? 'openai';
      }
    }

    let found: Discovered;
    switch (kind) {
      case 'llama.cpp':
        found = await this.llamaCpp(get);
        break;
      case 'vllm':
        found = await this.vllm(get);
        break;
      case 'sglang':
        found = await this.sglang(get);
        break;
      case 'ollama':
        found = await this.ollama(get, post);
        break;
      case 'deepseek-api':
        found = await this.deepseekApi(get);
        break;
      default:
        found = await this.openai(get);
    }
    // Nothing answered at all: the upstream is down or unreachable; try again soon.
    const complete = found.complete && (answered || kind === 'deepseek-api');
    return { facts: this.withConfig(found.facts), complete };
  }

  private async llamaCpp(get: (p: string) => Promise<unknown>): Promise<Discovered> {
    const [propsJson, modelsJson] = await Promise.all([get('/props'), get('/v1/models')]);
    const props = parseLlamaProps(propsJson);
    const models = parseLlamaModels(modelsJson);
    let contextSize = props?.contextSize;
    let contextSource = 'llama.cpp /props n_ctx (per slot)';
    if (contextSize === undefined && models?.contextSize !== undefined) {
      contextSize = models.contextSize;
      contextSource = 'llama.cpp /v1/models meta.n_ctx';
    }
    return {
      facts: {
        kind: 'llama.cpp',
        contextSize,
        contextSource: contextSize === undefined ? 'unknown' : contextSource,
        model: models?.model ?? props?.model,
        slots: props?.slots,
        trainContext: models?.trainContext,
        quantization: models?.quantization ?? props?.quantization,
      },
      complete: contextSize !== undefined,
    };
  }

  private async vllm(get: (p: string) => Promise<unknown>): Promise<Discovered> {
    const served = parseVllmModels(await get('/v1/models'), this.upstream.config.model);
    return {
      facts: {
        kind: 'vllm',
        contextSize: served?.contextSize,
        contextSource: served?.contextSize ? 'vLLM /v1/models max_model_len' : 'unknown',
        model: served?.model,
      },
      complete: served?.contextSize !== undefined,
    };
  }

  private async sglang(get: (p: string) => Promise<unknown>): Promise<Discovered> {
    const [modelsJson, infoJson] = await Promise.all([get('/v1/models'), get('/get_server_info')]);
    const served = parseSglangModels(modelsJson, this.upstream.config.model);
    const info = parseSglangServerInfo(infoJson);
    let contextSize = served?.contextSize;
    let contextSource = 'SGLang /v1/models max_model_len';
    if (contextSize === undefined && info?.contextLength !== undefined) {
      contextSize = info.contextLength;
      contextSource = 'SGLang /get_server_info context_length';
    }
    // A request's prompt must also fit the KV cache pool (max_req_input_len); with a small pool
    // that is less than the model's context.
    const poolLimit = info?.maxReqInputLen !== undefined ? info.maxReqInputLen + 1 : undefined;
    if (poolLimit !== undefined && (contextSize === undefined || poolLimit < contextSize)) {
      contextSize = poolLimit;
      contextSource = 'SGLang /get_server_info max_req_input_len + 1 (KV cache pool)';
    }
    const model =
      served?.model ?? parseSglangModelInfo(served ? undefined : await get('/get_model_info'))?.model;
    return {
      facts: {
        kind: 'sglang',
        contextSize,
        contextSource: contextSize === undefined ? 'unknown' : contextSource,
        model,
      },
      complete: contextSize !== undefined,
    };
  }

  private async ollama(
    get: (p: string) => Promise<unknown>,
    post: (p: string, body: unknown) => Promise<unknown>,
  ): Promise<Discovered> {
    const [psJson, modelsJson] = await Promise.all([get('/api/ps'), get('/v1/models')]);
    const configured = this.upstream.config.model;
    const loaded = parseOllamaLoaded(psJson);
    // The model the bridge will send: configured, else the only loaded one, else the first listed
    // (what Upstream.model() picks).
    const wanted =
      configured ?? (loaded.length === 1 ? loaded[0]!.model : undefined) ?? parseModelList(modelsJson)[0]?.id;
    const running = parseOllamaPs(psJson, wanted);
    if (running?.contextSize !== undefined) {
      // /api/show still tells the trained context; optional, so only when time is left.
      const show = parseOllamaShow(await post('/api/show', { model: running.model }));
      return {
        facts: {
          kind: 'ollama',
          contextSize: running.contextSize,
          contextSource: 'Ollama /api/ps context_length (loaded model)',
          model: running.model,
          trainContext: show?.trainContext,
          quantization: running.quantization ?? show?.quantization,
        },
        complete: true,
      };
    }
    const show = wanted ? parseOllamaShow(await post('/api/show', { model: wanted })) : undefined;
    let contextSize: number | undefined;
    let contextSource =
      'unknown: model not loaded and no Modelfile num_ctx (server default, OLLAMA_CONTEXT_LENGTH)';
    if (show?.numCtx !== undefined) {
      contextSize = show.trainContext !== undefined ? Math.min(show.numCtx, show.trainContext) : show.numCtx;
      contextSource = 'Ollama /api/show num_ctx (Modelfile)';
    }
    return {
      facts: {
        kind: 'ollama',
        contextSize,
        contextSource,
        model: wanted,
        trainContext: show?.trainContext,
        quantization: show?.quantization,
      },
      // Once the model is loaded, /api/ps says what the runner really got: look again then.
      complete: false,
    };
  }

  private async deepseekApi(get: (p: string) => Promise<unknown>): Promise<Discovered> {
    const model = this.upstream.config.model ?? parseModelList(await get('/v1/models'))[0]?.id;
    const contextSize = deepseekApiContext(model);
    return {
      facts: {
        kind: 'deepseek-api',
        contextSize,
        contextSource: contextSize
          ? 'DeepSeek API known model table'
          : `unknown: no known context for DeepSeek API model ${model ?? '(none configured)'}`,
        model,
      },
      complete: model !== undefined,
    };
  }

  private async openai(get: (p: string) => Promise<unknown>): Promise<Discovered> {
    const models = parseModelList(await get('/v1/models'));
    const entry = pickModel(models, this.upstream.config.model);
    return {
      facts: {
        kind: 'openai',
        contextSize: entry?.maxModelLen,
        contextSource: entry?.maxModelLen ? '/v1/models max_model_len' : 'unknown',
        model: entry?.id,
      },
      complete: models.length > 0,
    };
  }
}
