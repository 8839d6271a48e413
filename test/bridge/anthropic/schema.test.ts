import { describe, expect, it } from 'vitest';
import {
  contentBlockSchema,
  countTokensRequestSchema,
  messagesRequestSchema,
} from '../../../src/bridge/anthropic/schema.js';

const request = (over: Record<string, unknown> = {}) => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 16,
  messages: [{ role: 'user', content: 'hi' }],
  ...over,
});
/** The paths of the issues a parse reports, as "a.b.0" strings. */
const issuePaths = (result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }) =>
  result.success ? [] : (result.error?.issues ?? []).map((i) => i.path.join('.'));

describe('messagesRequestSchema', () => {
  it('accepts unknown fields and block types without complaint', () => {
    const parsed = messagesRequestSchema.safeParse({
      model: 'x',
      max_tokens: 1,
      messages: [{ role: 'user', content: [{ type: 'future_block', foo: 1 }] }],
      context_management: { edits: [] },
      some_new_field: true,
    });
    expect(parsed.success).toBe(true);
  });

  it('keeps unknown fields in what it returns (loose objects all the way down)', () => {
    const parsed = messagesRequestSchema.parse(
      request({
        messages: [{ role: 'user', content: [{ type: 'text', text: 'a', citations: [] }] }],
        extra: 1,
      }),
    );
    expect(parsed).toMatchObject({ extra: 1, messages: [{ content: [{ citations: [] }] }] });
  });

  it('requires a model, a positive integer max_tokens and messages', () => {
    expect(issuePaths(messagesRequestSchema.safeParse(request({ model: '' })))).toEqual(['model']);
    for (const max_tokens of [0, -1, 1.5, '16', undefined])
      expect(issuePaths(messagesRequestSchema.safeParse(request({ max_tokens })))).toEqual(['max_tokens']);
    expect(issuePaths(messagesRequestSchema.safeParse(request({ messages: 'hi' })))).toEqual(['messages']);
  });

  it('role is user, assistant or system; content a string or blocks', () => {
    expect(
      messagesRequestSchema.safeParse(request({ messages: [{ role: 'system', content: 'x' }] })).success,
    ).toBe(true);
    expect(
      issuePaths(messagesRequestSchema.safeParse(request({ messages: [{ role: 'tool', content: 'x' }] }))),
    ).toEqual(['messages.0.role']);
    expect(
      issuePaths(messagesRequestSchema.safeParse(request({ messages: [{ role: 'user', content: 5 }] }))),
    ).toEqual(['messages.0.content']);
  });

  it('a negative temperature, or a tool_choice of unknown type, is refused', () => {
    expect(issuePaths(messagesRequestSchema.safeParse(request({ temperature: -0.1 })))).toEqual([
      'temperature',
    ]);
    expect(issuePaths(messagesRequestSchema.safeParse(request({ tool_choice: { type: 'some' } })))).toEqual([
      'tool_choice.type',
    ]);
    expect(issuePaths(messagesRequestSchema.safeParse(request({ tools: [{ name: '' }] })))).toEqual([
      'tools.0.name',
    ]);
  });

  it('metadata.user_id may be null (Claude Code sends it so)', () => {
    expect(messagesRequestSchema.safeParse(request({ metadata: { user_id: null } })).success).toBe(true);
    expect(messagesRequestSchema.safeParse(request({ output_config: { format: null } })).success).toBe(true);
  });
});

describe('contentBlockSchema', () => {
  it('checks known block types and points at the field that is wrong', () => {
    const bad = [
      [{ type: 'text' }, 'text'],
      [{ type: 'tool_use', id: '', name: 'Read', input: {} }, 'id'],
      [{ type: 'tool_use', id: 't1', name: '', input: {} }, 'name'],
      [{ type: 'tool_result', tool_use_id: 't1', content: 5 }, 'content'],
      [{ type: 'tool_result', tool_use_id: 't1', is_error: 'yes' }, 'is_error'],
      [{ type: 'thinking', signature: 's' }, 'thinking'],
    ] as const;
    for (const [block, path] of bad) expect(issuePaths(contentBlockSchema.safeParse(block))).toContain(path);
  });

  it('accepts the known blocks in their usual shapes', () => {
    for (const block of [
      { type: 'text', text: '', cache_control: { type: 'ephemeral' } },
      { type: 'tool_use', id: 't1', name: 'Read', input: { file_path: '/a' } },
      { type: 'tool_result', tool_use_id: 't1' },
      { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'ok' }], is_error: false },
      { type: 'thinking', thinking: 'hm' },
      { type: 'redacted_thinking', data: 'opaque' },
    ])
      expect(contentBlockSchema.safeParse(block).success).toBe(true);
  });

  it('an image source: base64 and url must be complete; other source types pass', () => {
    const image = (source: unknown) => contentBlockSchema.safeParse({ type: 'image', source });
    expect(image({ type: 'base64', media_type: 'image/png', data: 'AA==' }).success).toBe(true);
    expect(image({ type: 'url', url: 'https://x/y.png' }).success).toBe(true);
    expect(image({ type: 'file', file_id: 'f1' }).success).toBe(true);
    expect(image({ type: 'base64', media_type: 'image/png' }).success).toBe(false);
    expect(image({ type: 'url' }).success).toBe(false);
    expect(image(undefined).success).toBe(false);
  });

  it('a block needs a string type', () => {
    expect(contentBlockSchema.safeParse({ text: 'x' }).success).toBe(false);
    expect(contentBlockSchema.safeParse({ type: 3 }).success).toBe(false);
  });
});

describe('countTokensRequestSchema', () => {
  it('is the messages request without a required max_tokens (still positive when given)', () => {
    expect(countTokensRequestSchema.safeParse(request({ max_tokens: undefined })).success).toBe(true);
    expect(countTokensRequestSchema.safeParse(request({ max_tokens: 0 })).success).toBe(false);
    expect(countTokensRequestSchema.safeParse(request({ model: '' })).success).toBe(false);
  });
});
