import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/checks/runner.js';
import type { Check, CheckContext } from '../../src/checks/types.js';
import { upstreamContextCheck } from '../../src/checks/upstream-context.js';
import { discoverUpstream } from '../../src/checks/upstream-info.js';
import { upstreamOpenaiCheck } from '../../src/checks/upstream-openai.js';
import { upstreamToolsCheck } from '../../src/checks/upstream-tools.js';
import { SGLANG_MODEL_INFO, SGLANG_MODELS } from '../support/fake-upstream/index.js';
import {
  type FakeSystemOptions,
  fakeContext,
  fakeSystem,
  fixture,
  type HttpReply,
  llamaChatHttp,
  llamaFixture,
  llamaServerHttp,
  llamaWithContext,
} from './fake-system.js';

const U = 'http://127.0.0.1:8080';
const run = (check: Check, ctx: CheckContext) => runCheck(check, ctx, new Map());
const ctxWith = (http: Record<string, HttpReply>, more: FakeSystemOptions = {}, upstreamUrl = U) =>
  fakeContext(fakeSystem({ http, ...more }), { upstreamUrl });
const json = (name: string) => JSON.parse(fixture(`upstreams/${name}`));
/** Claude Code's settings that give it an n-token window (a non-Claude model name and the variable). */
const withWindow = (n: number): FakeSystemOptions => ({
  env: { ANTHROPIC_MODEL: 'deepseek', CLAUDE_CODE_MAX_CONTEXT_TOKENS: String(n) },
});

const V = 'http://127.0.0.1:8000';
function vllmHttp(overrides: Record<string, HttpReply> = {}): Record<string, HttpReply> {
  return {
    [`GET ${V}/v1/models`]: { body: json('vllm-v1-models.json') },
    [`GET ${V}/version`]: { body: json('vllm-version.json') },
    [`GET ${V}/health`]: { body: '' },
    [`GET ${V}/props`]: { status: 404, body: { detail: 'Not Found' } },
    [`GET ${V}/api/version`]: { status: 404, body: { detail: 'Not Found' } },
    [`GET ${V}/get_model_info`]: { status: 404, body: { detail: 'Not Found' } },
    ...overrides,
  };
}
/** vLLM's chat answers, for the tests whose checks send one (discovery alone does not). */
function vllmChatHttp(): Record<string, HttpReply> {
  return {
    [`POST ${V}/v1/chat/completions`]: (body) => {
      const req = JSON.parse(body ?? '{}');
      if (req.tool_choice === 'required') return { body: json('vllm-tools-required.json') };
      return { body: json('vllm-chat.json') };
    },
  };
}

const O = 'http://127.0.0.1:11434';
function ollamaHttp(ps = 'ollama-ps-64k.json'): Record<string, HttpReply> {
  return {
    [`GET ${O}/v1/models`]: { body: json('ollama-v1-models.json') },
    [`GET ${O}/api/version`]: { body: json('ollama-version.json') },
    [`GET ${O}/api/ps`]: { body: json(ps) },
    [`POST ${O}/api/show`]: { body: json('ollama-show.json') },
    [`GET ${O}/health`]: { status: 404, body: '404 page not found' },
    [`GET ${O}/props`]: { status: 404, body: '404 page not found' },
    [`GET ${O}/version`]: { status: 404, body: '404 page not found' },
    [`GET ${O}/get_model_info`]: { status: 404, body: '404 page not found' },
  };
}
/** Ollama's chat answers (a tool call when asked with tools), for the tests whose checks send one. */
function ollamaChatHttp(): Record<string, HttpReply> {
  return {
    [`POST ${O}/v1/chat/completions`]: (body) => {
      const req = JSON.parse(body ?? '{}');
      if (req.tools) {
        return {
          body: {
            ...json('ollama-chat.json'),
            choices: [
              {
                index: 0,
                message: {
                  role: 'assistant',
                  content: '',
                  tool_calls: [
                    {
                      id: 'call_x1',
                      index: 0,
                      type: 'function',
                      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
                    },
                  ],
                },
                finish_reason: 'tool_calls',
              },
            ],
          },
        };
      }
      return { body: json('ollama-chat.json') };
    },
  };
}

