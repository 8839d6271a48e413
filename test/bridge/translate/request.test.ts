import { describe, expect, it } from 'vitest';
import { type MessagesRequest, messagesRequestSchema } from '../../../src/bridge/anthropic/schema.js';
import { convertMessagesRequest } from '../../../src/bridge/translate/request.js';

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

const png = { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' };

describe('convertMessagesRequest: system prompt', () => {
  it('joins system blocks with blank lines, drops cache_control and the billing header line', () => {
    const { request } = convert({
      system: [
        { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.331; cch=abc;' },
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Be terse.' },
      ],
    });
    expect(request.messages[0]).toEqual({ role: 'system', content: 'You are Claude Code.\n\nBe terse.' });
  });

  it('folds role:system messages the same way whether sent as string or blocks', () => {
    const asString = convert({
      messages: [
        { role: 'user', content: 'first' },
        { role: 'system', content: 'note A' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'second' },
      ],
    }).request;
    const asBlocks = convert({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'first' }] },
        { role: 'system', content: [{ type: 'text', text: 'note A' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
        { role: 'user', content: [{ type: 'text', text: 'second' }] },
      ],
    }).request;
    expect(asBlocks.messages).toEqual(asString.messages);
    // No system message at all; the late one becomes a reminder at the end of the preceding user
    // turn, so that turn reads the same in every later request (prefix cache).
    expect(asString.messages.filter((m) => m.role === 'system')).toHaveLength(0);
    expect(asString.messages[0]).toEqual({
      role: 'user',
      content: 'first\n\n<system-reminder>\nnote A\n</system-reminder>',
    });
    expect(asString.messages.at(-1)).toEqual({ role: 'user', content: 'second' });
  });

  it('keeps earlier messages byte-identical as the conversation grows', () => {
    const turn1 = [
      { role: 'user', content: 'first' },
      { role: 'system', content: 'environment block' },
    ];
    const turn2 = [...turn1, { role: 'assistant', content: 'answer' }, { role: 'user', content: 'second' }];
    const a = convert({ messages: turn1 }).request.messages;
    const b = convert({ messages: turn2 }).request.messages;
    expect(b.slice(0, a.length)).toEqual(a);
  });

  it('puts a system message before any turn into the system prompt, and a trailing one into the last user turn', () => {
    const { request } = convert({
      system: 'base',
      messages: [
        { role: 'system', content: 'early' },
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
        { role: 'system', content: 'late' },
      ],
    });
    expect(request.messages[0]).toEqual({ role: 'system', content: 'base\n\nearly' });
    expect(request.messages[1]).toEqual({
      role: 'user',
      content: 'q\n\n<system-reminder>\nlate\n</system-reminder>',
    });
  });

  it('keeps a system message between a tool result and the next turn out of the tool message', () => {
    const { request } = convert({
      messages: [
        { role: 'user', content: 'do it' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt' }] },
        { role: 'system', content: 'reminder' },
        { role: 'user', content: 'next' },
      ],
    });
    expect(request.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user', 'user']);
    expect(request.messages[2]).toEqual({ role: 'tool', tool_call_id: 'toolu_1', content: 'a.txt' });
    expect(request.messages[3]).toEqual({
      role: 'user',
      content: '<system-reminder>\nreminder\n</system-reminder>',
    });
  });
});

describe('convertMessagesRequest: content', () => {
  it('sends images as data URIs or URLs', () => {
    const { request } = convert({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image', source: png },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(request.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
      ],
    });
  });

  it('makes one tool message per result, marks errors, moves images and sibling text after them', () => {
    const { request, warnings } = convert({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_a', name: 'Read', input: { file_path: '/a.png' } },
            { type: 'tool_use', id: 'toolu_b', name: 'Bash', input: { command: 'false' } },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_a',
              content: [
                { type: 'text', text: 'the image:' },
                { type: 'image', source: png },
              ],
            },
            { type: 'tool_result', tool_use_id: 'toolu_b', content: 'exit 1', is_error: true },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_c',
              content: [{ type: 'tool_reference', tool_name: 'WebFetch' }],
            },
            { type: 'document', source: { type: 'text', data: 'x' } },
            { type: 'text', text: 'continue' },
          ],
        },
      ],
    });
    expect(request.messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_a', content: 'the image:\n[image 1 attached below]' },
      { role: 'tool', tool_call_id: 'toolu_b', content: '[tool error]\nexit 1' },
      { role: 'tool', tool_call_id: 'toolu_c', content: 'Tool WebFetch is now available.' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'text', text: 'continue' },
        ],
      },
    ]);
    expect(warnings.join()).toMatch(/document/);
  });

  it('converts assistant text, thinking and tool calls; drops redacted thinking and empty text', () => {
    const { request } = convert({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I should list files.', signature: 'dsb1.x' },
            { type: 'redacted_thinking', data: 'abc' },
            { type: 'text', text: '' },
            { type: 'text', text: 'Listing.' },
            { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
            {
              type: 'tool_use',
              id: 'toolu_2',
              name: 'Write',
              input: { __unparsedToolInput: { raw: '{"file_path": "/a", "con' } },
            },
          ],
        },
      ],
    });
    expect(request.messages[1]).toEqual({
      role: 'assistant',
      content: 'Listing.',
      reasoning_content: 'I should list files.',
      tool_calls: [
        { id: 'toolu_1', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } },
        {
          id: 'toolu_2',
          type: 'function',
          function: { name: 'Write', arguments: '{"file_path": "/a", "con' },
        },
      ],
    });
  });

  it('asks the reasoning cache for a tool-call turn whose thinking the client dropped', () => {
    const { request } = convert(
      {
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_9', name: 'Bash', input: {} }] },
        ],
      },
      { reasoningFor: (ids) => (ids.includes('toolu_9') ? 'remembered' : undefined) },
    );
    expect(request.messages[1]).toMatchObject({ reasoning_content: 'remembered', content: null });
  });
});

describe('convertMessagesRequest: tools and parameters', () => {
  it('maps sampling parameters, stop sequences, user id, streaming usage and output format', () => {
    const { request } = convert({
      stream: true,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    });
    expect(request).toMatchObject({
      model: 'deepseek',
      max_tokens: 32000,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop: ['END'],
      user: 'u1',
      response_format: { type: 'json_schema', json_schema: { name: 'output', schema: { type: 'object' } } },
    });
  });

  it('turns thinking on and off per upstream style', () => {
    expect(convert({ thinking: { type: 'adaptive' } }).request.chat_template_kwargs).toEqual({
      thinking: true,
    });
    expect(convert({ thinking: { type: 'disabled' } }).request.chat_template_kwargs).toEqual({
      thinking: false,
    });
    const api = convert(
      { thinking: { type: 'enabled', budget_tokens: 1000 }, output_config: { effort: 'high' } },
      { thinkingStyle: 'deepseek-api' },
    ).request;
    expect(api.thinking).toEqual({ type: 'enabled' });
    expect(api.reasoning_effort).toBe('high');
    expect(
      convert({ thinking: { type: 'adaptive' } }, { thinkingStyle: 'none' }).request.chat_template_kwargs,
    ).toBeUndefined();
  });

  it('uses the clamped max_tokens when given', () => {
    expect(convert({}, { maxTokens: 4096 }).request.max_tokens).toBe(4096);
  });
});
