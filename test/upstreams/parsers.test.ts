// The pure discovery parsers against the bodies the real servers send: llama-server's recorded
// answers (test/fixtures/llama-server) and vLLM / SGLang / Ollama bodies written from their source
// and docs (see fake-upstreams.ts for where each shape comes from).
import { describe, expect, it } from 'vitest';
import { deepseekApiContext, isDeepSeekApiUrl } from '../../src/upstreams/deepseek-api.js';
import {
  parseLlamaModels,
  parseLlamaModelsDetail,
  parseLlamaProps,
  parseLlamaPropsDetail,
} from '../../src/upstreams/llama-cpp.js';
import {
  normalizeOllamaName,
  parseOllamaLoaded,
  parseOllamaLoadedDetail,
  parseOllamaPs,
  parseOllamaPsDetail,
  parseOllamaShow,
  parseOllamaVersion,
} from '../../src/upstreams/ollama.js';
import { parseModelList, parseServerVersion } from '../../src/upstreams/openai.js';
import { recognizeUpstreamKind } from '../../src/upstreams/recognize.js';
import {
  parseSglangModelInfo,
  parseSglangModels,
  parseSglangServerInfo,
} from '../../src/upstreams/sglang.js';
import { parseVllmModels } from '../../src/upstreams/vllm.js';
import {
  fixtureJson,
  OLLAMA_MODELS,
  ollamaPs,
  ollamaShow,
  SGLANG_MODEL_INFO,
  SGLANG_MODELS,
  sglangServerInfo,
  VLLM_MODELS,
} from '../support/fake-upstream/index.js';

const props = fixtureJson('02_props.body');
const llamaModels = fixtureJson('03_v1_models.body');
const llama404 = fixtureJson('26_unknown_route.body');

describe('llama.cpp parsers (recorded llama-server b10587, -c 8192 -np 1)', () => {
  it('reads the per-slot context, slots, model and ftype from /props', () => {
    expect(parseLlamaProps(props)).toEqual({
      contextSize: 8192,
      slots: 1,
      model: 'models/tiny-random-F32.gguf',
      quantization: 'all F32',
      build: 'b10587-3f545bec',
    });
  });

  it('reads the per-slot n_ctx, not the server total, when -np splits the context', () => {
    const split = structuredClone(props) as {
      default_generation_settings: { n_ctx: number };
      total_slots: number;
    };
    split.default_generation_settings.n_ctx = 2048;
    split.total_slots = 4;
    expect(parseLlamaProps(split)).toMatchObject({ contextSize: 2048, slots: 4 });
  });

  it('reads meta.n_ctx, n_ctx_train and ftype from /v1/models', () => {
    expect(parseLlamaModels(llamaModels)).toEqual({
      model: 'models/tiny-random-F32.gguf',
      contextSize: 8192,
      trainContext: 16384,
      quantization: 'all F32',
    });
  });

  it('does not take other servers or error bodies for llama.cpp', () => {
    for (const body of [
      llama404,
      VLLM_MODELS,
      SGLANG_MODELS,
      OLLAMA_MODELS,
      SGLANG_MODEL_INFO,
      undefined,
      'text',
      [],
    ]) {
      expect(parseLlamaProps(body)).toBeUndefined();
    }
    for (const body of [VLLM_MODELS, SGLANG_MODELS, OLLAMA_MODELS, llama404]) {
      expect(parseLlamaModels(body)).toBeUndefined();
    }
  });
});

describe('llama.cpp details for doctor, init and launch', () => {
  it('adds the model path and tool support to the /props facts', () => {
    expect(parseLlamaPropsDetail(props)).toEqual({
      ...parseLlamaProps(props),
      modelPath: 'models/tiny-random-F32.gguf',
      supportsTools: true,
    });
  });

  it('keeps the model path apart from an --alias, and reads a template without tool support', () => {
    const aliased = {
      ...props,
      model_alias: 'deepseek-v3',
      chat_template_caps: { supports_tools: false, supports_tool_calls: false },
    };
    expect(parseLlamaPropsDetail(aliased)).toMatchObject({
      model: 'deepseek-v3',
      modelPath: 'models/tiny-random-F32.gguf',
      supportsTools: false,
    });
    // An older build without chat_template_caps does not say.
    const { chat_template_caps: _, ...older } = props;
    expect(parseLlamaPropsDetail(older)?.supportsTools).toBeUndefined();
  });

  it('adds the parameter count and size to the /v1/models facts', () => {
    expect(parseLlamaModelsDetail(llamaModels)).toEqual({
      ...parseLlamaModels(llamaModels),
      params: 4211008,
      sizeBytes: 16844032,
    });
  });

  it('takes nothing from other servers or error bodies', () => {
    for (const body of [llama404, VLLM_MODELS, SGLANG_MODEL_INFO, undefined, 'text']) {
      expect(parseLlamaPropsDetail(body)).toBeUndefined();
      expect(parseLlamaModelsDetail(body)).toBeUndefined();
    }
  });
});

