// llama.cpp `llama-server`: `GET /props`, `GET /v1/models` (recorded from llama-server b10587:
// test/fixtures/llama-server/02_props.body, 03_v1_models.body), and what they say about the context;
// how it counts tokens, how `dsb launch` starts it, and doctor's advice for it.
import { isRecord } from '../util/is-record.js';
import { positiveInt, str } from './json.js';
import { CHAT_TEMPLATE_PROFILE, type LocalUpstreamKindModule, localUrl } from './module.js';
import { type ListedModel, parseModelList } from './openai.js';
import { healthServer, type ServerInput, type ServerLaunch } from './server-launch.js';
import type { Discovered, DiscoveryIo } from './types.js';

export interface LlamaPropsFacts {
  /** `default_generation_settings.n_ctx`: the context of one slot, i.e. of one request. */
  contextSize?: number;
  slots?: number;
  model?: string;
  quantization?: string;
  build?: string;
}

/** llama.cpp `GET /props`; undefined when the body is not llama-server's. */
export function parseLlamaProps(json: unknown): LlamaPropsFacts | undefined {
  if (!isRecord(json)) return undefined;
  const settings = json.default_generation_settings;
  if (!isRecord(settings) && json.total_slots === undefined && typeof json.build_info !== 'string')
    return undefined;
  return {
    contextSize: positiveInt(isRecord(settings) ? settings.n_ctx : undefined),
    slots: positiveInt(json.total_slots),
    model: str(json.model_alias) ?? str(json.model_path),
    quantization: str(json.model_ftype),
    build: str(json.build_info),
  };
}

export interface LlamaPropsDetail extends LlamaPropsFacts {
  /** `model_path` as given to `-m` (`model` prefers the `--alias`). */
  modelPath?: string;
  /** `chat_template_caps.supports_tool_calls`: whether the chat template renders tools. */
  supportsTools?: boolean;
}

/** `parseLlamaProps` plus what only diagnostics (doctor, init, launch) need. */
export function parseLlamaPropsDetail(json: unknown): LlamaPropsDetail | undefined {
  const facts = parseLlamaProps(json);
  if (!facts || !isRecord(json)) return undefined;
  const caps = isRecord(json.chat_template_caps) ? json.chat_template_caps : {};
  return {
    ...facts,
    modelPath: str(json.model_path),
    supportsTools: typeof caps.supports_tool_calls === 'boolean' ? caps.supports_tool_calls : undefined,
  };
}

export interface LlamaModelsFacts {
  model: string;
  /** `meta.n_ctx`: the server's whole context (all slots together in older builds). */
  contextSize?: number;
  trainContext?: number;
  quantization?: string;
}

const llamaModelEntry = (json: unknown): ListedModel | undefined =>
  parseModelList(json).find((m) => m.ownedBy === 'llamacpp' || m.meta !== undefined);

/** llama.cpp `GET /v1/models` (`owned_by: "llamacpp"`, `meta`); undefined otherwise. */
export function parseLlamaModels(json: unknown): LlamaModelsFacts | undefined {
  const entry = llamaModelEntry(json);
  if (!entry) return undefined;
  return {
    model: entry.id,
    contextSize: positiveInt(entry.meta?.n_ctx),
    trainContext: positiveInt(entry.meta?.n_ctx_train),
    quantization: str(entry.meta?.ftype),
  };
}

export interface LlamaModelsDetail extends LlamaModelsFacts {
  /** `meta.n_params`: the model's parameter count. */
  params?: number;
  /** `meta.size`: the model's tensor bytes. */
  sizeBytes?: number;
}

/** `parseLlamaModels` plus what only diagnostics need (model size and parameter count). */
export function parseLlamaModelsDetail(json: unknown): LlamaModelsDetail | undefined {
  const facts = parseLlamaModels(json);
  const meta = llamaModelEntry(json)?.meta;
  if (!facts) return undefined;
  return { ...facts, params: positiveInt(meta?.n_params), sizeBytes: positiveInt(meta?.size) };
}

export async function discoverLlamaCpp({ get }: DiscoveryIo): Promise<Discovered> {
  const [propsJson, modelsJson] = await Promise.all([get('/props'), get('/v1/models')]);
  const props = parseLlamaProps(propsJson);
  const models = parseLlamaModels(modelsJson);
  let contextSize = props?.contextSize;
  let contextSource = 'llama.cpp /props n_ctx (per slot)';
  if (contextSize === undefined && models?.contextSize !== undefined) {
    contextSize = models.contextSize;
    contextSource = 'llama.cpp /v1/models meta.n_ctx';
  }
  return {
    facts: {
      kind: 'llama.cpp',
      contextSize,
      contextSource: contextSize === undefined ? 'unknown' : contextSource,
      model: models?.model ?? props?.model,
      slots: props?.slots,
      trainContext: models?.trainContext,
      quantization: models?.quantization ?? props?.quantization,
    },
    complete: contextSize !== undefined,
  };
}

function llamaCppLaunch({ profile }: ServerInput): ServerLaunch {
  const { model, ctxSize, gpus, host, port } = profile;
  const args = [
    '-m',
    model,
    '-c',
    String(ctxSize),
    // One slot: every request gets the whole context (more slots split or share it).
    '-np',
    '1',
    '--host',
    host,
    '--port',
    String(port),
    '-ngl',
    gpus > 0 ? '999' : '0',
    '--jinja',
    '--reasoning-format',
    'deepseek',
  ];
  return healthServer({ description: 'llama-server', program: profile.bin ?? 'llama-server', args }, model);
}

export const llamaCpp: LocalUpstreamKindModule<'llama.cpp'> = {
  kind: 'llama.cpp',
  title: 'llama.cpp (llama-server)',
  label: 'llama.cpp llama-server',
  modelQuestion: 'Path to the GGUF file',
  defaultPort: 8080,
  defaultUrl: localUrl(8080),
  model: {
    file: true,
    flag: '--model-file',
    noun: 'the GGUF file',
    initNoun: 'the GGUF file',
    placeholder: '<path/to/model.gguf>',
    doctorPlaceholder: 'MODEL.gguf',
  },
  usesGpus: true,
  profileDefaults: CHAT_TEMPLATE_PROFILE,
  discover: discoverLlamaCpp,
  tokenCounting: ['llama-input-tokens', 'llama-template'],
  launch: llamaCppLaunch,
  smallWindow: ({ size, slots, advised, launch }) =>
    slots !== undefined && slots > 1
      ? {
          cause: `llama-server's -np ${slots} (--parallel) splits -c ${size * slots} into ${slots} slots of ${size} tokens`,
          fix: `${launch} (one slot), or restart llama-server with -c ${advised * slots} to keep ${slots} slots`,
        }
      : { cause: `llama-server runs with -c ${size}`, fix: launch },
  doctor: {
    contextFix: (recommended, slots) =>
      slots > 1
        ? `restart llama-server with -np 1 (or -c ${recommended * slots} to keep ${slots} slots): -c is split between the ${slots} slots`
        : `restart llama-server with -c ${recommended} (a context Claude Code can work in)`,
    toolsFix: {
      description:
        "restart llama-server with --jinja (tool calls are parsed from the model's chat template; needs a current build)",
    },
    checkAutoToolChoice: false,
    pythonServer: false,
    relaunchModel: 'file',
  },
};
