// The registry of server kinds: one module per kind (src/upstreams/<kind>.ts), looked up by name.
// The bridge (discovery, token counting, profile defaults), doctor, `dsb launch` and `dsb init` ask
// it instead of switching on kind names.
import { deepseekApi } from './deepseek-api.js';
import type { LocalUpstreamKind, UpstreamKind } from './kind.js';
import { llamaCpp } from './llama-cpp.js';
import type { LocalUpstreamKindModule, UpstreamKindModule } from './module.js';
import { ollama } from './ollama.js';
import { openai } from './openai.js';
import { sglang } from './sglang.js';
import { vllm } from './vllm.js';

/** The kinds `dsb launch` can start. */
export const LOCAL_UPSTREAMS: { readonly [K in LocalUpstreamKind]: LocalUpstreamKindModule<K> } = {
  'llama.cpp': llamaCpp,
  vllm,
  ollama,
  sglang,
};

export const UPSTREAMS: { readonly [K in UpstreamKind]: UpstreamKindModule<K> } = {
  ...LOCAL_UPSTREAMS,
  'deepseek-api': deepseekApi,
  openai,
};

/** The local kind whose default port this is, if any. */
export function localKindByDefaultPort(port: number | undefined): LocalUpstreamKind | undefined {
  return Object.values(LOCAL_UPSTREAMS).find((m) => m.defaultPort === port)?.kind;
}