describe('vLLM and SGLang /v1/models', () => {
  it('reads max_model_len of the vLLM model card', () => {
    expect(parseVllmModels(VLLM_MODELS)).toEqual({ model: 'deepseek-ai/DeepSeek-V3.2', contextSize: 131072 });
  });

  it('prefers the wanted model and skips LoRA adapters (parent set) otherwise', () => {
    const withLora = {
      object: 'list',
      data: [
        {
          id: 'sql-lora',
          object: 'model',
          owned_by: 'vllm',
          root: '/adapters/sql',
          parent: 'base',
          max_model_len: 8192,
        },
        { id: 'base', object: 'model', owned_by: 'vllm', root: 'base', parent: null, max_model_len: 32768 },
      ],
    };
    expect(parseVllmModels(withLora)).toEqual({ model: 'base', contextSize: 32768 });
    expect(parseVllmModels(withLora, 'sql-lora')).toEqual({ model: 'sql-lora', contextSize: 8192 });
  });

  it('tells vLLM from SGLang by owned_by, not by shape', () => {
    expect(parseVllmModels(SGLANG_MODELS)).toBeUndefined();
    expect(parseSglangModels(VLLM_MODELS)).toBeUndefined();
    expect(parseVllmModels(llamaModels)).toBeUndefined();
    expect(parseVllmModels(OLLAMA_MODELS)).toBeUndefined();
    expect(parseSglangModels(SGLANG_MODELS)).toEqual({
      model: 'deepseek-ai/DeepSeek-V3-0324',
      contextSize: 163840,
    });
  });

  it('lists every entry with its owner', () => {
    expect(parseModelList(OLLAMA_MODELS)).toEqual([{ id: 'deepseek-r1:8b', ownedBy: 'library' }]);
    expect(parseModelList({ data: [{ id: 1 }, null, 'x'] })).toEqual([]);
    expect(parseModelList(undefined)).toEqual([]);
  });
});

describe('SGLang native endpoints', () => {
  it('reads the model path from /get_model_info (which has no context length)', () => {
    expect(parseSglangModelInfo(SGLANG_MODEL_INFO)).toEqual({ model: 'deepseek-ai/DeepSeek-V3-0324' });
    expect(parseSglangModelInfo({ detail: 'Not Found' })).toBeUndefined();
  });

  it('reads the KV pool limits from /get_server_info; context_length is null when not set', () => {
    expect(parseSglangServerInfo(sglangServerInfo(120000))).toEqual({
      contextLength: undefined,
      maxTotalTokens: 120000,
      maxReqInputLen: 119999,
      version: '0.5.4',
    });
    expect(parseSglangServerInfo({ ...sglangServerInfo(500000), context_length: 65536 })).toMatchObject({
      contextLength: 65536,
      maxReqInputLen: 163839,
    });
    expect(parseSglangServerInfo({ detail: 'Not Found' })).toBeUndefined();
  });
});

