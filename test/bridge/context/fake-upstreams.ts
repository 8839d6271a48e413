// Small fake model servers on 127.0.0.1:0 for the context tests. Each answers only its own
// endpoints, and everything else the way the real server does (llama-server: its recorded 404
// JSON; vLLM / SGLang (FastAPI): {"detail":"Not Found"}; Ollama (gin): text "404 page not found").
// Every request is counted by "METHOD /path" and its JSON body kept.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Upstream } from '../../../src/bridge/upstream.js';
import { type UpstreamConfig, upstreamSchema } from '../../../src/config/schema.js';

const fixtures = path.join(import.meta.dirname, '../../fixtures/llama-server');
export const fixture = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');
export const fixtureJson = (name: string): Record<string, unknown> => JSON.parse(fixture(name));

export interface Reply {
  status?: number;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  type?: string;
  /** Never answer (the client must time out). */
  hang?: boolean;
}

export type Handler = (body: Record<string, unknown> | undefined) => Reply;

export interface FakeServer {
  url: string;
  hits: Map<string, number>;
  bodies: Map<string, Array<Record<string, unknown> | undefined>>;
  /** Replace or add a route while running ("GET /props"). */
  routes: Map<string, Handler>;
  hitCount(route: string): number;
  totalHits(): number;
  close(): Promise<void>;
}

