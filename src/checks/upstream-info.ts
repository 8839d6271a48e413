// Discovers what serves the upstream URL and what it reports about its model, once per doctor run
// (memoised in the CheckContext): llama.cpp `/props` + `/v1/models` meta, vLLM/SGLang `max_model_len`,
// Ollama `/api/version`, `/api/ps`, `/api/show`. All probes have short timeouts and run concurrently.
import type { HttpRequestOptions } from '../system/context.js';
import type { CheckContext } from './types.js';
import { type HttpAttempt, isObject, jsonOf, num, parseJson, pick, str, tryHttp, urlParts } from './util.js';

export type UpstreamKindFound =
  | 'llama.cpp'
  | 'vllm'
  | 'ollama'
  | 'sglang'
  | 'deepseek-api'
  | 'openai'
  | 'unknown';

export interface UpstreamInfo {
  url: string;
  reachable: boolean;
  /** Why it is not reachable (connection refused, timeout…). */
  error?: string;
  errorReason?: string;
  kind: UpstreamKindFound;
  /** How the kind was recognised. */
  kindEvidence?: string;
  version?: string;
  /** The model id chat requests will use. */
  model?: string;
  models: string[];
  /** `/v1/models` answered 401/403. */
  authRejected: boolean;
  modelsStatus?: number;
  llama?: {
    nCtx?: number;
    nCtxTrain?: number;
    totalSlots?: number;
    ftype?: string;
    modelPath?: string;
    nParams?: number;
    sizeBytes?: number;
    supportsTools?: boolean;
    buildInfo?: string;
  };
  /** vLLM and SGLang: `max_model_len` from /v1/models. */
  maxModelLen?: number;
  ollama?: {
    /** Context of the loaded model (`/api/ps`), the real per-request window. */
    loadedContext?: number;
    loaded: boolean;
    sizeBytes?: number;
    sizeVram?: number;
    trainedContext?: number;
    numCtxParameter?: number;
    quantization?: string;
    parameterSize?: string;
    capabilities?: string[];
  };
}

export function authHeaders(ctx: CheckContext): Record<string, string> {
  const key = ctx.config.upstreams[0]?.apiKey;
  return key ? { authorization: `Bearer ${key}` } : {};
}