describe('Ollama', () => {
  it('reads /api/version', () => {
    expect(parseOllamaVersion({ version: '0.12.3' })).toBe('0.12.3');
    expect(parseOllamaVersion('404 page not found')).toBeUndefined();
    expect(parseOllamaVersion(llama404)).toBeUndefined();
  });

  it('reads context_length and quantization of the loaded model from /api/ps', () => {
    expect(parseOllamaPs(ollamaPs(4096), 'deepseek-r1:8b')).toEqual({
      model: 'deepseek-r1:8b',
      contextSize: 4096,
      quantization: 'Q4_K_M',
    });
    // The only loaded model when none is configured.
    expect(parseOllamaPs(ollamaPs(8192))?.contextSize).toBe(8192);
  });

  it('matches names with the implicit latest tag, and reports a model that is not loaded', () => {
    const ps = ollamaPs(32768, 'deepseek-coder-v2:latest');
    expect(parseOllamaPs(ps, 'deepseek-coder-v2')?.contextSize).toBe(32768);
    expect(parseOllamaPs(ps, 'DeepSeek-Coder-V2:latest')?.contextSize).toBe(32768);
    expect(parseOllamaPs(ps, 'deepseek-r1:8b')).toBeUndefined();
    expect(parseOllamaPs(ollamaPs(undefined), 'deepseek-r1:8b')).toBeUndefined();
    expect(parseOllamaLoaded(ollamaPs(undefined))).toEqual([]);
  });

  it('an /api/ps entry of an older Ollama without context_length has no context', () => {
    const old = ollamaPs(4096) as { models: Array<Record<string, unknown>> };
    delete old.models[0]!.context_length;
    expect(parseOllamaPs(old, 'deepseek-r1:8b')).toEqual({
      model: 'deepseek-r1:8b',
      contextSize: undefined,
      quantization: 'Q4_K_M',
    });
  });

  it('reads the trained context, a Modelfile num_ctx and the quantization from /api/show', () => {
    expect(parseOllamaShow(ollamaShow())).toEqual({
      architecture: 'qwen3',
      trainContext: 131072,
      numCtx: undefined,
      quantization: 'Q4_K_M',
    });
    expect(parseOllamaShow(ollamaShow(32768))?.numCtx).toBe(32768);
    expect(parseOllamaShow({ error: "model 'x' not found" })).toBeUndefined();
  });

  it("reads Ollama's own docs example of /api/show (llama architecture)", () => {
    // docs/api.md "Show Model Information" response.
    const docs = {
      modelfile:
        '# Modelfile generated by "ollama show"\nFROM /Users/matt/.ollama/models/blobs/sha256:200765e1\nPARAMETER num_ctx 4096',
      parameters: 'num_keep                       24\nstop                           "<|start_header_id|>"',
      template: '{{ .Prompt }}',
      details: {
        parent_model: '',
        format: 'gguf',
        family: 'llama',
        families: ['llama'],
        parameter_size: '8.0B',
        quantization_level: 'Q4_0',
      },
      model_info: {
        'general.architecture': 'llama',
        'general.file_type': 2,
        'llama.context_length': 8192,
        'llama.vocab_size': 128256,
      },
    };
    // Only the `parameters` text is read for num_ctx (this example's has none).
    expect(parseOllamaShow(docs)).toEqual({
      architecture: 'llama',
      trainContext: 8192,
      numCtx: undefined,
      quantization: 'Q4_0',
    });
  });

  it('adds the loaded size to the /api/ps facts, with the same choice of model', () => {
    const ps = ollamaPs(4096);
    expect(parseOllamaPsDetail(ps, 'deepseek-r1:8b')).toEqual({
      ...parseOllamaPs(ps, 'deepseek-r1:8b'),
      sizeBytes: 6654289920,
    });
    expect(parseOllamaPsDetail(ps)?.sizeBytes).toBe(6654289920);
    expect(
      parseOllamaPsDetail(ollamaPs(32768, 'deepseek-coder-v2:latest'), 'deepseek-coder-v2'),
    ).toMatchObject({ model: 'deepseek-coder-v2:latest', contextSize: 32768 });
    expect(parseOllamaPsDetail(ps, 'deepseek-r1:70b')).toBeUndefined();
    expect(parseOllamaPsDetail('404 page not found', 'deepseek-r1:8b')).toBeUndefined();
  });

  it('lists every loaded model with its size; several loaded and none wanted picks none', () => {
    const one = (ollamaPs(8192, 'a:1') as { models: unknown[] }).models[0];
    const two = (ollamaPs(4096, 'b:2') as { models: unknown[] }).models[0];
    const both = { models: [one, two, { size: 1 }] };
    expect(parseOllamaLoadedDetail(both).map((m) => [m.model, m.contextSize, m.sizeBytes])).toEqual([
      ['a:1', 8192, 6654289920],
      ['b:2', 4096, 6654289920],
    ]);
    expect(parseOllamaLoaded(both)).toEqual(parseOllamaLoadedDetail(both).map(({ sizeBytes: _, ...m }) => m));
    expect(parseOllamaPsDetail(both)).toBeUndefined();
    expect(parseOllamaPsDetail(both, 'b:2')?.contextSize).toBe(4096);
    expect(parseOllamaLoadedDetail(undefined)).toEqual([]);
  });

  it('normalizes model names', () => {
    expect(normalizeOllamaName('deepseek-r1')).toBe('deepseek-r1:latest');
    expect(normalizeOllamaName('deepseek-r1:8b')).toBe('deepseek-r1:8b');
    expect(normalizeOllamaName('hf.co/unsloth/DeepSeek-V3-GGUF')).toBe(
      'hf.co/unsloth/deepseek-v3-gguf:latest',
    );
    expect(normalizeOllamaName('localhost:5000/ns/model')).toBe('localhost:5000/ns/model:latest');
  });
});