describe('upstream-openai', () => {
  it('passes against a llama-server replaying recorded answers, naming kind and version', async () => {
    const r = await run(upstreamOpenaiCheck, ctxWith({ ...llamaServerHttp(), ...llamaChatHttp() }));
    expect(r.status).toBe('pass');
    expect(r.summary).toBe(
      'llama.cpp llama-server b10587 at http://127.0.0.1:8080 answers /v1/chat/completions with models/tiny-random-F32.gguf',
    );
    expect(r.data).toMatchObject({ kind: 'llama.cpp', version: 'b10587' });
  });

  it('fails with the launch command when nothing listens (linux: sh syntax)', async () => {
    const r = await run(upstreamOpenaiCheck, ctxWith({ [U]: 'refused' }));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/nothing answers at http:\/\/127\.0\.0\.1:8080: connection refused/);
    expect(r.fix?.commands).toEqual([
      'llama-server -m MODEL.gguf -c 65536 -np 1 --host 127.0.0.1 --port 8080 -ngl 999 --jinja --reasoning-format deepseek',
    ]);
  });

  it('suggests the server by port when nothing answers (vLLM on 8000, Ollama on 11434 in PowerShell)', async () => {
    const v = await run(upstreamOpenaiCheck, ctxWith({ [V]: 'refused' }, {}, V));
    expect(v.fix?.commands[0]).toBe(
      'vllm serve MODEL --host 127.0.0.1 --port 8000 --max-model-len 65536 --enable-auto-tool-choice --tool-call-parser deepseek_v4 --reasoning-parser deepseek_v4 --tensor-parallel-size 1',
    );
    const o = await run(upstreamOpenaiCheck, ctxWith({ [O]: 'refused' }, { platform: 'win32' }, O));
    expect(o.fix?.commands[0]).toBe(
      "$env:OLLAMA_HOST = '127.0.0.1:11434'; $env:OLLAMA_CONTEXT_LENGTH = '65536'; ollama serve",
    );
    const oSh = await run(upstreamOpenaiCheck, ctxWith({ [O]: 'refused' }, { platform: 'darwin' }, O));
    expect(oSh.fix?.commands[0]).toBe('OLLAMA_HOST=127.0.0.1:11434 OLLAMA_CONTEXT_LENGTH=65536 ollama serve');
  });

  it('recognises a llama.cpp server that only speaks its native /completion API', async () => {
    const http: Record<string, HttpReply> = {
      [`GET ${U}/health`]: { body: llamaFixture('01_health'), headers: { server: 'llama.cpp' } },
      [`GET ${U}/v1/models`]: {
        status: 404,
        body: llamaFixture('26_unknown_route'),
        headers: { server: 'llama.cpp' },
      },
      [`POST ${U}/v1/chat/completions`]: {
        status: 404,
        body: llamaFixture('26_unknown_route'),
        headers: { server: 'llama.cpp' },
      },
      [`POST ${U}/completion`]: { body: fixture('upstreams/llama-native-completion.json') },
    };
    // The same server answers the other discovery routes as any route it does not know.
    for (const route of ['/props', '/api/version', '/version', '/get_model_info'])
      http[`GET ${U}${route}`] = {
        status: 404,
        body: llamaFixture('26_unknown_route'),
        headers: { server: 'llama.cpp' },
      };
    const r = await run(upstreamOpenaiCheck, ctxWith(http));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(
      /only llama.cpp's native API answers .*: \/completion works but \/v1\/chat\/completions is 404/,
    );
    expect(r.fix?.commands[0]).toMatch(/^llama-server /);
  });

  it('fails while the model is still loading (503) and when the upstream wants a key', async () => {
    const loading = await run(
      upstreamOpenaiCheck,
      ctxWith(
        llamaServerHttp(U, {
          [`POST ${U}/v1/chat/completions`]: {
            status: 503,
            body: fixture('upstreams/llama-loading-503.json'),
          },
        }),
      ),
    );
    expect(loading).toMatchObject({
      status: 'fail',
      summary: 'llama.cpp llama-server b10587 is not ready: Loading model',
    });
    const auth = await run(
      upstreamOpenaiCheck,
      ctxWith(
        llamaServerHttp(U, {
          [`GET ${U}/v1/models`]: {
            status: 401,
            body: { error: { code: 401, message: 'Invalid API Key', type: 'authentication_error' } },
          },
        }),
      ),
    );
    expect(auth.status).toBe('fail');
    expect(auth.summary).toMatch(/wants an API key/);
    expect(auth.fix?.commands[0]).toMatch(/DSB_UPSTREAM_API_KEY/);
  });

  it('passes against vLLM and Ollama recorded shapes', async () => {
    const v = await run(upstreamOpenaiCheck, ctxWith({ ...vllmHttp(), ...vllmChatHttp() }, {}, V));
    expect(v).toMatchObject({
      status: 'pass',
      data: { kind: 'vllm', version: '0.11.0', model: 'deepseek-ai/DeepSeek-V3.2' },
    });
    const o = await run(upstreamOpenaiCheck, ctxWith({ ...ollamaHttp(), ...ollamaChatHttp() }, {}, O));
    expect(o).toMatchObject({
      status: 'pass',
      data: { kind: 'ollama', version: '0.12.6', model: 'deepseek-r1:14b' },
    });
  });

  it('normalises a pasted /v1 base URL (dsb appends /v1 itself)', async () => {
    const { normalizeBaseUrl } = await import('../../src/checks/util.js');
    expect(normalizeBaseUrl('http://127.0.0.1:8080/v1/')).toBe('http://127.0.0.1:8080');
  });
});

