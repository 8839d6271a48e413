// Which kind of server an upstream is, from its answers to the endpoints that tell the kinds apart.

import type { UpstreamKind } from './kind.js';
import { parseLlamaProps } from './llama-cpp.js';
import { parseOllamaVersion } from './ollama.js';
import { parseModelList, parseServerVersion } from './openai.js';
import { parseSglangModelInfo } from './sglang.js';

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
  kind: UpstreamKind;
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
