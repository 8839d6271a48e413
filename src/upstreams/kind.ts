// The kinds of server dsb talks to (design.md §4.5, §5): one name for them everywhere. What each
// kind is and does lives in its own file (src/upstreams/<kind>.ts); the registry is index.ts.

export const UPSTREAM_KINDS = ['llama.cpp', 'vllm', 'ollama', 'sglang', 'deepseek-api', 'openai'] as const;
export type UpstreamKind = (typeof UPSTREAM_KINDS)[number];

/** The kinds that run on the user's machine and that `dsb launch` can start. */
export const LOCAL_UPSTREAM_KINDS = ['llama.cpp', 'vllm', 'ollama', 'sglang'] as const;
export type LocalUpstreamKind = (typeof LOCAL_UPSTREAM_KINDS)[number];

export function isUpstreamKind(kind: string): kind is UpstreamKind {
  return (UPSTREAM_KINDS as readonly string[]).includes(kind);
}

export function isLocalUpstreamKind(kind: string): kind is LocalUpstreamKind {
  return (LOCAL_UPSTREAM_KINDS as readonly string[]).includes(kind);
}
