// vLLM: `GET /v1/models` (`ModelCard` in vllm/entrypoints/openai/protocol.py: `owned_by: "vllm"`,
// `root`, `parent`, `max_model_len`), and the context it gives.
import { parseModelList, pickModel, type ServedModelFacts } from './openai.js';
import type { Discovered, DiscoveryIo } from './types.js';

/** vLLM `GET /v1/models` (`owned_by: "vllm"`, `max_model_len`); undefined otherwise. */
export function parseVllmModels(json: unknown, wanted?: string): ServedModelFacts | undefined {
  const entry = pickModel(
    parseModelList(json).filter((m) => m.ownedBy === 'vllm'),
    wanted,
  );
  return entry ? { model: entry.id, contextSize: entry.maxModelLen } : undefined;
}

export async function discoverVllm({ get }: DiscoveryIo, wanted: string | undefined): Promise<Discovered> {
  const served = parseVllmModels(await get('/v1/models'), wanted);
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
