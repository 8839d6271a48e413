// Discovers what serves the upstream URL and what it reports about its model, once per doctor run
// (memoised in the CheckContext): llama.cpp `/props` + `/v1/models` meta, vLLM/SGLang `max_model_len`,
// Ollama `/api/version`, `/api/ps`, `/api/show`. All probes have short timeouts and run concurrently;
// the bodies are read by the per-kind parsers the bridge's discovery uses too (src/upstreams/), the
// calls go through the SystemContext (ctx.system.http) so the checks run against fakes.
import type { HttpRequestOptions } from '../system/context.js';
import { UPSTREAMS } from '../upstreams/index.js';
import type { UpstreamKind } from '../upstreams/kind.js';
import { parseLlamaModelsDetail, parseLlamaPropsDetail } from '../upstreams/llama-cpp.js';
import {
  parseOllamaLoadedDetail,
  parseOllamaPsDetail,
  parseOllamaShow,
  parseOllamaVersion,
} from '../upstreams/ollama.js';
import { parseModelList, parseServerVersion } from '../upstreams/openai.js';
import { type RecognizedKind, recognizeUpstreamKind } from '../upstreams/recognize.js';
import type { CheckContext } from './types.js';
import { type HttpAttempt, jsonOf, tryHttp, urlParts } from './util.js';

export type UpstreamKindFound = UpstreamKind | 'unknown';

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
    trainedContext?: number;
    numCtxParameter?: number;
    quantization?: string;
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
  const listed = parseModelList(modelsJson);
  info.models = listed.map((m) => m.id).filter((id) => id !== '');
  const configured = ctx.config.upstreams[0];
  info.model = configured?.model ?? info.models[0];
  const propsJson = jsonOf(props);
  const versionJson = jsonOf(version);

  // Recognise the server: the DeepSeek API by its host, then what only one kind of server answers.
  const recognized: RecognizedKind | undefined = /(^|\.)deepseek\.com$/i.test(host)
    ? { kind: 'deepseek-api', evidence: `host ${host}` }
    : recognizeUpstreamKind({
        props: propsJson,
        models: modelsJson,
        llamaServerHeader: [props, health, models].some(
          (a) => a.ok && /llama\.cpp/i.test(a.response.headers.server ?? ''),
        ),
        ollamaVersion: jsonOf(ollamaVersion),
        sglangModelInfo: jsonOf(sglangInfo),
        serverVersion: versionJson,
      });
  if (recognized) {
    info.kind = recognized.kind;
    info.kindEvidence = recognized.evidence;
  } else if (info.models.length > 0) {
    info.kind = 'openai';
    info.kindEvidence = 'GET /v1/models';
  } else if (configured && configured.kind !== 'auto') info.kind = configured.kind;

  if (info.kind === 'ollama') info.version = parseOllamaVersion(jsonOf(ollamaVersion));

  if (info.kind === 'vllm' || info.kind === 'sglang') {
    info.maxModelLen = listed[0]?.maxModelLen;
    info.version = parseServerVersion(versionJson);
  }

  if (info.kind === 'llama.cpp') {
    const server = parseLlamaPropsDetail(propsJson);
    const served = parseLlamaModelsDetail(modelsJson);
    info.version = server?.build?.split('-')[0];
    info.llama = {
      nCtx: server?.contextSize ?? served?.contextSize,
      nCtxTrain: served?.trainContext,
      totalSlots: server?.slots,
      ftype: server?.quantization ?? served?.quantization,
      modelPath: server?.modelPath,
      nParams: served?.params,
      sizeBytes: served?.sizeBytes,
      supportsTools: server?.supportsTools,
      buildInfo: server?.build,
    };
  }

  if (info.kind === 'ollama') {
    const ps = jsonOf(await upstreamRequest(ctx, '/api/ps'));
    // The model chat requests will use, else the first loaded one.
    const loaded = parseOllamaPsDetail(ps, info.model) ?? parseOllamaLoadedDetail(ps)[0];
    const name = loaded?.model ?? info.model;
    if (!info.model && name) info.model = name;
    info.ollama = {
      loaded: Boolean(loaded),
      loadedContext: loaded?.contextSize,
      sizeBytes: loaded?.sizeBytes,
      quantization: loaded?.quantization,
    };
    if (name) {
      const show = await upstreamRequest(ctx, '/api/show', {
        method: 'POST',
        body: JSON.stringify({ model: name }),
      });
      const facts = parseOllamaShow(jsonOf(show));
      info.ollama.trainedContext = facts?.trainContext;
      info.ollama.numCtxParameter = facts?.numCtx;
      info.ollama.quantization ??= facts?.quantization;
    }
  }
  return info;
}

/** How doctor names a kind of server. */
export function kindLabel(kind: UpstreamKindFound): string {
  return kind === 'unknown' ? 'unknown server' : UPSTREAMS[kind].label;
}

export function describeUpstream(info: UpstreamInfo): string {
  return `${kindLabel(info.kind)}${info.version ? ` ${info.version}` : ''}`;
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
