// ContextDiscovery against fake servers on 127.0.0.1:0 through the real Upstream (undici pool):
// detection, what each kind reads, caching (counted hits), refresh after invalidate(), bounded time.
import { afterEach, describe, expect, it } from 'vitest';
import { ContextDiscovery, type UpstreamLike } from '../../../src/bridge/context/discovery.js';
import type { Upstream } from '../../../src/bridge/upstream.js';
import { upstreamSchema } from '../../../src/config/schema.js';
import {
  type FakeUpstream,
  fixture,
  startFakeLlamaDiscovery,
  startFakeOllama,
  startFakeSglang,
  startFakeUpstream,
  startFakeVllm,
  upstreamFor,
} from '../../support/fake-upstream/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function track<T extends FakeUpstream>(server: Promise<T>): Promise<T> {
  const s = await server;
  cleanups.push(() => s.close());
  return s;
}

function upstream(url: string, extra: Parameters<typeof upstreamFor>[1] = {}): Upstream {
  const u = upstreamFor(url, extra);
  cleanups.push(() => u.close());
  return u;
}

describe('llama.cpp', () => {
  it('detects llama-server by /props and reads the per-slot context (one call per endpoint)', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    const discovery = new ContextDiscovery(upstream(fake.url));
    const facts = await discovery.get();
    expect(facts).toMatchObject({
      kind: 'llama.cpp',
      contextSize: 8192,
      contextSource: 'llama.cpp /props n_ctx (per slot)',
      model: 'models/tiny-random-F32.gguf',
      slots: 1,
      trainContext: 16384,
      quantization: 'all F32',
    });
    expect(fake.hitCount('GET /props')).toBe(1);
    expect(fake.hitCount('GET /v1/models')).toBe(1);
    // Decided at once: no Ollama or SGLang probes.
    expect(fake.totalHits()).toBe(2);
  });

  it('caches: later and concurrent callers share one discovery', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    const discovery = new ContextDiscovery(upstream(fake.url));
    const all = await Promise.all([discovery.get(), discovery.get(), discovery.get(), discovery.get()]);
    expect(new Set(all).size).toBe(1);
    await discovery.get();
    expect(discovery.peek()).toBe(all[0]);
    expect(fake.totalHits()).toBe(2);
  });

  it('looks again after invalidate(): the server was restarted with another -c and -np', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    let now = 1_000;
    const discovery = new ContextDiscovery(upstream(fake.url), () => now);
    expect((await discovery.get()).contextSize).toBe(8192);
    expect(discovery.peek()?.discoveredAt).toBe(1_000);

    const restarted = JSON.parse(fixture('02_props.body'));
    restarted.default_generation_settings.n_ctx = 4096;
    restarted.total_slots = 2;
    fake.routes.set('GET /props', () => ({ body: restarted }));
    now = 5_000;
    expect((await discovery.get()).contextSize).toBe(8192); // still cached
    discovery.invalidate();
    expect(discovery.peek()?.contextSize).toBe(8192); // last known until the new answer
    const fresh = await discovery.get();
    expect(fresh).toMatchObject({ contextSize: 4096, slots: 2, discoveredAt: 5_000 });
    expect(fake.hitCount('GET /props')).toBe(2);
  });

  it('falls back to /v1/models meta.n_ctx when /props is not available', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    fake.routes.delete('GET /props');
    const facts = await new ContextDiscovery(upstream(fake.url)).get();
    expect(facts).toMatchObject({
      kind: 'llama.cpp',
      contextSize: 8192,
      contextSource: 'llama.cpp /v1/models meta.n_ctx',
    });
  });

  it('a config contextSize overrides, the rest is still discovered', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    const facts = await new ContextDiscovery(
      upstream(fake.url, { contextSize: 4000, maxOutputTokens: 2000 }),
    ).get();
    expect(facts).toMatchObject({
      kind: 'llama.cpp',
      contextSize: 4000,
      contextSource: 'config',
      outputCap: 2000,
      slots: 1,
    });
  });
});

