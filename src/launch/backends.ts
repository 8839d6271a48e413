// Facts about each backend that launch, init and the context probe share (design.md §5).
import type { Backend } from '../config/schema.js';
import { DEEPSEEK_V4_CONTEXT } from '../upstreams/deepseek-api.js';

/** Backends that run on the user's machine and that `dsb launch` can start. */
export const LOCAL_BACKENDS = ['llama.cpp', 'vllm', 'ollama', 'sglang'] as const;
export type LocalBackend = (typeof LOCAL_BACKENDS)[number];

export function isLocalBackend(backend: string): backend is LocalBackend {
  return (LOCAL_BACKENDS as readonly string[]).includes(backend);
}

/** Default ports; dsb always passes the port explicitly (llama.cpp's default changed between builds). */
export const DEFAULT_SERVER_PORTS: Record<LocalBackend, number> = {
  'llama.cpp': 8080,
  vllm: 8000,
  ollama: 11434,
  sglang: 30000,
};

export const DEEPSEEK_API_URL = 'https://api.deepseek.com';
export const DEEPSEEK_API_MODELS = ['deepseek-v4-flash', 'deepseek-v4-pro'] as const;
/** DeepSeek V4's context window (design.md §5: 1M). */
/** Per design.md §5 ("1M"), read as the smaller value; one table for bridge, doctor and init. */
export const DEEPSEEK_API_CONTEXT = DEEPSEEK_V4_CONTEXT;

/** When nothing better is known: big enough for Claude Code's 12K-20K-token first prompt and a session. */
export const FALLBACK_CONTEXT = 65_536;

export const BACKEND_TITLES: Record<Backend, string> = {
  'llama.cpp': 'llama.cpp (llama-server)',
  vllm: 'vLLM',
  ollama: 'Ollama',
  sglang: 'SGLang',
  'deepseek-api': 'DeepSeek API',
  openai: 'other OpenAI-compatible server',
};

export function defaultUpstreamUrl(backend: Backend, host = '127.0.0.1'): string | undefined {
  if (backend === 'deepseek-api') return DEEPSEEK_API_URL;
  if (isLocalBackend(backend)) return `http://${host}:${DEFAULT_SERVER_PORTS[backend]}`;
  return undefined;
}

export type DeepSeekFamily = 'v4' | 'v3.2' | 'v3.1' | 'r1' | 'v3' | 'unknown';

/** Which DeepSeek generation a model name (file, HF id or tag) belongs to: picks vLLM/SGLang parsers. */
export function deepseekFamily(model: string): DeepSeekFamily {
  const m = model.toLowerCase();
  if (/v4/.test(m)) return 'v4';
  if (/v3[._-]?2/.test(m)) return 'v3.2';
  if (/v3[._-]?1/.test(m)) return 'v3.1';
  if (/(^|[^a-z0-9])r1([^0-9]|$)/.test(m)) return 'r1';
  if (/v3/.test(m)) return 'v3';
  return 'unknown';
}

export interface Parsers {
  toolCallParser: string;
  /** Absent for models that do not reason (DeepSeek V3). */
  reasoningParser?: string;
}

/** vLLM `--tool-call-parser` / `--reasoning-parser` per family (unknown names: the current V4). */
export function vllmParsers(family: DeepSeekFamily): Parsers {
  switch (family) {
    case 'v3.2':
      return { toolCallParser: 'deepseek_v32', reasoningParser: 'deepseek_v3' };
    case 'v3.1':
      return { toolCallParser: 'deepseek_v31', reasoningParser: 'deepseek_v3' };
    case 'r1':
      return { toolCallParser: 'deepseek_v3', reasoningParser: 'deepseek_r1' };
    case 'v3':
      return { toolCallParser: 'deepseek_v3' };
    default:
      return { toolCallParser: 'deepseek_v4', reasoningParser: 'deepseek_v4' };
  }
}

/** SGLang `--tool-call-parser` / `--reasoning-parser` per family. */
export function sglangParsers(family: DeepSeekFamily): Parsers {
  switch (family) {
    case 'v3.2':
      return { toolCallParser: 'deepseekv32', reasoningParser: 'deepseek-v3' };
    case 'v3.1':
      return { toolCallParser: 'deepseekv31', reasoningParser: 'deepseek-v3' };
    case 'r1':
      return { toolCallParser: 'deepseekv3', reasoningParser: 'deepseek-r1' };
    case 'v3':
      return { toolCallParser: 'deepseekv3' };
    default:
      return { toolCallParser: 'deepseekv4', reasoningParser: 'deepseek-v4' };
  }
}
