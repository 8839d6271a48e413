// Context discovery against recorded llama-server answers and the shapes vLLM / Ollama send.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeUpstreamContext } from '../../src/launch/context-probe.js';
import type { HttpRequestOptions, HttpResponse } from '../../src/system/context.js';

const recorded = (name: string) =>
  readFileSync(new URL(`../fixtures/llama-server/${name}`, import.meta.url), 'utf8');

type Routes = Record<string, (opts: HttpRequestOptions) => HttpResponse | undefined>;
const fakeHttp = (routes: Routes) => ({
  async http(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
    const route = routes[new URL(url).pathname];
    const res = route?.(opts);
    if (!res) return { status: 404, headers: {}, body: '' };
    return res;
  },
});
const ok = (body: unknown) => () => ({
  status: 200,
  headers: {},
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const down = { http: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8080')) };

describe('probeUpstreamContext', () => {
  it('llama.cpp: n_ctx from the recorded /props', async () => {
    const r = await probeUpstreamContext(
      fakeHttp({ '/props': ok(recorded('02_props.body')) }),
      'http://127.0.0.1:8080/v1/',
      'llama.cpp',
    );
    expect(r).toMatchObject({
      reachable: true,
      ctxSize: 8192,
      source: 'GET /props default_generation_settings.n_ctx',
    });
  });
  it('llama.cpp without /props: the recorded /v1/models meta.n_ctx', async () => {
    const r = await probeUpstreamContext(
      fakeHttp({ '/v1/models': ok(recorded('03_v1_models.body')) }),
      'http://127.0.0.1:8080',
      'auto',
    );
    expect(r).toMatchObject({
      ctxSize: 8192,
      source: 'GET /v1/models meta.n_ctx',
      model: 'models/tiny-random-F32.gguf',
    });
  });
  it('vLLM: max_model_len', async () => {
    const models = {
      object: 'list',
      data: [{ id: 'deepseek-ai/DeepSeek-V4-Flash', object: 'model', max_model_len: 131072 }],
    };
    const r = await probeUpstreamContext(
      fakeHttp({ '/v1/models': ok(models) }),
      'http://127.0.0.1:8000',
      'vllm',
    );
    expect(r).toMatchObject({ ctxSize: 131072, model: 'deepseek-ai/DeepSeek-V4-Flash' });
  });
  it('Ollama: the loaded model from /api/ps, else num_ctx from /api/show', async () => {
    const ps = {
      models: [{ name: 'deepseek-r1-14b-dsb', model: 'deepseek-r1-14b-dsb', context_length: 65536 }],
    };
    expect(
      await probeUpstreamContext(fakeHttp({ '/api/ps': ok(ps) }), 'http://127.0.0.1:11434', 'ollama', {
        model: 'deepseek-r1-14b-dsb',
      }),
    ).toMatchObject({
      ctxSize: 65536,
      source: 'GET /api/ps context_length',
    });
    const show = {
      parameters: 'stop "<｜end▁of▁sentence｜>"\nnum_ctx                        32768',
      model_info: {},
    };
    const r = await probeUpstreamContext(
      fakeHttp({
        '/api/ps': ok({ models: [] }),
        '/api/show': (o) => (o.method === 'POST' && o.body?.includes('deepseek-r1') ? ok(show)() : undefined),
      }),
      'http://127.0.0.1:11434',
      'ollama',
      { model: 'deepseek-r1:14b' },
    );
    expect(r).toMatchObject({ ctxSize: 32768, source: 'POST /api/show parameters num_ctx' });
  });
  it('llama.cpp started with --alias: the model is the -m path, as init and launch pass it back', async () => {
    const props = { ...JSON.parse(recorded('02_props.body')), model_alias: 'deepseek-v3' };
    const r = await probeUpstreamContext(
      fakeHttp({ '/props': ok(props) }),
      'http://127.0.0.1:8080',
      'llama.cpp',
    );
    expect(r).toEqual({
      reachable: true,
      ctxSize: 8192,
      source: 'GET /props default_generation_settings.n_ctx',
      model: 'models/tiny-random-F32.gguf',
    });
  });
  it('Ollama without a model: the first loaded one; a model not loaded and without num_ctx: unknown', async () => {
    const ps = {
      models: [
        { name: 'deepseek-r1:14b', model: 'deepseek-r1:14b', context_length: 65536 },
        { name: 'qwen3:8b', model: 'qwen3:8b', context_length: 4096 },
      ],
    };
    const routes = fakeHttp({
      '/api/ps': ok(ps),
      '/api/show': ok({ parameters: 'temperature 0.6', model_info: {} }),
    });
    expect(await probeUpstreamContext(routes, 'http://127.0.0.1:11434', 'ollama')).toEqual({
      reachable: true,
      ctxSize: 65536,
      source: 'GET /api/ps context_length',
      model: 'deepseek-r1:14b',
    });
    expect(
      await probeUpstreamContext(routes, 'http://127.0.0.1:11434', 'ollama', { model: 'qwen3:8b' }),
    ).toMatchObject({ ctxSize: 4096, model: 'qwen3:8b' });
    expect(
      await probeUpstreamContext(routes, 'http://127.0.0.1:11434', 'ollama', { model: 'deepseek-r1:70b' }),
    ).toEqual({ reachable: true, model: 'deepseek-r1:70b' });
  });
  it('auto: a server that only lists models with max_model_len (a gateway in front of vLLM)', async () => {
    const models = {
      object: 'list',
      data: [{ id: 'ds', object: 'model', owned_by: 'gateway', max_model_len: 32768 }],
    };
    expect(
      await probeUpstreamContext(fakeHttp({ '/v1/models': ok(models) }), 'http://127.0.0.1:4000/v1', 'auto'),
    ).toEqual({ reachable: true, ctxSize: 32768, source: 'GET /v1/models max_model_len', model: 'ds' });
  });
  it('an upstream that is not running is reported as unreachable, not as an error', async () => {
    expect(await probeUpstreamContext(down, 'http://127.0.0.1:8080', 'llama.cpp')).toEqual({
      reachable: false,
    });
    expect(await probeUpstreamContext(down, 'http://127.0.0.1:8080', 'auto')).toMatchObject({
      reachable: false,
    });
  });
});
