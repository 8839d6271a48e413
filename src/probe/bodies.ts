// Reading the JSON bodies the bridge and the upstream answer: error messages, GET /health, and the
// context size an upstream reports. Pure and defensive: any shape in, a plain value or undefined out.
import { isRecord } from '../util/is-record.js';

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The message of an Anthropic (or OpenAI) error body, else the start of the raw text. */
export function errorMessageOf(json: unknown, text: string): string {
  if (isRecord(json) && isRecord(json.error) && typeof json.error.message === 'string')
    return json.error.message;
  const t = text.trim();
  return t.length > 200 ? `${t.slice(0, 197)}...` : t || '(empty body)';
}

export interface HealthInfo {
  status?: number;
  body?: unknown;
  error?: string;
  upstreamUrl?: string;
  upstreamModel?: string;
  /** `upstreams[0].contextSize` of /health: the upstream's per-request context, in tokens. */
  contextSize?: number;
  /** Upstreams whose state the body reports as bad. */
  unhealthy: string[];
}

const BAD_STATES = ['down', 'unreachable', 'error', 'unhealthy'];

/**
 * Reads what the probe needs from the bridge's GET /health body, defensively: `upstreams[0].url`,
 * `.model`, `.contextSize` (else `upstream.*`), and a state from `ok`/`healthy`/`reachable` (false) or
 * `state`/`status` (down, unreachable, error, unhealthy).
 */
export function readHealthBody(body: unknown): Omit<HealthInfo, 'status' | 'body' | 'error'> {
  const info: Omit<HealthInfo, 'status' | 'body' | 'error'> = { unhealthy: [] };
  if (!isRecord(body)) return info;
  const list: unknown[] = Array.isArray(body.upstreams)
    ? body.upstreams
    : isRecord(body.upstream)
      ? [body.upstream]
      : [];
  const first = list[0];
  if (isRecord(first)) {
    if (typeof first.url === 'string') info.upstreamUrl = first.url;
    if (typeof first.model === 'string') info.upstreamModel = first.model;
    if (typeof first.contextSize === 'number' && first.contextSize > 0) info.contextSize = first.contextSize;
  } else if (typeof body.upstream === 'string') {
    info.upstreamUrl = body.upstream;
  }
  for (const u of list) {
    if (!isRecord(u)) continue;
    const state = String(u.state ?? u.status ?? '').toLowerCase();
    if (u.ok === false || u.healthy === false || u.reachable === false || BAD_STATES.includes(state)) {
      info.unhealthy.push(String(u.name ?? u.url ?? '?'));
    }
  }
  return info;
}

/** llama.cpp GET /props: `default_generation_settings.n_ctx`, when positive. */
export function contextFromProps(props: unknown): number | undefined {
  const settings = isRecord(props) ? props.default_generation_settings : undefined;
  return isRecord(settings) && typeof settings.n_ctx === 'number' && settings.n_ctx > 0
    ? settings.n_ctx
    : undefined;
}

/** GET /v1/models: llama.cpp's `data[0].meta.n_ctx`, else vLLM's `data[0].max_model_len`, when positive. */
export function contextFromModels(models: unknown): number | undefined {
  const first = isRecord(models) && Array.isArray(models.data) ? models.data[0] : undefined;
  if (!isRecord(first)) return undefined;
  const n = isRecord(first.meta) ? first.meta.n_ctx : first.max_model_len;
  return typeof n === 'number' && n > 0 ? n : undefined;
}

/** GET /v1/models: the id of the first model listed. */
export function firstModelId(models: unknown): string | undefined {
  const first = isRecord(models) && Array.isArray(models.data) ? models.data[0] : undefined;
  return isRecord(first) && typeof first.id === 'string' ? first.id : undefined;
}

/** `${base}/v1/chat/completions`, accepting a base that already ends in /v1. */
export function chatCompletionsUrl(base: string): string {
  const b = base.replace(/\/+$/, '');
  return /\/v1$/.test(b) ? `${b}/chat/completions` : `${b}/v1/chat/completions`;
}

/** `${base}/v1/models`, accepting a base that already ends in /v1. */
export function modelsUrl(base: string): string {
  const b = base.replace(/\/+$/, '');
  return /\/v1$/.test(b) ? `${b}/models` : `${b}/v1/models`;
}
