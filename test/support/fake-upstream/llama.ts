// llama.cpp's `llama-server` for the fake upstream, two ways:
// - recorded: the real b10587 exchanges in test/fixtures/llama-server/ (-c 8192 -np 1 --jinja, a
//   tiny random model): the same headers, bodies, chunk shapes and error bodies;
// - a DeepSeek profile (a 671B Q4_K_M GGUF, --reasoning-format deepseek) for scripted turns, whose
//   discovery answers have the shapes of the recorded ones with a DeepSeek model's figures.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type ChatAnswer,
  type ChatRequestBody,
  type FakeUpstream,
  type Handler,
  type Reply,
  sendJson,
  startFakeUpstream,
  startSse,
} from './server.js';

const fixtures = path.join(import.meta.dirname, '../../fixtures/llama-server');
/** A recorded llama-server file, by its full name ("02_props.body"). */
export const fixture = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');
export const fixtureJson = (name: string): Record<string, unknown> => JSON.parse(fixture(name));
/** A recorded answer body, by its exchange name ("07_chat_stream_greedy"). */
export const recordedBody = (name: string): Buffer => readFileSync(path.join(fixtures, `${name}.body`));

/** The recorded stream (role chunk, content, finish, usage, [DONE]) and JSON answer. */
export const RECORDED_STREAM = recordedBody('07_chat_stream_greedy');
export const RECORDED_JSON = recordedBody('05_chat_greedy');

const LLAMA_JSON = 'application/json; charset=utf-8';

export const LLAMA_NOT_FOUND: Reply = {
  status: 404,
  body: fixture('26_unknown_route.body'),
  type: LLAMA_JSON,
};

export interface LlamaDiscoveryOptions {
  /** The per-slot context it reports (recorded: 8192). */
  nCtx?: number;
  /** The model's training context in /v1/models `meta.n_ctx_train` (recorded: 16384). */
  nCtxTrain?: number;
  /** An older build: no /props, and /v1/models without `meta` (older builds did not report n_ctx). */
  legacy?: boolean;
}

/** GET /health, /props, /v1/models and /models, as recorded (with the context sizes asked for). */
export function llamaRoutes(options: LlamaDiscoveryOptions = {}): Record<string, Handler> {
  const props = fixtureJson('02_props.body') as { default_generation_settings: { n_ctx: number } };
  const models = fixtureJson('03_v1_models.body') as { data: Array<Record<string, unknown>> };
  const meta = models.data[0]!.meta as Record<string, unknown>;
  if (options.nCtx) {
    props.default_generation_settings.n_ctx = options.nCtx;
    meta.n_ctx = options.nCtx;
  }
  if (options.nCtxTrain) meta.n_ctx_train = options.nCtxTrain;
  if (options.legacy) for (const m of models.data) delete m.meta;
  const json = (body: unknown) => () => ({ body: JSON.stringify(body), type: LLAMA_JSON });
  const routes: Record<string, Handler> = {
    'GET /health': () => ({ body: fixture('01_health.body'), type: LLAMA_JSON }),
    'GET /v1/models': json(models),
    'GET /models': json(models),
  };
  if (!options.legacy) routes['GET /props'] = json(props);
  return routes;
}

/** POST /v1/chat/completions/input_tokens (llama-server's exact prompt count) with this count. */
export function inputTokensRoute(count: (body: ChatRequestBody) => number): Record<string, Handler> {
  return {
    'POST /v1/chat/completions/input_tokens': (body) => ({
      body: JSON.stringify({ input_tokens: count(body as ChatRequestBody), object: 'response.input_tokens' }),
      type: LLAMA_JSON,
    }),
  };
}

/** About one token per three bytes of messages. */
export const estimatePromptTokens = (body: ChatRequestBody): number =>
  Math.ceil(JSON.stringify(body.messages ?? []).length / 3);

/** Prompts larger than this many bytes overflow a legacy build (it has no count to compare). */
const LEGACY_OVERFLOW_BYTES = 30_000;

export interface RecordedAnswerOptions {
  nCtx?: number;
  /** The prompt's token count; prompts of `nCtx` tokens or more get the real overflow error. */
  promptTokens?: (body: ChatRequestBody) => number;
  /** An older build: only the prompt's size tells an overflow, answered with the recorded body. */
  legacy?: boolean;
}

/**
 * The recorded answers: text (05 / 07 streamed), or a tool call when tools are forced with
 * tool_choice "required" (10 / 11 streamed); llama.cpp's context-overflow error for too long a prompt.
 */
export function recordedAnswer(options: RecordedAnswerOptions = {}): ChatAnswer {
  const nCtx = options.nCtx ?? 8192;
  const promptTokens = options.promptTokens ?? estimatePromptTokens;
  return (res, body, { request }) => {
    if (options.legacy) {
      if (request.rawBody.length > LEGACY_OVERFLOW_BYTES)
        return sendJson(res, 400, recordedBody('13_ctx_overflow'));
    } else {
      const n = promptTokens(body);
      if (n >= nCtx) {
        // The real server's wording and shape (13_ctx_overflow), with this request's numbers.
        return sendJson(res, 400, {
          error: {
            code: 400,
            message: `request (${n} tokens) exceeds the available context size (${nCtx} tokens), try increasing it`,
            type: 'exceed_context_size_error',
            n_prompt_tokens: n,
            n_ctx: nCtx,
          },
        });
      }
    }
    const tools = Array.isArray(body.tools) && body.tool_choice === 'required';
    if (body.stream !== true)
      return sendJson(res, 200, recordedBody(tools ? '10_tools_required' : '05_chat_greedy'));
    startSse(res);
    res.end(recordedBody(tools ? '11_tools_required_stream' : '07_chat_stream_greedy'));
  };
}

