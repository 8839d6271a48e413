// Ollama: `GET /api/ps` (`models[].context_length`: the context the loaded runner was given),
// `POST /api/show` (`model_info["<arch>.context_length"]`, the `parameters` text with a Modelfile
// `num_ctx`, `details.quantization_level`), `GET /api/version`: Ollama's docs/api.md and
// docs.ollama.com/api/ps. Ollama's effective num_ctx is a Modelfile `num_ctx`, else the server's
// default (OLLAMA_CONTEXT_LENGTH, else a small VRAM-dependent default): the server default cannot
// be read remotely until the model is loaded, so it is left unknown then and looked up again.
// Also how `dsb launch` starts it (a copy of the model with num_ctx set), and doctor's advice.
import { renderTemplate } from '../shell/template.js';
import { hostForUrl } from '../util/host-for-url.js';
import { isRecord } from '../util/is-record.js';
import { positiveInt, str } from './json.js';
import { CHAT_TEMPLATE_PROFILE, type LocalUpstreamKindModule, localUrl } from './module.js';
import { parseModelList, parseServerVersion } from './openai.js';
import type { ServerInput, ServerLaunch } from './server-launch.js';
import type { Discovered, DiscoveryIo } from './types.js';

/** Ollama `GET /api/version` → the version string. */
export function parseOllamaVersion(json: unknown): string | undefined {
  return parseServerVersion(json);
}

