// The pure discovery parsers against the bodies the real servers send: llama-server's recorded
// answers (test/fixtures/llama-server) and vLLM / SGLang / Ollama bodies written from their source
// and docs (see fake-upstreams.ts for where each shape comes from).
import { describe, expect, it } from 'vitest';
import {
  deepseekApiContext,
  isDeepSeekApiUrl,
  normalizeOllamaName,
  parseLlamaModels,
  parseLlamaProps,
  parseModelList,
  parseOllamaLoaded,
  parseOllamaPs,
  parseOllamaShow,
  parseOllamaVersion,
  parseSglangModelInfo,
  parseSglangModels,
  parseSglangServerInfo,
  parseVllmModels,
} from '../../../src/bridge/context/discovery.js';
import {
  fixtureJson,
  OLLAMA_MODELS,
  ollamaPs,
  ollamaShow,
  SGLANG_MODEL_INFO,
  SGLANG_MODELS,
  sglangServerInfo,
  VLLM_MODELS,
} from './fake-upstreams.js';

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