export interface FakeLlamaOptions extends LlamaDiscoveryOptions {
  /** The prompt's token count, for input_tokens and the overflow check (default: an estimate). */
  promptTokens?: (body: ChatRequestBody) => number;
  /** Answer input_tokens (default: yes, unless legacy; the recorded build has the route). */
  countsTokens?: boolean;
  /** The chat answer (default: the recorded answers). */
  answer?: ChatAnswer;
  /** More routes, or replacements. */
  routes?: Record<string, Handler>;
  keepAliveTimeoutMs?: number;
}

/** A llama-server answering as recorded: discovery, input_tokens, chat completions. */
export function startFakeLlama(options: FakeLlamaOptions = {}): Promise<FakeUpstream> {
  const promptTokens = options.promptTokens ?? estimatePromptTokens;
  const countsTokens = options.countsTokens ?? !options.legacy;
  return startFakeUpstream({
    routes: {
      ...llamaRoutes(options),
      ...(countsTokens ? inputTokensRoute(promptTokens) : {}),
      ...options.routes,
    },
    otherwise: LLAMA_NOT_FOUND,
    serverHeader: 'llama.cpp',
    answer: options.answer ?? recordedAnswer({ nCtx: options.nCtx, promptTokens, legacy: options.legacy }),
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
  });
}

/** A llama-server that answers only discovery and the routes the test gives (no chat, no counting). */
export function startFakeLlamaDiscovery(routes: Record<string, Handler> = {}): Promise<FakeUpstream> {
  return startFakeUpstream({
    routes: { ...llamaRoutes(), ...routes },
    otherwise: LLAMA_NOT_FOUND,
    serverHeader: 'llama.cpp',
  });
}

export const LLAMA_FINGERPRINT = 'b10587-3f545bec';

/** /v1/models of a DeepSeek GGUF served by llama-server (the recorded shape, DeepSeek's figures). */
export function deepSeekModels(model: string, nCtx: number) {
  return {
    models: [
      {
        name: model,
        model,
        modified_at: '',
        size: '',
        digest: '',
        type: 'model',
        description: '',
        tags: [''],
        capabilities: ['completion'],
        parameters: '',
        details: {
          parent_model: '',
          format: 'gguf',
          family: '',
          families: [''],
          parameter_size: '',
          quantization_level: '',
        },
      },
    ],
    object: 'list',
    data: [
      {
        id: model,
        aliases: [model],
        tags: [],
        object: 'model',
        created: Math.floor(Date.now() / 1000),
        owned_by: 'llamacpp',
        meta: {
          vocab_type: 2,
          n_vocab: 129_280,
          n_ctx: nCtx,
          n_ctx_train: 163_840,
          n_embd: 7168,
          n_params: 671_000_000_000,
          size: 404_000_000_000,
          ftype: 'Q4_K - Medium',
        },
      },
    ],
  };
}

/** /props of that server: one slot, tools in the template, `--reasoning-format deepseek`. */
export function deepSeekProps(model: string, nCtx: number) {
  return {
    default_generation_settings: {
      params: {
        temperature: 0.8,
        top_k: 40,
        top_p: 0.95,
        max_tokens: -1,
        n_predict: -1,
        stream: false,
        chat_format: 'Content-only',
        reasoning_format: 'deepseek',
        reasoning_in_content: false,
      },
      n_ctx: nCtx,
    },
    total_slots: 1,
    model_alias: model,
    model_ftype: 'Q4_K - Medium',
    model_path: model,
    modalities: { vision: false, video: false, audio: false },
    endpoint_slots: true,
    endpoint_props: false,
    endpoint_metrics: false,
    chat_template_caps: {
      supports_tool_calls: true,
      supports_tools: true,
      supports_system_role: true,
      supports_parallel_tool_calls: true,
      supports_preserve_reasoning: true,
    },
    build_info: LLAMA_FINGERPRINT,
    is_sleeping: false,
  };
}

/** Discovery routes of the DeepSeek profile. */
export function deepSeekLlamaRoutes(model: string, nCtx: number): Record<string, Handler> {
  const json = (body: () => unknown) => () => ({ body: JSON.stringify(body()), type: LLAMA_JSON });
  return {
    'GET /health': json(() => ({ status: 'ok' })),
    'GET /v1/models': json(() => deepSeekModels(model, nCtx)),
    'GET /models': json(() => deepSeekModels(model, nCtx)),
    'GET /props': json(() => deepSeekProps(model, nCtx)),
  };
}

/** llama-server's 404 for the DeepSeek profile (the shape of its JSON errors). */
export const DEEPSEEK_LLAMA_NOT_FOUND: Reply = {
  status: 404,
  body: { error: { message: 'File Not Found', type: 'not_found_error', code: 404 } },
  type: LLAMA_JSON,
};