export function upstreamRequest(
  ctx: CheckContext,
  path: string,
  options: HttpRequestOptions = {},
): Promise<HttpAttempt> {
  return tryHttp(ctx, `${ctx.upstreamUrl}${path}`, {
    ...options,
    headers: {
      ...authHeaders(ctx),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
  });
}

export function discoverUpstream(ctx: CheckContext): Promise<UpstreamInfo> {
  return ctx.memo('upstream-info', () => discover(ctx));
}

async function discover(ctx: CheckContext): Promise<UpstreamInfo> {
  const url = ctx.upstreamUrl;
  const host = urlParts(url)?.host ?? '';
  const [models, props, health, ollamaVersion, version, sglangInfo] = await Promise.all([
    upstreamRequest(ctx, '/v1/models'),
    upstreamRequest(ctx, '/props'),
    upstreamRequest(ctx, '/health'),
    upstreamRequest(ctx, '/api/version'),
    upstreamRequest(ctx, '/version'),
    upstreamRequest(ctx, '/get_model_info'),
  ]);
  const all = [models, props, health, ollamaVersion, version, sglangInfo];
  const answered = all.find((a) => a.ok);
  const info: UpstreamInfo = {
    url,
    reachable: Boolean(answered),
    kind: 'unknown',
    models: [],
    authRejected: models.ok && (models.response.status === 401 || models.response.status === 403),
  };
  if (!answered) {
    const failed = models as Extract<HttpAttempt, { ok: false }>;
    info.error = failed.message;
    info.errorReason = failed.reason;
    return info;
  }
  if (models.ok) info.modelsStatus = models.response.status;

  const modelsJson = jsonOf(models);
  const data = pick(modelsJson, 'data');
  const list = Array.isArray(data) ? data.filter(isObject) : [];
  info.models = list.map((m) => str(m.id)).filter((id): id is string => Boolean(id));
  const first = list[0];
  const ownedBy = str(first?.owned_by);
  const configured = ctx.config.upstreams[0];
  info.model = configured?.model ?? info.models[0];

  const propsJson = jsonOf(props);
  const serverHeader = [props, health, models].find(
    (a) => a.ok && /llama\.cpp/i.test(a.response.headers.server ?? ''),
  );
  const ollamaJson = jsonOf(ollamaVersion);
  const sglangJson = jsonOf(sglangInfo);
  const versionJson = jsonOf(version);

  // Recognise the server: explicit config first, then what only one kind of server answers.
  if (/(^|\.)deepseek\.com$/i.test(host)) {
    info.kind = 'deepseek-api';
    info.kindEvidence = `host ${host}`;
  } else if (
    isObject(propsJson) &&
    ('default_generation_settings' in propsJson || 'build_info' in propsJson)
  ) {
    info.kind = 'llama.cpp';
    info.kindEvidence = 'GET /props';
  } else if (serverHeader || ownedBy === 'llamacpp') {
    info.kind = 'llama.cpp';
    info.kindEvidence = serverHeader ? 'Server: llama.cpp header' : 'owned_by "llamacpp"';
  } else if (isObject(ollamaJson) && str(ollamaJson.version)) {
    info.kind = 'ollama';
    info.kindEvidence = 'GET /api/version';
    info.version = str(ollamaJson.version);
  } else if (
    (isObject(sglangJson) && ('model_path' in sglangJson || 'is_generation' in sglangJson)) ||
    ownedBy === 'sglang'
  ) {
    info.kind = 'sglang';
    info.kindEvidence = ownedBy === 'sglang' ? 'owned_by "sglang"' : 'GET /get_model_info';
  } else if (
    ownedBy === 'vllm' ||
    (isObject(versionJson) && str(versionJson.version) && num(first?.max_model_len))
  ) {
    info.kind = 'vllm';
    info.kindEvidence = ownedBy === 'vllm' ? 'owned_by "vllm"' : 'GET /version';
  } else if (info.models.length > 0) {
    info.kind = 'openai';
    info.kindEvidence = 'GET /v1/models';
  }
  if (configured && configured.kind !== 'auto' && info.kind === 'unknown') info.kind = configured.kind;

  if (info.kind === 'vllm' || info.kind === 'sglang') {
    info.maxModelLen = num(first?.max_model_len);
    if (isObject(versionJson)) info.version = str(versionJson.version);
  }

  if (info.kind === 'llama.cpp') {
    const meta = isObject(first?.meta) ? first.meta : undefined;
    const buildInfo = str(pick(propsJson, 'build_info'));
    info.version = buildInfo?.split('-')[0];
    info.llama = {
      nCtx: num(pick(propsJson, 'default_generation_settings', 'n_ctx')) ?? num(meta?.n_ctx),
      nCtxTrain: num(meta?.n_ctx_train),
      totalSlots: num(pick(propsJson, 'total_slots')),
      ftype: str(pick(propsJson, 'model_ftype')) ?? str(meta?.ftype),
      modelPath: str(pick(propsJson, 'model_path')),
      nParams: num(meta?.n_params),
      sizeBytes: num(meta?.size),
      supportsTools:
        typeof pick(propsJson, 'chat_template_caps', 'supports_tool_calls') === 'boolean'
          ? (pick(propsJson, 'chat_template_caps', 'supports_tool_calls') as boolean)
          : undefined,
      buildInfo,
    };
  }

  if (info.kind === 'ollama') {
    const ps = await upstreamRequest(ctx, '/api/ps');
    const running = pick(jsonOf(ps), 'models');
    const runningList = Array.isArray(running) ? running.filter(isObject) : [];
    const wanted = info.model;
    const loaded = runningList.find((m) => m.name === wanted || m.model === wanted) ?? runningList[0];
    const name = str(loaded?.name) ?? wanted;
    if (!info.model && name) info.model = name;
    info.ollama = {
      loaded: Boolean(loaded),
      loadedContext: num(loaded?.context_length),
      sizeBytes: num(loaded?.size),
      sizeVram: num(loaded?.size_vram),
      quantization: str(pick(loaded, 'details', 'quantization_level')),
      parameterSize: str(pick(loaded, 'details', 'parameter_size')),
    };
    if (name) {
      const show = await upstreamRequest(ctx, '/api/show', {
        method: 'POST',
        body: JSON.stringify({ model: name }),
      });
      const showJson = jsonOf(show);
      const modelInfo = pick(showJson, 'model_info');
      if (isObject(modelInfo)) {
        const arch = str(modelInfo['general.architecture']);
        info.ollama.trainedContext = arch ? num(modelInfo[`${arch}.context_length`]) : undefined;
      }
      const params = str(pick(showJson, 'parameters'));
      const numCtx = params?.match(/^\s*num_ctx\s+(\d+)/m)?.[1];
      if (numCtx) info.ollama.numCtxParameter = Number(numCtx);
      info.ollama.quantization ??= str(pick(showJson, 'details', 'quantization_level'));
      info.ollama.parameterSize ??= str(pick(showJson, 'details', 'parameter_size'));
      const caps = pick(showJson, 'capabilities');
      if (Array.isArray(caps))
        info.ollama.capabilities = caps.filter((c): c is string => typeof c === 'string');
    }
  }
  return info;
}

export const KIND_LABEL: Record<UpstreamKindFound, string> = {
  'llama.cpp': 'llama.cpp llama-server',
  vllm: 'vLLM',
  ollama: 'Ollama',
  sglang: 'SGLang',
  'deepseek-api': 'DeepSeek API',
  openai: 'OpenAI-compatible server',
  unknown: 'unknown server',
};

export function describeUpstream(info: UpstreamInfo): string {
  return `${KIND_LABEL[info.kind]}${info.version ? ` ${info.version}` : ''}`;
}

/** The body of a minimal chat request. */
export function chatBody(info: UpstreamInfo, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model: info.model ?? 'default',
    messages: [{ role: 'user', content: 'Reply with the single word: ok' }],
    max_tokens: 16,
    temperature: 0,
    stream: false,
    ...extra,
  });
}

export { parseJson };