describe('vLLM', () => {
  it('detects vLLM by owned_by and reads max_model_len', async () => {
    const fake = await track(startFakeVllm());
    const facts = await new ContextDiscovery(upstream(fake.url)).get();
    expect(facts).toMatchObject({
      kind: 'vllm',
      contextSize: 131072,
      contextSource: 'vLLM /v1/models max_model_len',
      model: 'deepseek-ai/DeepSeek-V3.2',
    });
    expect(fake.hitCount('GET /props')).toBe(1); // 404 {"detail":"Not Found"}
    expect(fake.hitCount('GET /api/version')).toBe(0);
  });

  it('with kind configured, skips detection', async () => {
    const fake = await track(startFakeVllm());
    const facts = await new ContextDiscovery(upstream(fake.url, { kind: 'vllm' })).get();
    expect(facts.contextSize).toBe(131072);
    expect(fake.totalHits()).toBe(1);
    expect(fake.hitCount('GET /v1/models')).toBe(1);
  });
});

describe('SGLang', () => {
  it('reads max_model_len, limited by the KV pool (max_req_input_len + 1) when that is smaller', async () => {
    const fake = await track(startFakeSglang(120_000));
    const facts = await new ContextDiscovery(upstream(fake.url)).get();
    expect(facts).toMatchObject({
      kind: 'sglang',
      contextSize: 120_000,
      contextSource: 'SGLang /get_server_info max_req_input_len + 1 (KV cache pool)',
      model: 'deepseek-ai/DeepSeek-V3-0324',
    });
  });

  it('reads max_model_len when the pool is larger than the context', async () => {
    const fake = await track(startFakeSglang(2_000_000));
    const facts = await new ContextDiscovery(upstream(fake.url)).get();
    expect(facts).toMatchObject({
      kind: 'sglang',
      contextSize: 163840,
      contextSource: 'SGLang /v1/models max_model_len',
    });
  });

  it('detects SGLang by /get_model_info when /v1/models does not tell', async () => {
    const fake = await track(startFakeSglang(2_000_000));
    fake.routes.delete('GET /v1/models');
    const facts = await new ContextDiscovery(upstream(fake.url)).get();
    expect(facts).toMatchObject({ kind: 'sglang', model: 'deepseek-ai/DeepSeek-V3-0324' });
    // No context_length set on the command line: the pool limit is what is known.
    expect(facts.contextSize).toBe(163840);
  });
});

describe('Ollama', () => {
  it('reads the loaded model context from /api/ps, the trained one from /api/show', async () => {
    const fake = await track(startFakeOllama({ loaded: 4096 }));
    const discovery = new ContextDiscovery(upstream(fake.url));
    const facts = await discovery.get();
    expect(facts).toMatchObject({
      kind: 'ollama',
      contextSize: 4096,
      contextSource: 'Ollama /api/ps context_length (loaded model)',
      model: 'deepseek-r1:8b',
      trainContext: 131072,
      quantization: 'Q4_K_M',
    });
    expect(fake.bodiesOf('POST /api/show')[0]).toMatchObject({ model: 'deepseek-r1:8b' });
    const hits = fake.totalHits();
    await discovery.get();
    expect(fake.totalHits()).toBe(hits);
  });

  it('model not loaded, no num_ctx: context unknown, looked up again later, then read from /api/ps', async () => {
    const state: { loaded?: number } = {};
    const fake = await track(startFakeOllama(state));
    let now = 0;
    const discovery = new ContextDiscovery(upstream(fake.url), () => now, { retryMs: 30_000 });
    const first = await discovery.get();
    expect(first).toMatchObject({ kind: 'ollama', model: 'deepseek-r1:8b', trainContext: 131072 });
    expect(first.contextSize).toBeUndefined();
    expect(first.contextSource).toMatch(/not loaded/);

    state.loaded = 8192; // the first real request loaded the model
    now = 10_000;
    expect((await discovery.get()).contextSize).toBeUndefined(); // within the retry window
    now = 31_000;
    expect(await discovery.get()).toMatchObject({
      contextSize: 8192,
      contextSource: 'Ollama /api/ps context_length (loaded model)',
    });
    expect(fake.hitCount('GET /api/ps')).toBe(2);
  });

  it('model not loaded with a Modelfile num_ctx: that is the context', async () => {
    const fake = await track(startFakeOllama({ numCtx: 32768 }));
    const facts = await new ContextDiscovery(upstream(fake.url, { model: 'deepseek-r1:8b' })).get();
    expect(facts).toMatchObject({
      kind: 'ollama',
      contextSize: 32768,
      contextSource: 'Ollama /api/show num_ctx (Modelfile)',
    });
  });
});

