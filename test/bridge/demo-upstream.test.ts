// The demo upstream calls a tool under tool_choice auto only on the explicit `[[call:Name]]` marker:
// a tool name inside ordinary text ("thread" contains "Read", a file that says "Bash") is not a
// request to call it. `dsb probe --long-context` with a Python file full of such words must fit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CONTEXT,
  DEMO_MODEL,
  type DemoUpstream,
  startDemoUpstream,
} from '../../src/bridge/demo-upstream.js';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { runProbe } from '../../src/probe/run.js';
import { parseSse } from '../../src/probe/sse.js';

let demo: DemoUpstream;
let bridge: RunningBridge;
let dir: string;
beforeAll(async () => {
  demo = await startDemoUpstream();
  bridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 } }),
    demo: true,
    logger: silentLogger,
  });
  dir = mkdtempSync(join(tmpdir(), 'dsb-demo-tools-'));
});
afterAll(async () => {
  await Promise.all([demo?.close(), bridge?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const tool = (name: string) => ({
  type: 'function',
  function: { name, parameters: { type: 'object', properties: { file_path: { type: 'string' } } } },
});

async function ask(content: string, toolChoice?: unknown) {
  const res = await fetch(`${demo.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'dsb-demo',
      messages: [{ role: 'user', content }],
      tools: [tool('Read'), tool('Bash')],
      ...(toolChoice ? { tool_choice: toolChoice } : {}),
    }),
  });
  const body = (await res.json()) as {
    choices: Array<{
      finish_reason: string;
      message: { tool_calls?: Array<{ function: { name: string } }> };
    }>;
  };
  const choice = body.choices[0]!;
  return {
    finish: choice.finish_reason,
    calls: (choice.message.tool_calls ?? []).map((c) => c.function.name),
  };
}

describe('demo upstream tool calls', () => {
  it('auto: tool names in the text do not trigger a call', async () => {
    expect(await ask('Read this thread, then explain why Bash quoting is hard.')).toEqual({
      finish: 'stop',
      calls: [],
    });
  });

  it('auto: the explicit marker does', async () => {
    expect(await ask('Please [[call:Read]] and [[call:Bash]]')).toEqual({
      finish: 'tool_calls',
      calls: ['Read', 'Bash'],
    });
  });

  it('a named tool_choice calls that tool; required calls one', async () => {
    expect(await ask('anything', { type: 'function', function: { name: 'Bash' } })).toEqual({
      finish: 'tool_calls',
      calls: ['Bash'],
    });
    expect((await ask('anything', 'required')).calls).toEqual(['Read']);
  });

  it('probe --long-context with a large Python file that names tools everywhere: fits, not tool_use', async () => {
    const lines = Array.from({ length: 900 }, (_, i) =>
      i % 4 === 0
        ? `def read_thread_${i}(self, args):  # Read the thread, then Bash it, Edit and Write`
        : `    self._actions.append(Read(args, thread=${i}))  # Bash Grep Glob WebFetch TodoWrite`,
    );
    const path = join(dir, 'argparse_like.py');
    const content = `${lines.join('\n')}\n`;
    writeFileSync(path, content);
    const report = await runProbe({
      url: bridge.url,
      model: 'claude-sonnet-4-5',
      maxTokens: 32_000,
      timeoutMs: 20_000,
      longContext: { path, content },
    });
    const lc = report.longContext!;
    expect(lc.promptTokens).toBeGreaterThan(15_000);
    expect(lc.outcome === 'fit' || lc.outcome === 'clamped').toBe(true);
    expect(lc.status).toBe('pass');
    expect(report.ok).toBe(true);
  });
});

/** A chat request to the demo: status and parsed JSON (or SSE frames when streamed). */
async function chat(body: Record<string, unknown>) {
  const res = await fetch(`${demo.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: DEMO_MODEL, ...body }),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field, as JSON
  const json: any = body.stream ? undefined : JSON.parse(text);
  return { status: res.status, json, text };
}
const user = (content: string) => [{ role: 'user', content }];

describe('demo upstream: the llama-server endpoints', () => {
  it('answers /health, /v1/models (and /models) and /props with its model and context', async () => {
    expect(await (await fetch(`${demo.url}/health`)).json()).toEqual({ status: 'ok' });
    for (const p of ['/v1/models', '/models']) {
      const models = (await (await fetch(`${demo.url}${p}`)).json()) as {
        data: Array<{ id: string; meta: { n_ctx: number } }>;
      };
      expect(models.data[0]).toMatchObject({ id: DEMO_MODEL, meta: { n_ctx: DEMO_CONTEXT } });
    }
    const props = (await (await fetch(`${demo.url}/props`)).json()) as {
      default_generation_settings: { n_ctx: number };
    };
    expect(props.default_generation_settings.n_ctx).toBe(DEMO_CONTEXT);
  });

  it("anything else is a 404 in llama-server's shape", async () => {
    const res = await fetch(`${demo.url}/v1/embeddings`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 404, type: 'not_found_error' } });
  });

  it('a body that is not JSON, or has no messages, is a 400', async () => {
    const bad = await fetch(`${demo.url}/v1/chat/completions`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const empty = await chat({});
    expect(empty.status).toBe(400);
    expect(empty.json.error.message).toBe("'messages' is required");
  });

  it('a prompt past its context is refused as llama-server does (exceed_context_size_error)', async () => {
    const r = await chat({ messages: user('word '.repeat(DEMO_CONTEXT * 2)) });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: 'exceed_context_size_error', n_ctx: DEMO_CONTEXT });
    expect(r.json.error.n_prompt_tokens).toBeGreaterThanOrEqual(DEMO_CONTEXT);
  });
});

describe('demo upstream: what it answers', () => {
  it('echoes the user (system reminders removed), with usage that adds up', async () => {
    const r = await chat({ messages: user('<system-reminder>hidden</system-reminder>hi there') });
    expect(r.json.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { role: 'assistant', content: 'Hello from the dsb demo upstream. You said: "hi there"' },
    });
    const u = r.json.usage;
    expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
  });

  it('reasons when the chat template is asked to think; max_tokens cuts the answer with length', async () => {
    const thinking = await chat({
      messages: user('one two three'),
      chat_template_kwargs: { thinking: true },
    });
    expect(thinking.json.choices[0].message.reasoning_content).toBe(
      'The user wrote 3 words. I will answer briefly.',
    );
    const cut = await chat({ messages: user('hello'), max_tokens: 2 });
    expect(cut.json.choices[0].finish_reason).toBe('length');
    expect(cut.json.choices[0].message.content).toBe('Hello from');
  });

  it('after tool results, it reports what the tools returned', async () => {
    const r = await chat({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'Read', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'file body' },
      ],
      tools: [tool('Read')],
    });
    expect(r.json.choices[0].message.content).toBe('The tool returned: file body');
  });

  it('tool arguments fill the required properties by type; one call when parallel calls are off', async () => {
    const typed = {
      type: 'function',
      function: {
        name: 'Edit',
        parameters: {
          type: 'object',
          properties: {
            file_path: { type: 'string' },
            count: { type: 'integer' },
            mode: { enum: ['a', 'b'] },
            flag: { type: 'boolean' },
          },
          required: ['file_path', 'count', 'mode', 'flag'],
        },
      },
    };
    const r = await chat({
      messages: user('[[call:Edit]] [[call:Read]]'),
      tools: [typed, tool('Read')],
      parallel_tool_calls: false,
    });
    const calls = r.json.choices[0].message.tool_calls;
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0].function.arguments)).toEqual({
      file_path: 'demo.txt',
      count: 1,
      mode: 'a',
      flag: true,
    });
    const none = await chat({ messages: user('[[call:Read]]'), tools: [tool('Read')], tool_choice: 'none' });
    expect(none.json.choices[0].finish_reason).toBe('stop');
  });

  it('streams as llama-server does: role chunk, pieces, arguments in fragments, finish, usage when asked, [DONE]', async () => {
    const r = await chat({
      messages: user('[[call:Read]]'),
      tools: [tool('Read')],
      stream: true,
      stream_options: { include_usage: true },
    });
    const frames = parseSse(r.text).map((f) => f.data);
    expect(frames.at(-1)).toBe('[DONE]');
    // biome-ignore lint/suspicious/noExplicitAny: frames are read field by field, as JSON
    const chunks = frames.slice(0, -1) as any[];
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: null });
    const args = chunks
      .flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
      .map((t: { function: { arguments: string } }) => t.function.arguments)
      .join('');
    expect(JSON.parse(args)).toEqual({ file_path: 'demo.txt' });
    expect(chunks.at(-2).choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
  });
});
