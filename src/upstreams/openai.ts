// A generic OpenAI-compatible server: `GET /v1/models` (which every kind also serves, so its parser
// is shared), a `{"version": "…"}` body, and discovery when nothing better is known.
import { isRecord } from '../util/is-record.js';
import { positiveInt, str } from './json.js';
import { CHAT_TEMPLATE_PROFILE, type UpstreamKindModule } from './module.js';
import type { Discovered, DiscoveryIo } from './types.js';

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
export function pickModel(models: ListedModel[], wanted: string | undefined): ListedModel | undefined {
  if (wanted) {
    const hit = models.find((m) => m.id === wanted || m.root === wanted);
    if (hit) return hit;
  }
  return models.find((m) => m.parent === undefined) ?? models[0];
}

export interface ServedModelFacts {
  model: string;
  contextSize?: number;
}

/** A `{"version": "…"}` body (vLLM `GET /version`, Ollama `GET /api/version`) → the version string. */
export function parseServerVersion(json: unknown): string | undefined {
  return isRecord(json) ? str(json.version) : undefined;
}

export async function discoverOpenai({ get }: DiscoveryIo, wanted: string | undefined): Promise<Discovered> {
  const models = parseModelList(await get('/v1/models'));
  const entry = pickModel(models, wanted);
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

export const openai: UpstreamKindModule<'openai'> = {
  kind: 'openai',
  title: 'other OpenAI-compatible server',
  label: 'OpenAI-compatible server',
  modelQuestion: 'Model id (empty: the first one the server lists)',
  defaultUrl: () => undefined,
  apiKey: {},
  // Whether it takes DeepSeek's chat-template switch is unknown: the model decides.
  profileDefaults: { ...CHAT_TEMPLATE_PROFILE, thinkingStyle: 'none' },
  discover: discoverOpenai,
  tokenCounting: [],
};
