import { describe, expect, it } from 'vitest';
import { type MessagesRequest, messagesRequestSchema } from '../../../src/bridge/anthropic/schema.js';
import { convertMessagesRequest } from '../../../src/bridge/translate/request.js';
import { convertTools, MAX_TOOL_NAME_LENGTH, ToolNameMap } from '../../../src/bridge/translate/tools.js';

const req = (over: Record<string, unknown>): MessagesRequest =>
  messagesRequestSchema.parse({
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    messages: [{ role: 'user', content: 'hi' }],
    ...over,
  });
const convert = (
  over: Record<string, unknown>,
  opts: Partial<Parameters<typeof convertMessagesRequest>[1]> = {},
) => convertMessagesRequest(req(over), { model: 'deepseek', ...opts });

describe('tools through convertMessagesRequest', () => {
  const tools = [
    {
      name: 'Bash',
      description: 'run',
      input_schema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { command: { type: 'string' } },
      },
    },
    { name: 'DeferredToolPlaceholder', input_schema: { type: 'object' }, defer_loading: true },
    { name: 'web_search', type: 'web_search_20250305' },
    {
      name: `mcp__very_long_server_name__${'t'.repeat(60)}`,
      input_schema: { type: 'object', properties: {} },
    },
  ];

  it('maps tools, strips $schema, drops placeholders and server tools, shortens long names', () => {
    const { request, warnings } = convert({ tools });
    expect(request.tools?.map((t) => t.function.name)).toEqual([
      'Bash',
      expect.stringMatching(/^mcp__very_long_server_name__t+_[0-9a-f]{8}$/),
    ]);
    expect(request.tools![1]!.function.name.length).toBe(64);
    expect(request.tools![0]!.function.parameters).toEqual({
      type: 'object',
      properties: { command: { type: 'string' } },
    });
    expect(warnings.join()).toMatch(/web_search/);
  });

  it('maps tool_choice', () => {
    expect(convert({ tools, tool_choice: { type: 'auto' } }).request.tool_choice).toBe('auto');
    expect(convert({ tools, tool_choice: { type: 'any' } }).request.tool_choice).toBe('required');
    expect(convert({ tools, tool_choice: { type: 'none' } }).request.tool_choice).toBe('none');
    const named = convert({
      tools,
      tool_choice: { type: 'tool', name: 'Bash', disable_parallel_tool_use: true },
    }).request;
    expect(named.tool_choice).toBe('required');
    expect(named.tools?.map((t) => t.function.name)).toEqual(['Bash']);
    expect(named.parallel_tool_calls).toBe(false);
  });
});

describe('ToolNameMap', () => {
  it('keeps names up to 64 characters; shortens longer ones to exactly 64, the same every time', () => {
    const names = new ToolNameMap();
    const exact = 'x'.repeat(MAX_TOOL_NAME_LENGTH);
    expect(names.upstreamName(exact)).toBe(exact);
    const long = `mcp__server__${'y'.repeat(80)}`;
    const short = names.upstreamName(long);
    expect(short).toHaveLength(MAX_TOOL_NAME_LENGTH);
    expect(short).toMatch(/^mcp__server__y+_[0-9a-f]{8}$/);
    expect(names.upstreamName(long)).toBe(short);
    expect(new ToolNameMap().upstreamName(long)).toBe(short);
    expect(names.clientName(short)).toBe(long);
  });

  it('two long names with the same first 55 characters get different upstream names', () => {
    const names = new ToolNameMap();
    const prefix = 'p'.repeat(70);
    const a = names.upstreamName(`${prefix}_a`);
    const b = names.upstreamName(`${prefix}_b`);
    expect(a).not.toBe(b);
    expect(names.clientName(a)).toBe(`${prefix}_a`);
    expect(names.clientName(b)).toBe(`${prefix}_b`);
  });

  it('a name the model made up comes back as it is', () => {
    expect(new ToolNameMap().clientName('Invented')).toBe('Invented');
  });
});

describe('convertTools', () => {
  const request = (over: Record<string, unknown>) => req(over);

  it('no tools: nothing sent, and a tool_choice alone is dropped', () => {
    expect(convertTools(request({ tool_choice: { type: 'any' } }), new ToolNameMap())).toEqual({
      tools: undefined,
      toolChoice: undefined,
      parallelToolCalls: undefined,
      warnings: [],
    });
  });

  it('a tool without a schema gets an empty object schema; a schema without type gets type object', () => {
    const { tools } = convertTools(
      request({
        tools: [{ name: 'Ping' }, { name: 'Q', type: 'custom', input_schema: { properties: { a: {} } } }],
      }),
      new ToolNameMap(),
    );
    expect(tools).toEqual([
      { type: 'function', function: { name: 'Ping', parameters: { type: 'object', properties: {} } } },
      { type: 'function', function: { name: 'Q', parameters: { type: 'object', properties: { a: {} } } } },
    ]);
  });

  it('only placeholders and deferred tools: no tools and no warning; server tools warn', () => {
    const result = convertTools(
      request({
        tools: [
          { name: 'DeferredToolPlaceholder', input_schema: { type: 'object' } },
          { name: 'Later', input_schema: { type: 'object' }, defer_loading: true },
          { name: 'code', type: 'code_execution_20250522' },
        ],
        tool_choice: { type: 'auto' },
      }),
      new ToolNameMap(),
    );
    expect(result.tools).toBeUndefined();
    expect(result.toolChoice).toBeUndefined();
    expect(result.warnings).toEqual([
      'server tool code (code_execution_20250522) dropped: the upstream cannot run it',
    ]);
  });

  it('a named tool_choice for a tool not offered: all tools, auto, and a warning', () => {
    const tools = [{ name: 'Read', input_schema: { type: 'object' } }];
    const missing = convertTools(
      request({ tools, tool_choice: { type: 'tool', name: 'Write' } }),
      new ToolNameMap(),
    );
    expect(missing.toolChoice).toBe('auto');
    expect(missing.tools?.map((t) => t.function.name)).toEqual(['Read']);
    expect(missing.warnings).toEqual(['tool_choice names Write, which is not among the tools']);
    const unnamed = convertTools(request({ tools, tool_choice: { type: 'tool' } }), new ToolNameMap());
    expect(unnamed.warnings).toEqual(['tool_choice names (none), which is not among the tools']);
  });

  it('a named tool_choice matches a shortened long name', () => {
    const long = `mcp__${'z'.repeat(70)}`;
    const names = new ToolNameMap();
    const result = convertTools(
      request({ tools: [{ name: 'Read' }, { name: long }], tool_choice: { type: 'tool', name: long } }),
      names,
    );
    expect(result.toolChoice).toBe('required');
    expect(result.tools?.map((t) => names.clientName(t.function.name))).toEqual([long]);
  });

  it('parallel tool calls are turned off only when asked; left to the server otherwise', () => {
    const tools = [{ name: 'Read' }];
    expect(
      convertTools(
        request({ tools, tool_choice: { type: 'auto', disable_parallel_tool_use: false } }),
        new ToolNameMap(),
      ).parallelToolCalls,
    ).toBeUndefined();
    expect(
      convertTools(
        request({ tools, tool_choice: { type: 'any', disable_parallel_tool_use: true } }),
        new ToolNameMap(),
      ).parallelToolCalls,
    ).toBe(false);
  });
});
