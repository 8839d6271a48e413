// What discovery learns about an upstream, whatever its kind (design.md §4.5), and what each kind's
// discovery gets to ask the server with.
import type { UpstreamKind } from './kind.js';

export interface UpstreamFacts {
  kind: UpstreamKind;
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

/** One kind's discovery result. */
export interface Discovered {
  facts: Omit<UpstreamFacts, 'discoveredAt'>;
  /** False when looking again later may tell more. */
  complete: boolean;
}

/**
 * Time-boxed reads of the server, shared by one discovery (each endpoint is read at most once);
 * undefined for no answer, an error status or a body that is not JSON.
 */
export interface DiscoveryIo {
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}