describe('upstream-context', () => {
  it('fails on an 8K llama-server context with the -c 65536 launch command of its model', async () => {
    const r = await run(upstreamContextCheck, ctxWith(llamaWithContext(8192)));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/^8K \(8192\) tokens per request: Claude Code needs 64K/);
    expect(r.fix?.commands[0]).toBe(
      'llama-server -m models/tiny-random-F32.gguf -c 65536 -np 1 --host 127.0.0.1 --port 8080 -ngl 999 --jinja --reasoning-format deepseek',
    );
  });

  it('fails when the model itself was trained for 16K (the recorded deepseek-coder-tokenizer model)', async () => {
    // 03_v1_models reports n_ctx_train 16384, like deepseek-coder v1.
    const r = await run(upstreamContextCheck, ctxWith(llamaServerHttp()));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/trained for only 16K \(16384\) tokens: too small for Claude Code/);
  });

  it('warns on 48K and explains -np splitting', async () => {
    const r = await run(upstreamContextCheck, ctxWith(llamaWithContext(49152, 2), withWindow(49152)));
    expect(r.status).toBe('warn');
    expect(r.details.join('\n')).toMatch(
      /-np 2: llama-server splits -c between 2 slots; each request gets 48K/,
    );
    expect(r.fix?.description).toMatch(/-np 1 \(or -c 131072 to keep 2 slots\)/);
  });

  it('passes at 64K when Claude Code really uses that window, warns (with an automatic fix) when it does not', async () => {
    const told = await run(upstreamContextCheck, ctxWith(llamaWithContext(65536), withWindow(65536)));
    expect(told).toMatchObject({
      status: 'pass',
      summary: '64K (65536) tokens per request',
      data: { claudeWindow: 65536, claudeWindowSource: 'max-context-tokens' },
    });

    const system = fakeSystem({ http: llamaWithContext(65536) });
    const ctx = fakeContext(system);
    const untold = await run(upstreamContextCheck, ctx);
    expect(untold.status).toBe('warn');
    expect(untold.summary).toBe(
      '64K (65536) tokens per request, but Claude Code uses a 1M (1000000) window (model claude-opus-5-5)',
    );
    const changes = await untold.fix!.apply!(ctx, { dryRun: false });
    const model = 'tiny-random-F32';
    expect(JSON.parse(system.written['/home/dev/.claude/settings.json']!)).toEqual({
      env: {
        ANTHROPIC_MODEL: model,
        ANTHROPIC_DEFAULT_OPUS_MODEL: model,
        ANTHROPIC_DEFAULT_SONNET_MODEL: model,
        ANTHROPIC_DEFAULT_HAIKU_MODEL: model,
        CLAUDE_CODE_SUBAGENT_MODEL: model,
        CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
      },
    });
    expect(changes).toContain(
      '/home/dev/.claude/settings.json: set env.CLAUDE_CODE_MAX_CONTEXT_TOKENS=65536',
    );
    // Re-run on the written settings: the check passes.
    const rerun = await run(upstreamContextCheck, fakeContext(system));
    expect(rerun.status, rerun.details.join('\n')).toBe('pass');

    const tooBig = await run(upstreamContextCheck, ctxWith(llamaWithContext(65536), withWindow(200000)));
    expect(tooBig.status).toBe('warn');
    expect(tooBig.summary).toMatch(
      /Claude Code uses a 200K \(200000\) window \(CLAUDE_CODE_MAX_CONTEXT_TOKENS=200000\)/,
    );
  });

  it('issue 14: CLAUDE_CODE_MAX_CONTEXT_TOKENS alone, or with ANTHROPIC_DEFAULT_OPUS_MODEL, is not enough', async () => {
    const cases: Array<Record<string, string>> = [
      { CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536' },
      { CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536', ANTHROPIC_DEFAULT_OPUS_MODEL: 'deepseek-v4-flash' },
      { CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536', ANTHROPIC_MODEL: 'claude-sonnet-4-5' },
    ];
    for (const env of cases) {
      const r = await run(upstreamContextCheck, ctxWith(llamaWithContext(65536), { env }));
      expect(r.status, JSON.stringify(env)).toBe('warn');
      expect(r.details.join('\n')).toMatch(/ignores CLAUDE_CODE_MAX_CONTEXT_TOKENS/);
      expect(r.fix?.description).toMatch(/ANTHROPIC_MODEL=tiny-random-F32 \(a non-Claude name/);
    }
  });

  it('a project setting that overrides the user settings is named', async () => {
    const r = await run(
      upstreamContextCheck,
      ctxWith(llamaWithContext(65536), {
        files: { '/work/app/.claude/settings.json': '{"env":{"ANTHROPIC_MODEL":"opus"}}' },
      }),
    );
    expect(r.status).toBe('warn');
    expect(r.details.join('\n')).toContain(
      'ANTHROPIC_MODEL is set in Claude Code project settings (/work/app/.claude/settings.json), which overrides ~/.claude/settings.json',
    );
    // Run in the home folder, the project settings are the user settings: nothing overrides them.
    const atHome = await run(
      upstreamContextCheck,
      ctxWith(llamaWithContext(65536), {
        cwd: '/home/dev',
        files: { '/home/dev/.claude/settings.json': '{"env":{"ANTHROPIC_MODEL":"opus"}}' },
      }),
    );
    expect(atHome.details.join('\n')).not.toMatch(/overrides/);
  });

  it('-np 4 -c 65536: names the 16K slots and the split in the summary', async () => {
    const r = await run(upstreamContextCheck, ctxWith(llamaWithContext(16384, 4), withWindow(16384)));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(
      /^16K \(16384\) tokens per request \(-np 4 splits -c 65536 into 4 slots of 16384\)/,
    );
    expect(r.fix?.description).toMatch(/-np 1 \(or -c 262144 to keep 4 slots\)/);
  });

  it('reads vLLM max_model_len and Ollama /api/ps context_length (4K default fails with OLLAMA_CONTEXT_LENGTH)', async () => {
    const v = await run(upstreamContextCheck, ctxWith(vllmHttp(), withWindow(65536), V));
    expect(v).toMatchObject({
      status: 'pass',
      data: { perRequest: 65536, source: '/v1/models max_model_len' },
    });
    const o = await run(upstreamContextCheck, ctxWith(ollamaHttp('ollama-ps-4k.json'), {}, O));
    expect(o.status).toBe('fail');
    expect(o.fix?.commands).toEqual(['OLLAMA_HOST=127.0.0.1:11434 OLLAMA_CONTEXT_LENGTH=65536 ollama serve']);
    expect(o.details.join('\n')).toMatch(/trained for 128K \(131072\)/);
  });

  it('warns when Ollama has not loaded the model yet (window decided at load time)', async () => {
    const r = await run(upstreamContextCheck, ctxWith(ollamaHttp('ollama-ps-empty.json'), {}, O));
    expect(r.status).toBe('warn');
    expect(r.details.join('\n')).toMatch(/Ollama picks the window when it loads the model/);
  });

  it('fails with the launch command when the upstream does not answer', async () => {
    const r = await run(upstreamContextCheck, ctxWith({ [U]: 'refused' }));
    expect(r.status).toBe('fail');
    expect(r.fix?.commands[0]).toMatch(/^llama-server .* -c 65536 /);
  });

  it('is skipped by nothing: it applies on every platform (Windows shows PowerShell-safe quoting)', async () => {
    const props = JSON.parse(llamaFixture('02_props'));
    props.model_path = 'C:\\Models\\DeepSeek V3\\model-Q4_K_M.gguf';
    const http = llamaWithContext(16384);
    http[`GET ${U}/props`] = {
      body: { ...props, default_generation_settings: { ...props.default_generation_settings, n_ctx: 16384 } },
    };
    const r = await run(upstreamContextCheck, ctxWith(http, { platform: 'win32' }));
    expect(r.fix?.commands[0]).toMatch(
      /^llama-server -m 'C:\\Models\\DeepSeek V3\\model-Q4_K_M.gguf' -c 65536/,
    );
  });
});

const S = 'http://127.0.0.1:30000';
/** SGLang's answers: ModelCard (owned_by "sglang", max_model_len), /get_model_info; FastAPI 404s. */
function sglangHttp(): Record<string, HttpReply> {
  const notFound = { status: 404, body: { detail: 'Not Found' } };
  return {
    [`GET ${S}/v1/models`]: { body: SGLANG_MODELS },
    [`GET ${S}/get_model_info`]: { body: SGLANG_MODEL_INFO },
    [`GET ${S}/health`]: { body: '' },
    [`GET ${S}/props`]: notFound,
    [`GET ${S}/api/version`]: notFound,
    [`GET ${S}/version`]: notFound,
  };
}

describe('upstream discovery (one run, shared with every upstream check)', () => {
  it('names what gave each server away', async () => {
    const evidence = async (http: Record<string, HttpReply>, url: string) =>
      (await discoverUpstream(ctxWith(http, {}, url))).kindEvidence;
    expect(await evidence(llamaServerHttp(), U)).toBe('GET /props');
    expect(await evidence(vllmHttp(), V)).toBe('owned_by "vllm"');
    expect(await evidence(ollamaHttp(), O)).toBe('GET /api/version');
    expect(await evidence(sglangHttp(), S)).toBe('owned_by "sglang"');
    const r = await run(upstreamOpenaiCheck, ctxWith({ ...vllmHttp(), ...vllmChatHttp() }, {}, V));
    expect(r.details[0]).toBe('server: vLLM 0.11.0 (recognised by owned_by "vllm")');
  });

  it("gathers llama-server's facts from /props and /v1/models meta", async () => {
    const info = await discoverUpstream(ctxWith(llamaServerHttp()));
    expect(info).toMatchObject({
      kind: 'llama.cpp',
      version: 'b10587',
      model: 'models/tiny-random-F32.gguf',
    });
    expect(info.llama).toEqual({
      nCtx: 8192,
      nCtxTrain: 16384,
      totalSlots: 1,
      ftype: 'all F32',
      modelPath: 'models/tiny-random-F32.gguf',
      nParams: 4211008,
      sizeBytes: 16844032,
      supportsTools: true,
      buildInfo: 'b10587-3f545bec',
    });
  });

  it("gathers Ollama's loaded model from /api/ps and its trained context from /api/show", async () => {
    const info = await discoverUpstream(ctxWith(ollamaHttp(), {}, O));
    expect(info).toMatchObject({ kind: 'ollama', version: '0.12.6', model: 'deepseek-r1:14b' });
    expect(info.ollama).toEqual({
      loaded: true,
      loadedContext: 65536,
      sizeBytes: 10843938816,
      quantization: 'Q4_K_M',
      trainedContext: 131072,
    });
    const idle = await discoverUpstream(ctxWith(ollamaHttp('ollama-ps-empty.json'), {}, O));
    expect(idle.ollama).toEqual({ loaded: false, quantization: 'Q4_K_M', trainedContext: 131072 });
  });

  it('reads SGLang max_model_len (recognised by owned_by "sglang")', async () => {
    const r = await run(upstreamContextCheck, ctxWith(sglangHttp(), withWindow(163840), S));
    expect(r).toMatchObject({
      status: 'pass',
      data: { kind: 'sglang', perRequest: 163840, source: '/v1/models max_model_len' },
    });
  });

  it('asks each endpoint once per doctor run, however many checks read the facts', async () => {
    const system = fakeSystem({ http: vllmHttp() });
    const ctx = fakeContext(system, { upstreamUrl: V });
    const [a, b] = await Promise.all([discoverUpstream(ctx), discoverUpstream(ctx)]);
    expect(a).toBe(b);
    expect(system.calls.http.filter((c) => c.endsWith('/v1/models'))).toHaveLength(1);
  });
});

describe('upstream-tools', () => {
  it('passes when the recorded forced tool call comes back structured', async () => {
    const r = await run(upstreamToolsCheck, ctxWith({ ...llamaServerHttp(), ...llamaChatHttp() }));
    expect(r).toMatchObject({ status: 'pass', data: { toolName: 'get_weather' } });
  });

  it('fails with --jinja when an old llama-server refuses tools', async () => {
    const r = await run(
      upstreamToolsCheck,
      ctxWith(
        llamaServerHttp(U, {
          [`POST ${U}/v1/chat/completions`]: {
            status: 500,
            body: fixture('upstreams/llama-tools-need-jinja.json'),
          },
        }),
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/refuses tools: "tools param requires --jinja flag"/);
    expect(r.fix?.commands[0]).toMatch(/--jinja/);
  });

  it('fails when tool calls come back as DeepSeek markup text', async () => {
    const r = await run(
      upstreamToolsCheck,
      ctxWith(
        llamaServerHttp(U, {
          [`POST ${U}/v1/chat/completions`]: { body: fixture('upstreams/llama-tool-call-as-text.json') },
        }),
      ),
    );
    expect(r).toMatchObject({ status: 'fail', data: { toolCallAsText: true } });
    expect(r.summary).toMatch(/returns tool calls as text/);
  });

  it('fails on vLLM without --enable-auto-tool-choice (tool_choice auto rejected), passes with it', async () => {
    const broken = vllmHttp({
      [`POST ${V}/v1/chat/completions`]: (body) => {
        const req = JSON.parse(body ?? '{}');
        if (req.tool_choice === 'auto')
          return { status: 400, body: fixture('upstreams/vllm-auto-tool-choice-error.json') };
        return { body: json('vllm-tools-required.json') };
      },
    });
    const r = await run(upstreamToolsCheck, ctxWith(broken, {}, V));
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/rejects tool_choice "auto".*--enable-auto-tool-choice/);
    expect(r.fix?.commands[0]).toMatch(/--enable-auto-tool-choice --tool-call-parser deepseek_v3/);
    const ok = await run(upstreamToolsCheck, ctxWith({ ...vllmHttp(), ...vllmChatHttp() }, {}, V));
    expect(ok.status).toBe('pass');
  });

  it('passes on Ollama and fails when the upstream is down', async () => {
    expect(
      (await run(upstreamToolsCheck, ctxWith({ ...ollamaHttp(), ...ollamaChatHttp() }, {}, O))).status,
    ).toBe('pass');
    const down = await run(upstreamToolsCheck, ctxWith({ [U]: 'refused' }));
    expect(down.status).toBe('fail');
    expect(down.fix?.commands[0]).toMatch(/--jinja/);
  });
});