describe('unknown, unreachable and slow upstreams', () => {
  it('a generic OpenAI server: kind openai, context unknown', async () => {
    const fake = await track(
      startFakeUpstream({
        routes: {
          'GET /v1/models': () => ({
            body: { object: 'list', data: [{ id: 'm', object: 'model', owned_by: 'acme' }] },
          }),
        },
        otherwise: {
          status: 404,
          body: { error: { message: 'not found' } },
        },
      }),
    );
    const facts = await new ContextDiscovery(upstream(fake.url)).get();
    expect(facts).toMatchObject({ kind: 'openai', contextSource: 'unknown', model: 'm' });
    expect(facts.contextSize).toBeUndefined();
  });

  it('an unreachable upstream: never throws, unknown, tried again after the retry delay', async () => {
    const fake = await track(startFakeLlamaDiscovery());
    const url = fake.url;
    await fake.close();
    let now = 0;
    const discovery = new ContextDiscovery(upstream(url), () => now, { retryMs: 1_000 });
    const facts = await discovery.get();
    expect(facts).toMatchObject({ kind: 'openai', contextSource: 'unknown' });
    expect(facts.contextSize).toBeUndefined();
    now = 2_000;
    expect(await discovery.get()).not.toBe(facts); // rediscovered, not cached forever
  });

  it('a server that never answers: bounded by the budget', async () => {
    const HANG_DEADLINE_MS = 20_000;
    const fake = await track(startFakeUpstream({ otherwise: { hang: true } }));
    const started = performance.now();
    const facts = await new ContextDiscovery(upstream(fake.url), Date.now, {
      budgetMs: 400,
      callTimeoutMs: 150,
    }).get();
    // Hang-catching only: without the budget it would wait for undici's 300 s headers timeout.
    expect(performance.now() - started).toBeLessThan(HANG_DEADLINE_MS);
    expect(facts.contextSize).toBeUndefined();
  });

  it('a fake UpstreamLike that throws: still never throws', async () => {
    const broken: UpstreamLike = {
      url: 'http://127.0.0.1:1',
      config: upstreamSchema.parse({ url: 'http://127.0.0.1:1' }),
      getJson: async () => {
        throw new Error('boom');
      },
      request: async () => {
        throw new Error('boom');
      },
    };
    await expect(new ContextDiscovery(broken).get()).resolves.toMatchObject({
      kind: 'openai',
      contextSource: 'unknown',
    });
  });
});

describe('DeepSeek API', () => {
  function fakeApi(model?: string) {
    const calls: string[] = [];
    const api: UpstreamLike = {
      url: 'https://api.deepseek.com',
      config: upstreamSchema.parse({
        url: 'https://api.deepseek.com',
        apiKey: 'sk-test',
        ...(model ? { model } : {}),
      }),
      getJson: async (path: string) => {
        calls.push(path);
        return { object: 'list', data: [{ id: 'deepseek-v4-flash', object: 'model', owned_by: 'deepseek' }] };
      },
      request: async () => {
        throw new Error('not used');
      },
    };
    return { api, calls };
  }

  it('knows V4 contexts from the table, without probing llama.cpp or Ollama endpoints', async () => {
    const { api, calls } = fakeApi('deepseek-v4-pro');
    const facts = await new ContextDiscovery(api).get();
    expect(facts).toMatchObject({ kind: 'deepseek-api', contextSize: 1_000_000, model: 'deepseek-v4-pro' });
    expect(calls).toEqual([]);
  });

  it('takes the listed model when none is configured; leaves aliases it cannot verify unknown', async () => {
    const listed = fakeApi();
    expect(await new ContextDiscovery(listed.api).get()).toMatchObject({
      model: 'deepseek-v4-flash',
      contextSize: 1_000_000,
    });
    expect(listed.calls).toEqual(['/v1/models']);
    const alias = await new ContextDiscovery(fakeApi('deepseek-chat').api).get();
    expect(alias.contextSize).toBeUndefined();
    expect(alias.contextSource).toMatch(/unknown/);
  });
});
