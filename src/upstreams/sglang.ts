// SGLang: `GET /v1/models` (`ModelCard` in sglang/srt/entrypoints/openai/protocol.py: `owned_by:
// "sglang"`, `max_model_len` = the model config's context_len); `GET /get_model_info` (`model_path`,
// `tokenizer_path`, `is_generation`, …: no context there) and `GET /get_server_info` (the server
// args, among them `context_length`, plus the scheduler's `max_total_num_tokens` and
// `max_req_input_len` = min(context_len − 1, max_total_num_tokens − 1)) in
// sglang/srt/entrypoints/http_server.py and the scheduler. Also its parsers per DeepSeek generation,
// how `dsb launch` starts it, and doctor's advice for it.
import { isRecord } from '../util/is-record.js';
import { positiveInt, str } from './json.js';
import type { DeepSeekFamily, Parsers } from './model-family.js';
import { CHAT_TEMPLATE_PROFILE, type LocalUpstreamKindModule, localUrl } from './module.js';
import { parseModelList, pickModel, type ServedModelFacts } from './openai.js';
import { healthServer, pickParsers, type ServerInput, type ServerLaunch } from './server-launch.js';
import type { Discovered, DiscoveryIo } from './types.js';

/** SGLang `GET /v1/models` (`owned_by: "sglang"`, `max_model_len`); undefined otherwise. */
export function parseSglangModels(json: unknown, wanted?: string): ServedModelFacts | undefined {
  const entry = pickModel(
    parseModelList(json).filter((m) => m.ownedBy === 'sglang'),
    wanted,
  );
  return entry ? { model: entry.id, contextSize: entry.maxModelLen } : undefined;
}

/** SGLang `GET /get_model_info` (`model_path`); undefined otherwise. */
export function parseSglangModelInfo(json: unknown): { model: string } | undefined {
  if (!isRecord(json)) return undefined;
  const model = str(json.model_path);
  return model ? { model } : undefined;
}

export interface SglangServerInfo {
  /** `--context-length` as started (null in the body when the model's default is used). */
  contextLength?: number;
  /** Tokens the KV cache pool holds for all requests together. */
  maxTotalTokens?: number;
  /** Longest prompt one request may have: min(context_len − 1, max_total_num_tokens − 1). */
  maxReqInputLen?: number;
  version?: string;
}

/** SGLang `GET /get_server_info`. */
export function parseSglangServerInfo(json: unknown): SglangServerInfo | undefined {
  if (!isRecord(json)) return undefined;
  const info: SglangServerInfo = {
    contextLength: positiveInt(json.context_length),
    maxTotalTokens: positiveInt(json.max_total_num_tokens),
    maxReqInputLen: positiveInt(json.max_req_input_len),
    version: str(json.version),
  };
  return Object.values(info).some((v) => v !== undefined) ? info : undefined;
}

export async function discoverSglang({ get }: DiscoveryIo, wanted: string | undefined): Promise<Discovered> {
  const [modelsJson, infoJson] = await Promise.all([get('/v1/models'), get('/get_server_info')]);
  const served = parseSglangModels(modelsJson, wanted);
  const info = parseSglangServerInfo(infoJson);
  let contextSize = served?.contextSize;
  let contextSource = 'SGLang /v1/models max_model_len';
  if (contextSize === undefined && info?.contextLength !== undefined) {
    contextSize = info.contextLength;
    contextSource = 'SGLang /get_server_info context_length';
  }
  // A request's prompt must also fit the KV cache pool (max_req_input_len); with a small pool
  // that is less than the model's context.
  const poolLimit = info?.maxReqInputLen !== undefined ? info.maxReqInputLen + 1 : undefined;
  if (poolLimit !== undefined && (contextSize === undefined || poolLimit < contextSize)) {
    contextSize = poolLimit;
    contextSource = 'SGLang /get_server_info max_req_input_len + 1 (KV cache pool)';
  }
  const model =
    served?.model ?? parseSglangModelInfo(served ? undefined : await get('/get_model_info'))?.model;
  return {
    facts: {
      kind: 'sglang',
      contextSize,
      contextSource: contextSize === undefined ? 'unknown' : contextSource,
      model,
    },
    complete: contextSize !== undefined,
  };
}

/** SGLang `--tool-call-parser` / `--reasoning-parser` per family. */
const SGLANG_PARSERS: Record<DeepSeekFamily, Parsers> = {
  'v3.2': { toolCallParser: 'deepseekv32', reasoningParser: 'deepseek-v3' },
  'v3.1': { toolCallParser: 'deepseekv31', reasoningParser: 'deepseek-v3' },
  r1: { toolCallParser: 'deepseekv3', reasoningParser: 'deepseek-r1' },
  v3: { toolCallParser: 'deepseekv3' },
  v4: { toolCallParser: 'deepseekv4', reasoningParser: 'deepseek-v4' },
  unknown: { toolCallParser: 'deepseekv4', reasoningParser: 'deepseek-v4' },
};

export function sglangParsers(family: DeepSeekFamily): Parsers {
  return { ...SGLANG_PARSERS[family] };
}

function sglangLaunch(input: ServerInput): ServerLaunch {
  const { model, ctxSize, gpus, host, port, platform } = input.profile;
  const parsers = pickParsers(input, sglangParsers(input.family));
  const args = [
    '-m',
    'sglang.launch_server',
    '--model-path',
    model,
    '--host',
    host,
    '--port',
    String(port),
    '--context-length',
    String(ctxSize),
    '--tool-call-parser',
    parsers.toolCallParser,
  ];
  if (parsers.reasoningParser) args.push('--reasoning-parser', parsers.reasoningParser);
  if (gpus > 0) args.push('--tp', String(gpus));
  const python = platform === 'win32' ? 'python' : 'python3';
  return healthServer({ description: 'SGLang server', program: input.profile.bin ?? python, args }, model);
}

export const sglang: LocalUpstreamKindModule<'sglang'> = {
  kind: 'sglang',
  title: 'SGLang',
  label: 'SGLang',
  modelQuestion: 'Model (Hugging Face id or local path)',
  defaultPort: 30000,
  defaultUrl: localUrl(30000),
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
  discover: discoverSglang,
  tokenCounting: [],
  launch: sglangLaunch,
  smallWindow: ({ size, launch }) => ({ cause: `SGLang runs with --context-length ${size}`, fix: launch }),
  doctor: {
    contextFix: (recommended) => `restart SGLang with --context-length ${recommended}`,
    toolsFix: { description: 'restart SGLang with --tool-call-parser deepseekv3 (deepseekv4 for V4 models)' },
    checkAutoToolChoice: true,
    pythonServer: true,
    relaunchModel: 'served',
  },
};
