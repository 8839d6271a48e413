// vLLM: `GET /v1/models` (`ModelCard` in vllm/entrypoints/openai/protocol.py: `owned_by: "vllm"`,
// `root`, `parent`, `max_model_len`), and the context it gives; its `/tokenize`, its parsers per
// DeepSeek generation, how `dsb launch` starts it, and doctor's advice for it.
import type { DeepSeekFamily, Parsers } from './model-family.js';
import { CHAT_TEMPLATE_PROFILE, type LocalUpstreamKindModule, localUrl } from './module.js';
import { parseModelList, pickModel, type ServedModelFacts } from './openai.js';
import { healthServer, pickParsers, type ServerInput, type ServerLaunch } from './server-launch.js';
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

/** vLLM `--tool-call-parser` / `--reasoning-parser` per family (unknown names: the current V4). */
const VLLM_PARSERS: Record<DeepSeekFamily, Parsers> = {
  'v3.2': { toolCallParser: 'deepseek_v32', reasoningParser: 'deepseek_v3' },
  'v3.1': { toolCallParser: 'deepseek_v31', reasoningParser: 'deepseek_v3' },
  r1: { toolCallParser: 'deepseek_v3', reasoningParser: 'deepseek_r1' },
  v3: { toolCallParser: 'deepseek_v3' },
  v4: { toolCallParser: 'deepseek_v4', reasoningParser: 'deepseek_v4' },
  unknown: { toolCallParser: 'deepseek_v4', reasoningParser: 'deepseek_v4' },
};

export function vllmParsers(family: DeepSeekFamily): Parsers {
  return { ...VLLM_PARSERS[family] };
}

function vllmLaunch(input: ServerInput): ServerLaunch {
  const { model, ctxSize, gpus, host, port } = input.profile;
  const parsers = pickParsers(input, vllmParsers(input.family));
  const args = [
    'serve',
    model,
    '--host',
    host,
    '--port',
    String(port),
    '--max-model-len',
    String(ctxSize),
    '--enable-auto-tool-choice',
    '--tool-call-parser',
    parsers.toolCallParser,
  ];
  if (parsers.reasoningParser) args.push('--reasoning-parser', parsers.reasoningParser);
  if (gpus > 0) args.push('--tensor-parallel-size', String(gpus));
  else input.notes.push('vLLM needs a GPU unless you installed its CPU build');
  return healthServer({ description: 'vLLM server', program: input.profile.bin ?? 'vllm', args }, model);
}

export const vllm: LocalUpstreamKindModule<'vllm'> = {
  kind: 'vllm',
  title: 'vLLM',
  label: 'vLLM',
  modelQuestion: 'Model (Hugging Face id or local path)',
  defaultPort: 8000,
  defaultUrl: localUrl(8000),
  model: {
    file: false,
    flag: '--model',
    noun: 'the model id or path',
    initNoun: 'the model id or path',
    placeholder: '<huggingface-id-or-path>',
    doctorPlaceholder: 'MODEL',
  },
  usesGpus: true,
  profileDefaults: CHAT_TEMPLATE_PROFILE,
  discover: discoverVllm,
  tokenCounting: ['vllm-tokenize'],
  launch: vllmLaunch,
  smallWindow: ({ size, launch }) => ({ cause: `vLLM runs with --max-model-len ${size}`, fix: launch }),
  doctor: {
    contextFix: (recommended) =>
      `restart vLLM with --max-model-len ${recommended} (or more, if memory allows)`,
    toolsFix: {
      description:
        'restart vLLM with --enable-auto-tool-choice and the tool parser of your model (deepseek_v3, deepseek_v31, deepseek_v32 or deepseek_v4)',
    },
    // Claude Code sends tool_choice "auto": without --enable-auto-tool-choice vLLM rejects it.
    checkAutoToolChoice: true,
    pythonServer: true,
    relaunchModel: 'served',
  },
};