/** Ollama names default to the `latest` tag: `deepseek-r1` is `deepseek-r1:latest`. */
export function normalizeOllamaName(name: string): string {
  const lower = name.trim().toLowerCase();
  const lastSegment = lower.slice(lower.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? lower : `${lower}:latest`;
}

export interface OllamaLoadedModel {
  model: string;
  /** The context the loaded runner was started with: what one request may hold. */
  contextSize?: number;
  quantization?: string;
}

export interface OllamaLoadedDetail extends OllamaLoadedModel {
  /** `size`: bytes the loaded model takes (weights and KV cache). */
  sizeBytes?: number;
}

function ollamaLoadedEntry(entry: unknown): OllamaLoadedDetail | undefined {
  if (!isRecord(entry)) return undefined;
  const model = str(entry.model) ?? str(entry.name);
  if (!model) return undefined;
  const details = isRecord(entry.details) ? entry.details : {};
  return {
    model,
    contextSize: positiveInt(entry.context_length),
    quantization: str(details.quantization_level),
    sizeBytes: positiveInt(entry.size),
  };
}

const loadedModel = ({ model, contextSize, quantization }: OllamaLoadedDetail): OllamaLoadedModel => ({
  model,
  contextSize,
  quantization,
});

/** The loaded models of Ollama `GET /api/ps`, with their sizes. */
export function parseOllamaLoadedDetail(json: unknown): OllamaLoadedDetail[] {
  if (!isRecord(json) || !Array.isArray(json.models)) return [];
  return json.models.map(ollamaLoadedEntry).filter((m): m is OllamaLoadedDetail => m !== undefined);
}

/** The loaded models of Ollama `GET /api/ps`. */
export function parseOllamaLoaded(json: unknown): OllamaLoadedModel[] {
  return parseOllamaLoadedDetail(json).map(loadedModel);
}

/** `parseOllamaPs` with the loaded model's size. */
export function parseOllamaPsDetail(json: unknown, wanted?: string): OllamaLoadedDetail | undefined {
  if (!wanted) {
    const loaded = parseOllamaLoadedDetail(json);
    return loaded.length === 1 ? loaded[0] : undefined;
  }
  const target = normalizeOllamaName(wanted);
  if (isRecord(json) && Array.isArray(json.models)) {
    // Match on `name` as well as `model` (they differ for some pulled-by-digest models).
    const entry = json.models.find(
      (e) =>
        isRecord(e) &&
        ((typeof e.name === 'string' && normalizeOllamaName(e.name) === target) ||
          (typeof e.model === 'string' && normalizeOllamaName(e.model) === target)),
    );
    return ollamaLoadedEntry(entry);
  }
  return undefined;
}

/**
 * The loaded model `wanted` in Ollama `GET /api/ps` (names compared with the default `latest` tag),
 * or the only loaded model when none is wanted; undefined when it is not loaded.
 */
export function parseOllamaPs(json: unknown, wanted?: string): OllamaLoadedModel | undefined {
  const running = parseOllamaPsDetail(json, wanted);
  return running && loadedModel(running);
}

export interface OllamaShowFacts {
  architecture?: string;
  /** `model_info["<arch>.context_length"]`: the context the model was trained for. */
  trainContext?: number;
  /** A `num_ctx` in the model's parameters (Modelfile `PARAMETER num_ctx`): overrides the server default. */
  numCtx?: number;
  quantization?: string;
}

/** Ollama `POST /api/show {model}`. */
export function parseOllamaShow(json: unknown): OllamaShowFacts | undefined {
  if (!isRecord(json)) return undefined;
  const info = isRecord(json.model_info) ? json.model_info : undefined;
  const details = isRecord(json.details) ? json.details : undefined;
  if (!info && !details && typeof json.parameters !== 'string') return undefined;
  const architecture = str(info?.['general.architecture']);
  let trainContext = architecture ? positiveInt(info?.[`${architecture}.context_length`]) : undefined;
  if (trainContext === undefined && info) {
    const key = Object.keys(info).find((k) => k.endsWith('.context_length'));
    trainContext = key ? positiveInt(info[key]) : undefined;
  }
  const match = typeof json.parameters === 'string' ? /^\s*num_ctx\s+(\d+)\s*$/m.exec(json.parameters) : null;
  return {
    architecture,
    trainContext,
    numCtx: match ? positiveInt(Number(match[1])) : undefined,
    quantization: str(details?.quantization_level),
  };
}

export async function discoverOllama(
  { get, post }: DiscoveryIo,
  configured: string | undefined,
): Promise<Discovered> {
  const [psJson, modelsJson] = await Promise.all([get('/api/ps'), get('/v1/models')]);
  const loaded = parseOllamaLoaded(psJson);
  // The model the bridge will send: configured, else the only loaded one, else the first listed
  // (what Upstream.model() picks).
  const wanted =
    configured ?? (loaded.length === 1 ? loaded[0]!.model : undefined) ?? parseModelList(modelsJson)[0]?.id;
  const running = parseOllamaPs(psJson, wanted);
  if (running?.contextSize !== undefined) {
    // /api/show still tells the trained context; optional, so only when time is left.
    const show = parseOllamaShow(await post('/api/show', { model: running.model }));
    return {
      facts: {
        kind: 'ollama',
        contextSize: running.contextSize,
        contextSource: 'Ollama /api/ps context_length (loaded model)',
        model: running.model,
        trainContext: show?.trainContext,
        quantization: running.quantization ?? show?.quantization,
      },
      complete: true,
    };
  }
  const show = wanted ? parseOllamaShow(await post('/api/show', { model: wanted })) : undefined;
  let contextSize: number | undefined;
  let contextSource =
    'unknown: model not loaded and no Modelfile num_ctx (server default, OLLAMA_CONTEXT_LENGTH)';
  if (show?.numCtx !== undefined) {
    contextSize = show.trainContext !== undefined ? Math.min(show.numCtx, show.trainContext) : show.numCtx;
    contextSource = 'Ollama /api/show num_ctx (Modelfile)';
  }
  return {
    facts: {
      kind: 'ollama',
      contextSize,
      contextSource,
      model: wanted,
      trainContext: show?.trainContext,
      quantization: show?.quantization,
    },
    // Once the model is loaded, /api/ps says what the runner really got: look again then.
    complete: false,
  };
}

/** The name of the Ollama model dsb creates from `model` with `num_ctx` set. */
export function ollamaModelName(model: string): string {
  const base = model
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${base || 'model'}-dsb`;
}

function ollamaLaunch({ profile, templates }: ServerInput): ServerLaunch {
  const { model, ctxSize, host, port } = profile;
  const served = ollamaModelName(model);
  const modelfilePath = profile.modelfilePath ?? 'Modelfile';
  const ollamaHost = `${hostForUrl(host)}:${port}`;
  const modelfile = renderTemplate(templates.modelfile, { model, ctxSize: String(ctxSize) });
  const program = profile.bin ?? 'ollama';
  return {
    server: {
      description: 'Ollama server',
      // OLLAMA_CONTEXT_LENGTH sets the server-wide default; the Modelfile pins num_ctx for the model.
      env: { OLLAMA_HOST: ollamaHost, OLLAMA_CONTEXT_LENGTH: String(ctxSize) },
      program,
      args: ['serve'],
    },
    afterReady: [
      {
        description: `create ${served} from ${model} with num_ctx ${ctxSize}`,
        env: { OLLAMA_HOST: ollamaHost },
        program,
        args: ['create', served, '-f', modelfilePath],
      },
    ],
    files: [{ path: modelfilePath, content: modelfile, description: `Modelfile for ${served}` }],
    readinessPath: '/api/version',
    servedModel: served,
  };
}

export const ollama: LocalUpstreamKindModule<'ollama'> = {
  kind: 'ollama',
  title: 'Ollama',
  label: 'Ollama',
  modelQuestion: 'Ollama model tag (dsb creates a copy with the right context)',
  defaultPort: 11434,
  defaultUrl: localUrl(11434),
  model: {
    file: false,
    flag: '--model',
    noun: 'the model tag',
    initNoun: 'the Ollama model tag',
    placeholder: '<ollama-model-tag>',
    doctorPlaceholder: 'MODEL',
  },
  usesGpus: false,
  // Ollama does not take DeepSeek's chat-template switch; the model decides.
  profileDefaults: { ...CHAT_TEMPLATE_PROFILE, thinkingStyle: 'none' },
  discover: discoverOllama,
  tokenCounting: [],
  launch: ollamaLaunch,
  // Ollama does not fail on a prompt longer than num_ctx: it drops the start of the conversation.
  silentTruncation: ({ theirs, ours, how, context, size }) =>
    `Ollama truncated the prompt: it processed ${theirs} tokens but the request has ${ours} (${how}). ` +
    `Its context (num_ctx, ${context}) is too small, and Ollama silently drops the start of the ` +
    `conversation instead of failing. Raise it: start the server with OLLAMA_CONTEXT_LENGTH=${size} ` +
    `(e.g. \`OLLAMA_CONTEXT_LENGTH=${size} ollama serve\`) or add \`PARAMETER num_ctx ${size}\` to the ` +
    "model's Modelfile and run `ollama create`; then set CLAUDE_CODE_MAX_CONTEXT_TOKENS to match.",
  smallWindow: ({ size, launch }) => ({
    cause: `Ollama's num_ctx is ${size} (OLLAMA_CONTEXT_LENGTH, or PARAMETER num_ctx in the Modelfile; Ollama truncates silently)`,
    fix: launch,
  }),
  doctor: {
    contextFix: (recommended) =>
      `restart Ollama with OLLAMA_CONTEXT_LENGTH=${recommended} (or put PARAMETER num_ctx ${recommended} in the model's Modelfile); Ollama truncates silently instead of failing`,
    toolsFix: {
      description:
        'use an Ollama model whose template supports tools (`ollama show MODEL` lists "tools" under Capabilities)',
      commands: ['ollama show MODEL'],
    },
    checkAutoToolChoice: false,
    pythonServer: false,
    relaunchModel: 'none',
  },
};
