// DeepSeek reasoning through the bridge (design.md §4.6): reasoning_content becomes signed thinking;
// the real reasoning is re-injected when a tool-call turn comes back without it; a placeholder only
// on a cache miss, and only for upstreams that need one; forced tool_choice in thinking mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import {
  type FakeUpstream,
  type ScriptedTurn,
  startScriptedUpstream,
} from '../support/fake-upstream/index.js';

const REASONING = 'The user wants a file, so I will call Write with the path.';
const writeTool = {
  name: 'Write',
  description: 'Write a file',
  input_schema: {
    type: 'object',
    properties: { file_path: { type: 'string' }, content: { type: 'string' } },
    required: ['file_path', 'content'],
  },
};

/** Like DeepSeek's API: a tool-call turn sent back without reasoning_content is refused. */
function deepseekLike(turns: ScriptedTurn[]) {
  return (request: { body: { messages: Array<Record<string, unknown>> } }, index: number): ScriptedTurn => {
    const missing = request.body.messages.findIndex(
      (m) => m.role === 'assistant' && m.tool_calls && !m.reasoning_content,
    );
    if (missing >= 0) {
      return {
        error: {
          status: 400,
          body: {
            error: {
              message: `Missing \`reasoning_content\` field in the assistant message at message index ${missing}`,
              type: 'invalid_request_error',
            },
          },
        },
      };
    }
    return turns[Math.min(index, turns.length - 1)]!;
  };
}

let upstream: FakeUpstream;
let bridge: RunningBridge;
let apiBridge: RunningBridge;

beforeAll(async () => {
  upstream = await startScriptedUpstream({
    script: deepseekLike([
      {
        reasoning: REASONING,
        toolCalls: [
          { name: 'Write', arguments: { file_path: '/tmp/x.txt', content: 'hi' }, id: 'callabc123' },
        ],
      },
      { text: 'Done.' },
    ]) as never,
  });
  bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0 },
      upstreams: [{ url: upstream.url, kind: 'llama.cpp' }],
    }),
    logger: silentLogger,
  });
  apiBridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0 },
      upstreams: [{ url: upstream.url, kind: 'deepseek-api', model: 'deepseek-v4-pro' }],
    }),
    logger: silentLogger,
  });
});
afterAll(async () => {
  await bridge?.close();
  await apiBridge?.close();
  await upstream?.close();
});

async function messages(target: RunningBridge, body: Record<string, unknown>) {
  const res = await fetch(`${target.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, tools: [writeTool], ...body }),
  });
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown> & { content: Array<Record<string, unknown>> },
  };
}

describe('reasoning replay', () => {
  it('turns reasoning_content into a signed thinking block, and re-injects it when the client drops it', async () => {
    const first = await messages(bridge, {
      thinking: { type: 'enabled', budget_tokens: 1000 },
      messages: [{ role: 'user', content: 'write x.txt' }],
    });
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.json.content[0]).toMatchObject({
      type: 'thinking',
      thinking: REASONING,
      signature: expect.stringMatching(/^dsb1\./),
    });
    const toolUse = first.json.content.find((b) => b.type === 'tool_use')!;
    expect(toolUse.id).toBe('toolu_callabc123');
    // Claude Code sends the turn back without its thinking block (e.g. after its own context edits).
    const second = await messages(bridge, {
      thinking: { type: 'enabled', budget_tokens: 1000 },
      messages: [
        { role: 'user', content: 'write x.txt' },
        { role: 'assistant', content: [toolUse] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'ok' }] },
      ],
    });
    expect(second.status).toBe(200);
    const sent = upstream.chatRequests().at(-1)!.body.messages;
    expect(sent.find((m) => m.role === 'assistant')).toMatchObject({
      reasoning_content: REASONING,
      tool_calls: [{ id: 'toolu_callabc123' }],
    });
  });

  it('sends a placeholder on a cache miss to an upstream that requires reasoning (deepseek-api), and nothing to others', async () => {
    const turn = {
      thinking: { type: 'enabled', budget_tokens: 1000 },
      messages: [
        { role: 'user', content: 'write y.txt' },
        {
          role: 'assistant',
          content: [
            {
              type: 'tool_use',
              id: 'toolu_unknown1',
              name: 'Write',
              input: { file_path: '/y', content: 'y' },
            },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_unknown1', content: 'ok' }] },
      ],
    };
    const api = await messages(apiBridge, turn);
    expect(api.status).toBe(200);
    const sentApi = upstream.chatRequests().at(-1)!.body;
    expect(sentApi.messages.find((m) => m.role === 'assistant')!.reasoning_content).toMatch(/not available/);
    expect(sentApi.thinking).toEqual({ type: 'enabled' });
    // A llama.cpp upstream gets no invented reasoning: the DeepSeek-like fake refuses, and the
    // refusal reaches the client as a 400 in Anthropic's shape.
    const local = await messages(bridge, turn);
    expect(local.status).toBe(400);
    expect(local.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('turns thinking off for a forced tool_choice on deepseek-api, and keeps it elsewhere', async () => {
    await messages(apiBridge, {
      thinking: { type: 'enabled', budget_tokens: 1000 },
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'go' }],
    });
    const api = upstream.chatRequests().at(-1)!.body;
    expect(api.thinking).toEqual({ type: 'disabled' });
    expect(api.tool_choice).toBe('required');
    await messages(bridge, {
      thinking: { type: 'enabled', budget_tokens: 1000 },
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'go' }],
    });
    const local = upstream.chatRequests().at(-1)!.body;
    expect(local.chat_template_kwargs).toEqual({ thinking: true });
    expect(local.tool_choice).toBe('required');
  });
});