describe('DeepSeek API', () => {
  it('knows the V4 models (1M context, design.md §5) and nothing it cannot verify', () => {
    expect(deepseekApiContext('deepseek-v4-pro')).toBe(1_000_000);
    expect(deepseekApiContext('deepseek-v4-flash')).toBe(1_000_000);
    expect(deepseekApiContext('deepseek-chat')).toBeUndefined();
    expect(deepseekApiContext('deepseek-reasoner')).toBeUndefined();
    expect(deepseekApiContext(undefined)).toBeUndefined();
  });

  it('recognises the API host', () => {
    expect(isDeepSeekApiUrl('https://api.deepseek.com')).toBe(true);
    expect(isDeepSeekApiUrl('https://api.deepseek.com/v1')).toBe(true);
    expect(isDeepSeekApiUrl('http://127.0.0.1:8080')).toBe(false);
    expect(isDeepSeekApiUrl('not a url')).toBe(false);
  });
});

describe('recognizeUpstreamKind', () => {
  it('recognises llama-server by /props, its Server header or owned_by "llamacpp"', () => {
    expect(recognizeUpstreamKind({ props, models: llamaModels })).toEqual({
      kind: 'llama.cpp',
      evidence: 'GET /props',
    });
    expect(recognizeUpstreamKind({ props: llama404, llamaServerHeader: true })).toEqual({
      kind: 'llama.cpp',
      evidence: 'Server: llama.cpp header',
    });
    expect(recognizeUpstreamKind({ props: llama404, models: llamaModels })).toEqual({
      kind: 'llama.cpp',
      evidence: 'owned_by "llamacpp"',
    });
  });

  it('recognises vLLM and SGLang by owned_by, SGLang also by /get_model_info', () => {
    expect(recognizeUpstreamKind({ models: VLLM_MODELS })).toEqual({
      kind: 'vllm',
      evidence: 'owned_by "vllm"',
    });
    expect(recognizeUpstreamKind({ models: SGLANG_MODELS })).toEqual({
      kind: 'sglang',
      evidence: 'owned_by "sglang"',
    });
    expect(recognizeUpstreamKind({ sglangModelInfo: SGLANG_MODEL_INFO })).toEqual({
      kind: 'sglang',
      evidence: 'GET /get_model_info',
    });
  });

  it('recognises vLLM by /version only together with a max_model_len', () => {
    const unowned = { data: [{ id: 'm', object: 'model', max_model_len: 65536 }] };
    expect(recognizeUpstreamKind({ models: unowned, serverVersion: { version: '0.11.0' } })).toEqual({
      kind: 'vllm',
      evidence: 'GET /version',
    });
    expect(
      recognizeUpstreamKind({ models: OLLAMA_MODELS, serverVersion: { version: '0.11.0' } }),
    ).toBeUndefined();
    expect(recognizeUpstreamKind({ models: unowned })).toBeUndefined();
  });

  it('recognises Ollama by /api/version, before an owned_by that is only a model namespace', () => {
    expect(recognizeUpstreamKind({ models: OLLAMA_MODELS, ollamaVersion: { version: '0.12.3' } })).toEqual({
      kind: 'ollama',
      evidence: 'GET /api/version',
    });
    const namespaced = { data: [{ id: 'vllm/some-model:latest', object: 'model', owned_by: 'vllm' }] };
    expect(recognizeUpstreamKind({ models: namespaced, ollamaVersion: { version: '0.12.3' } })?.kind).toBe(
      'ollama',
    );
  });

  it('puts llama.cpp first: llama-server also answers Ollama-style routes', () => {
    expect(
      recognizeUpstreamKind({ props, models: llamaModels, ollamaVersion: { version: '0.12.3' } })?.kind,
    ).toBe('llama.cpp');
  });

  it('says nothing for a generic OpenAI-compatible server, error bodies or nothing asked', () => {
    const generic = { object: 'list', data: [{ id: 'gpt-x', object: 'model', owned_by: 'openai' }] };
    expect(recognizeUpstreamKind({ models: generic })).toBeUndefined();
    expect(
      recognizeUpstreamKind({
        props: llama404,
        models: llama404,
        ollamaVersion: '404 page not found',
        sglangModelInfo: { detail: 'Not Found' },
        serverVersion: { detail: 'Not Found' },
        llamaServerHeader: false,
      }),
    ).toBeUndefined();
    expect(recognizeUpstreamKind({})).toBeUndefined();
  });

  it('reads {version} bodies', () => {
    expect(parseServerVersion({ version: '0.11.0' })).toBe('0.11.0');
    expect(parseServerVersion({ version: '' })).toBeUndefined();
    expect(parseServerVersion(llama404)).toBeUndefined();
  });
});