export async function startFake(
  routes: Record<string, Handler>,
  notFound: Reply,
  serverHeader?: string,
): Promise<FakeServer> {
  const table = new Map(Object.entries(routes));
  const hits = new Map<string, number>();
  const bodies = new Map<string, Array<Record<string, unknown> | undefined>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
      hits.set(route, (hits.get(route) ?? 0) + 1);
      let json: Record<string, unknown> | undefined;
      try {
        json = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        json = undefined;
      }
      bodies.set(route, [...(bodies.get(route) ?? []), json]);
      const handler = table.get(route);
      const reply = handler ? handler(json) : notFound;
      if (reply.hang) return; // keep the socket open, never answer
      const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      const headers: Record<string, string> = {
        'content-type':
          reply.type ?? (typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json'),
      };
      if (serverHeader) headers.server = serverHeader;
      res.writeHead(reply.status ?? 200, headers);
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    bodies,
    routes: table,
    hitCount: (route) => hits.get(route) ?? 0,
    totalHits: () => [...hits.values()].reduce((a, b) => a + b, 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ok =
  (body: unknown): Handler =>
  () => ({ body });

// ------------------------------------------------------------------------------------------------
// llama-server: the recorded b10587 answers (test/fixtures/llama-server, -c 8192 -np 1 --jinja).
// ------------------------------------------------------------------------------------------------

export function llamaRoutes(): Record<string, Handler> {
  const models = fixture('03_v1_models.body');
  return {
    'GET /health': () => ({ body: fixture('01_health.body'), type: 'application/json; charset=utf-8' }),
    'GET /props': () => ({ body: fixture('02_props.body'), type: 'application/json; charset=utf-8' }),
    'GET /v1/models': () => ({ body: models, type: 'application/json; charset=utf-8' }),
    'GET /models': () => ({ body: models, type: 'application/json; charset=utf-8' }),
  };
}

export const LLAMA_NOT_FOUND: Reply = {
  status: 404,
  body: fixture('26_unknown_route.body'),
  type: 'application/json; charset=utf-8',
};

export function startFakeLlama(extra: Record<string, Handler> = {}): Promise<FakeServer> {
  return startFake({ ...llamaRoutes(), ...extra }, LLAMA_NOT_FOUND, 'llama.cpp');
}

// ------------------------------------------------------------------------------------------------
// vLLM: `ModelCard` / `ModelList` (vllm/entrypoints/openai/protocol.py) and `TokenizeResponse`
// (vllm/entrypoints/serve/tokenize/protocol.py); FastAPI answers unknown routes with 404
// {"detail":"Not Found"}.
// ------------------------------------------------------------------------------------------------

export const VLLM_MODELS = {
  object: 'list',
  data: [
    {
      id: 'deepseek-ai/DeepSeek-V3.2',
      object: 'model',
      created: 1767225600,
      owned_by: 'vllm',
      root: 'deepseek-ai/DeepSeek-V3.2',
      parent: null,
      max_model_len: 131072,
      permission: [
        {
          id: 'modelperm-5c2f0e7d9b8a4c1e',
          object: 'model_permission',
          created: 1767225600,
          allow_create_engine: false,
          allow_sampling: true,
          allow_logprobs: true,
          allow_search_indices: false,
          allow_view: true,
          allow_fine_tuning: false,
          organization: '*',
          group: null,
          is_blocking: false,
        },
      ],
    },
  ],
};

export const FASTAPI_NOT_FOUND: Reply = { status: 404, body: { detail: 'Not Found' } };

export function startFakeVllm(extra: Record<string, Handler> = {}): Promise<FakeServer> {
  return startFake(
    {
      'GET /health': () => ({ body: '' }),
      'GET /version': ok({ version: '0.11.0' }),
      'GET /v1/models': ok(VLLM_MODELS),
      ...extra,
    },
    FASTAPI_NOT_FOUND,
  );
}

// ------------------------------------------------------------------------------------------------
// Ollama: /api/ps, /api/show, /api/version as in Ollama's docs/api.md and docs.ollama.com/api/ps
// (`context_length` of a loaded model); /v1/models as its OpenAI layer lists local models
// (`owned_by` = the name's namespace, "library"); gin answers unknown routes "404 page not found".
// ------------------------------------------------------------------------------------------------

export function ollamaPs(contextLength: number | undefined, name = 'deepseek-r1:8b') {
  if (contextLength === undefined) return { models: [] };
  return {
    models: [
      {
        name,
        model: name,
        size: 6654289920,
        digest: '6995872bfe4c521a67b32da386bd21d5c6e819b6e0d62f79f64ec83be99f5763',
        details: {
          parent_model: '',
          format: 'gguf',
          family: 'qwen3',
          families: ['qwen3'],
          parameter_size: '8.2B',
          quantization_level: 'Q4_K_M',
        },
        expires_at: '2026-03-02T10:04:31.83753-08:00',
        size_vram: 6654289920,
        context_length: contextLength,
      },
    ],
  };
}

export function ollamaShow(numCtx?: number) {
  const parameters = [
    ...(numCtx ? [`num_ctx                        ${numCtx}`] : []),
    'repeat_penalty                 1',
    'stop                           "<｜begin▁of▁sentence｜>"',
    'stop                           "<｜end▁of▁sentence｜>"',
    'stop                           "<｜User｜>"',
    'stop                           "<｜Assistant｜>"',
    'temperature                    0.6',
    'top_p                          0.95',
  ].join('\n');
  return {
    license: 'MIT License\n\nCopyright (c) 2023 DeepSeek',
    modelfile: `# Modelfile generated by "ollama show"\nFROM /root/.ollama/models/blobs/sha256-e6a7edc1a4d7\n${numCtx ? `PARAMETER num_ctx ${numCtx}\n` : ''}PARAMETER temperature 0.6`,
    parameters,
    template: '{{- if .System }}{{ .System }}{{ end }}{{- range $i, $_ := .Messages }}…{{- end }}',
    details: {
      parent_model: '',
      format: 'gguf',
      family: 'qwen3',
      families: ['qwen3'],
      parameter_size: '8.2B',
      quantization_level: 'Q4_K_M',
    },
    model_info: {
      'general.architecture': 'qwen3',
      'general.basename': 'DeepSeek-R1-0528-Qwen3',
      'general.file_type': 15,
      'general.parameter_count': 8190735360,
      'general.quantization_version': 2,
      'qwen3.attention.head_count': 32,
      'qwen3.attention.head_count_kv': 8,
      'qwen3.block_count': 36,
      'qwen3.context_length': 131072,
      'qwen3.embedding_length': 4096,
      'tokenizer.ggml.model': 'gpt2',
      'tokenizer.ggml.tokens': null,
    },
    capabilities: ['completion', 'thinking'],
    modified_at: '2026-02-11T09:15:02.417Z',
  };
}

export const OLLAMA_MODELS = {
  object: 'list',
  data: [{ id: 'deepseek-r1:8b', object: 'model', created: 1770800102, owned_by: 'library' }],
};

export const GIN_NOT_FOUND: Reply = { status: 404, body: '404 page not found' };

export interface OllamaState {
  /** context_length of the loaded model; undefined = not loaded. */
  loaded?: number;
  /** A Modelfile `PARAMETER num_ctx`. */
  numCtx?: number;
}

export function startFakeOllama(state: OllamaState): Promise<FakeServer> {
  return startFake(
    {
      'GET /': () => ({ body: 'Ollama is running' }),
      'GET /api/version': ok({ version: '0.12.3' }),
      'GET /api/ps': () => ({ body: ollamaPs(state.loaded) }),
      'POST /api/show': (body) =>
        body?.model === 'deepseek-r1:8b'
          ? { body: ollamaShow(state.numCtx) }
          : { status: 404, body: { error: `model '${String(body?.model)}' not found` } },
      'GET /v1/models': ok(OLLAMA_MODELS),
      'GET /api/tags': ok({ models: [] }),
    },
    GIN_NOT_FOUND,
  );
}

// ------------------------------------------------------------------------------------------------
// SGLang: `ModelCard` (sglang/srt/entrypoints/openai/protocol.py: owned_by "sglang",
// max_model_len), `/get_model_info` and `/get_server_info` (sglang/srt/entrypoints/http_server.py:
// the server args, the scheduler info with max_total_num_tokens / max_req_input_len, the version).
// ------------------------------------------------------------------------------------------------

export const SGLANG_MODELS = {
  object: 'list',
  data: [
    {
      id: 'deepseek-ai/DeepSeek-V3-0324',
      object: 'model',
      created: 1767225600,
      owned_by: 'sglang',
      root: 'deepseek-ai/DeepSeek-V3-0324',
      parent: null,
      max_model_len: 163840,
    },
  ],
};

export const SGLANG_MODEL_INFO = {
  model_path: 'deepseek-ai/DeepSeek-V3-0324',
  tokenizer_path: 'deepseek-ai/DeepSeek-V3-0324',
  is_generation: true,
  preferred_sampling_params: null,
  weight_version: 'default',
};

export function sglangServerInfo(maxTotalTokens: number) {
  return {
    model_path: 'deepseek-ai/DeepSeek-V3-0324',
    tokenizer_path: 'deepseek-ai/DeepSeek-V3-0324',
    tokenizer_mode: 'auto',
    skip_tokenizer_init: false,
    load_format: 'auto',
    trust_remote_code: true,
    dtype: 'auto',
    kv_cache_dtype: 'auto',
    context_length: null,
    host: '127.0.0.1',
    port: 30000,
    mem_fraction_static: 0.85,
    max_running_requests: null,
    chunked_prefill_size: 8192,
    tp_size: 8,
    tool_call_parser: 'deepseekv3',
    reasoning_parser: null,
    max_total_num_tokens: maxTotalTokens,
    max_req_input_len: Math.min(163840 - 1, maxTotalTokens - 1),
    internal_states: [{ last_gen_throughput: 0.0, memory_usage: { weight: 79.4, kvcache: 9.9 } }],
    version: '0.5.4',
  };
}

export function startFakeSglang(maxTotalTokens: number): Promise<FakeServer> {
  return startFake(
    {
      'GET /health': () => ({ body: '' }),
      'GET /v1/models': ok(SGLANG_MODELS),
      'GET /get_model_info': ok(SGLANG_MODEL_INFO),
      'GET /get_server_info': ok(sglangServerInfo(maxTotalTokens)),
    },
    FASTAPI_NOT_FOUND,
  );
}

// ------------------------------------------------------------------------------------------------

export function upstreamFor(url: string, extra: Partial<UpstreamConfig> = {}): Upstream {
  const config = upstreamSchema.parse({ url, ...extra });
  return new Upstream(config, { idleTimeoutMs: 5_000, headersTimeoutMs: 5_000 });
}
