// fast-check generators for the reliability properties: upstream chunks (OpenAI chat completion
// chunks as real servers send them, mixed with every kind of wrong value a broken server could put
// in each field) and Anthropic Messages requests (valid ones as Claude Code sends them, and junk at
// every level).
import fc from 'fast-check';

/** Any JSON value, small. */
export const json = fc.jsonValue({ maxDepth: 2 });

/** Text the way it can arrive: ASCII, any code point (lone surrogates too), emoji and CJK graphemes. */
export const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\n', '{', '"', '}', '\\', '\u0000', 'é', '中文', '🙂') },
);

/** Either a well-typed value or any JSON value in its place. */
const orJunk = <T>(good: fc.Arbitrary<T>, goodWeight = 4) =>
  fc.oneof({ weight: goodWeight, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: json });

/** Argument fragments: pieces of JSON objects, as tool calls stream them. */
const argumentFragment = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '{"',
    '":',
    '"path"',
    ': "a.txt"',
    ',',
    '"n": 1',
    '[',
    ']',
    '{}',
    '{"a":{"b":[1,2',
  ),
  text,
);

const toolCallDelta = fc.record(
  {
    index: orJunk(fc.nat(3)),
    id: orJunk(fc.constantFrom('call_1', 'call_2', 'toolu_3', '')),
    type: orJunk(fc.constant('function')),
    function: orJunk(
      fc.record(
        {
          name: orJunk(
            fc.constantFrom(
              'Read',
              'Bash',
              'Edit',
              'mcp__very_long_server_name__and_a_very_long_tool_name_past_64_chars',
            ),
          ),
          arguments: orJunk(argumentFragment),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

const delta = fc.record(
  {
    role: orJunk(fc.constant('assistant')),
    content: orJunk(fc.oneof(text, fc.constant(null))),
    reasoning_content: orJunk(fc.oneof(text, fc.constant(null))),
    reasoning: orJunk(text),
    tool_calls: orJunk(fc.array(orJunk(toolCallDelta, 6), { maxLength: 2 })),
  },
  { requiredKeys: [] },
);

const finishReason = orJunk(
  fc.constantFrom('stop', 'length', 'tool_calls', 'content_filter', 'function_call', null),
);

const choice = fc.record(
  {
    index: orJunk(fc.constant(0)),
    delta: orJunk(delta, 8),
    finish_reason: finishReason,
    stop_reason: orJunk(fc.oneof(fc.constant(null), text)),
  },
  { requiredKeys: [] },
);

const usage = fc.record(
  {
    prompt_tokens: orJunk(fc.nat(100_000)),
    completion_tokens: orJunk(fc.nat(100_000)),
    total_tokens: orJunk(fc.nat(200_000)),
    prompt_tokens_details: orJunk(
      fc.record({ cached_tokens: orJunk(fc.nat(100_000)) }, { requiredKeys: [] }),
    ),
    prompt_cache_hit_tokens: orJunk(fc.nat(100_000)),
  },
  { requiredKeys: [] },
);

export const chunk = fc.record(
  {
    id: orJunk(fc.constant('chatcmpl-1')),
    object: orJunk(fc.constant('chat.completion.chunk')),
    choices: orJunk(fc.array(orJunk(choice, 8), { maxLength: 2 }), 8),
    usage: orJunk(fc.oneof(usage, fc.constant(null))),
    // Rare: any truthy `error` ends the stream, and a generator that ends most streams at their
    // first chunk would seldom reach the tool-call and usage paths the other fields test.
    error: fc.oneof(
      { weight: 15, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.oneof(json, fc.record({ message: text, code: fc.nat(600) })) },
    ),
    timings: json,
  },
  { requiredKeys: [] },
);

/** A non-streaming chat completion body: a choice carries a whole `message` instead of a delta. */
export const completionBody = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        id: orJunk(fc.constant('chatcmpl-1')),
        model: orJunk(fc.constant('m')),
        choices: orJunk(
          fc.array(
            orJunk(
              fc.record(
                {
                  index: orJunk(fc.constant(0)),
                  message: orJunk(delta, 8),
                  finish_reason: finishReason,
                  stop_reason: orJunk(fc.oneof(fc.constant(null), text)),
                },
                { requiredKeys: [] },
              ),
              8,
            ),
            { maxLength: 2 },
          ),
          8,
        ),
        usage: orJunk(fc.oneof(usage, fc.constant(null))),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: json },
);

/** One SSE `data:` payload: mostly chunks, sometimes `[DONE]`, junk text or any JSON. */
export const payload = fc.oneof(
  { weight: 30, arbitrary: chunk.map((c) => JSON.stringify(c)) },
  { weight: 1, arbitrary: fc.constant('[DONE]') },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: json.map((v) => JSON.stringify(v)) },
);

/** A stream that ends like a healthy server's: finish_reason, usage, [DONE]. */
export const wellEnded = fc
  .tuple(fc.array(payload, { maxLength: 12 }), fc.constantFrom('stop', 'length', 'tool_calls'))
  .map(([body, finish]) => [
    ...body,
    JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: finish }] }),
    JSON.stringify({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 3 } }),
    '[DONE]',
  ]);

/** SSE text for a list of payloads, with the framing variations servers use. */
export const sseText = (
  payloads: string[],
  style: { crlf: boolean; comments: boolean; eventLines: boolean },
) => {
  const nl = style.crlf ? '\r\n' : '\n';
  let out = style.comments ? `: ping${nl}${nl}` : '';
  for (const p of payloads) {
    if (style.eventLines) out += `event: message${nl}`;
    // A payload with a line break must be sent as several data lines (SSE joins them with \n).
    out += `${p
      .split(/\r\n|\r|\n/)
      .map((line) => `data: ${line}`)
      .join(nl)}${nl}${nl}`;
    if (style.comments) out += `: keep-alive${nl}`;
  }
  return out;
};

export const sseStyle = fc.record({ crlf: fc.boolean(), comments: fc.boolean(), eventLines: fc.boolean() });

// ----------------------------------------------------------------------------------------------
// Anthropic requests
// ----------------------------------------------------------------------------------------------

/** Names that are also Object.prototype members: a lookup in a plain object finds something for them. */
const prototypeNames = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'] as const;

/** Model names, including the ones that are also Object.prototype members. */
export const modelName = fc.oneof(
  fc.constantFrom('claude-sonnet-4-5', 'claude-opus-4-5', 'claude-haiku-4-5', ...prototypeNames),
  text,
);

const source = fc.oneof(
  fc.record({
    type: fc.constant('base64'),
    media_type: fc.constantFrom('image/png', 'image/jpeg'),
    data: fc.base64String({ maxLength: 16 }),
  }),
  fc.record({ type: fc.constant('url'), url: fc.webUrl() }),
  fc.record({ type: text }, { requiredKeys: [] }),
  json,
);

const cacheControl = fc.oneof(fc.constant(undefined), fc.constant({ type: 'ephemeral' }), json);

/** A thinking block: well-formed in shape, its signature forged or junk (both block generators). */
const thinkingBlock = fc.record(
  {
    type: fc.constant('thinking'),
    thinking: text,
    signature: fc.oneof(text, fc.constant('dsb1.forged')),
  },
  { requiredKeys: ['type', 'thinking'] },
);

const innerBlock = fc.oneof(
  fc.record({ type: fc.constant('text'), text }),
  fc.record({ type: fc.constant('image'), source }),
  fc.record({ type: fc.constantFrom('tool_reference'), tool_name: text }),
  fc.record({ type: fc.constantFrom('document', 'search_result', 'unknown_block', ...prototypeNames) }),
  json,
);

export const block = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      { type: fc.constant('text'), text, cache_control: cacheControl },
      { requiredKeys: ['type', 'text'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('image'), source }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('tool_use'),
      id: fc.oneof(fc.constantFrom('toolu_01', 'toolu_02', 'call_x'), text),
      name: fc.oneof(fc.constantFrom('Read', 'Bash', 'x'.repeat(80)), text),
      input: fc.oneof(json, fc.record({ __unparsedToolInput: fc.record({ raw: fc.oneof(text, json) }) })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        type: fc.constant('tool_result'),
        tool_use_id: fc.oneof(fc.constantFrom('toolu_01', 'toolu_02'), text),
        content: fc.oneof(text, fc.array(innerBlock, { maxLength: 3 }), json),
        is_error: fc.oneof(fc.boolean(), json),
      },
      { requiredKeys: ['type', 'tool_use_id'] },
    ),
  },
  { weight: 1, arbitrary: thinkingBlock },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constantFrom(
        'redacted_thinking',
        'document',
        'server_tool_use',
        'web_search_tool_result',
        'container_upload',
        ...prototypeNames,
      ),
      data: text,
    }),
  },
  { weight: 1, arbitrary: json },
);

export const message = fc.record({
  role: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('user', 'assistant', 'system') },
    { weight: 1, arbitrary: json },
  ),
  content: fc.oneof(
    { weight: 2, arbitrary: text },
    { weight: 4, arbitrary: fc.array(block, { maxLength: 4 }) },
    { weight: 1, arbitrary: json },
  ),
});

const tool = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        name: fc.oneof(
          fc.constantFrom('Read', 'Bash', 'DeferredToolPlaceholder', `mcp__${'x'.repeat(70)}`),
          text,
        ),
        description: fc.oneof(text, json),
        input_schema: fc.oneof(
          fc.constant({
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            type: 'object',
            properties: { path: { type: 'string' } },
            required: ['path'],
          }),
          fc.dictionary(text, json, { maxKeys: 3 }),
          json,
        ),
        type: fc.oneof(
          fc.constant(undefined),
          fc.constantFrom('custom', 'web_search_20250305', 'bash_20250124'),
          json,
        ),
        defer_loading: fc.oneof(fc.boolean(), json),
        cache_control: cacheControl,
      },
      { requiredKeys: ['name'] },
    ),
  },
  { weight: 1, arbitrary: json },
);

export const anthropicRequest = fc.record(
  {
    model: fc.oneof({ weight: 6, arbitrary: modelName }, { weight: 1, arbitrary: json }),
    max_tokens: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 128_000 }) },
      { weight: 1, arbitrary: json },
    ),
    messages: fc.oneof(
      { weight: 8, arbitrary: fc.array(message, { maxLength: 6 }) },
      { weight: 1, arbitrary: json },
    ),
    system: fc.oneof(text, fc.array(block, { maxLength: 3 }), json),
    stream: fc.oneof(fc.boolean(), json),
    temperature: fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }), json),
    top_p: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), json),
    top_k: fc.oneof(fc.nat(100), json),
    stop_sequences: fc.oneof(fc.array(text, { maxLength: 3 }), json),
    tools: fc.oneof(
      { weight: 4, arbitrary: fc.array(tool, { maxLength: 3 }) },
      { weight: 1, arbitrary: json },
    ),
    tool_choice: fc.oneof(
      fc.record(
        {
          type: fc.constantFrom('auto', 'any', 'tool', 'none'),
          name: fc.oneof(fc.constantFrom('Read', 'Missing'), text),
          disable_parallel_tool_use: fc.boolean(),
        },
        { requiredKeys: ['type'] },
      ),
      json,
    ),
    thinking: fc.oneof(
      fc.record(
        { type: fc.constantFrom('enabled', 'disabled', 'adaptive'), budget_tokens: fc.nat(32_000) },
        { requiredKeys: ['type'] },
      ),
      json,
    ),
    metadata: fc.oneof(fc.record({ user_id: fc.oneof(text, fc.constant(null)) }, { requiredKeys: [] }), json),
    output_config: fc.oneof(
      fc.record(
        {
          effort: fc.constantFrom('low', 'medium', 'high'),
          format: fc.oneof(fc.constant(null), fc.record({ type: fc.constant('json_schema'), schema: json })),
        },
        { requiredKeys: [] },
      ),
      json,
    ),
    context_management: json,
    anything_new: json,
  },
  { requiredKeys: ['model', 'max_tokens', 'messages'] },
);

/** What a client can put in a body: a request-like object, any JSON, or text that is not JSON. */
export const requestBody = fc.oneof(
  { weight: 8, arbitrary: anthropicRequest.map((r) => JSON.stringify(r)) },
  { weight: 1, arbitrary: json.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: anthropicRequest.map((r) => JSON.stringify(r).slice(0, -3)) },
);

/** Requests the schema accepts (every known field well typed), shaped like Claude Code's. */
const validSource = fc.oneof(
  fc.record({
    type: fc.constant('base64'),
    media_type: fc.constantFrom('image/png', 'image/jpeg'),
    data: fc.base64String({ maxLength: 16 }),
  }),
  fc.record({ type: fc.constant('url'), url: fc.webUrl() }),
  fc.record({ type: fc.constantFrom('file', 'unknown') }),
);
const nonEmpty = fc.oneof(
  fc.constantFrom('Read', 'toolu_01', 'x'),
  fc.string({ minLength: 1, maxLength: 8 }),
);
const validBlock = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      { type: fc.constant('text'), text, cache_control: fc.constant({ type: 'ephemeral' }) },
      { requiredKeys: ['type', 'text'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('image'), source: validSource }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('tool_use'),
      id: nonEmpty,
      name: fc.oneof(nonEmpty, fc.constant('y'.repeat(90))),
      input: fc.oneof(json, fc.record({ __unparsedToolInput: fc.record({ raw: fc.oneof(text, json) }) })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        type: fc.constant('tool_result'),
        tool_use_id: nonEmpty,
        content: fc.oneof(
          text,
          fc.array(
            innerBlock.filter(
              (b) =>
                typeof b === 'object' &&
                b !== null &&
                !Array.isArray(b) &&
                typeof (b as { type?: unknown }).type === 'string',
            ),
            { maxLength: 3 },
          ),
        ),
        is_error: fc.boolean(),
      },
      { requiredKeys: ['type', 'tool_use_id'] },
    ),
  },
  { weight: 1, arbitrary: thinkingBlock },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constantFrom(
        'redacted_thinking',
        'document',
        'server_tool_use',
        'web_search_tool_result',
        ...prototypeNames,
      ),
      data: text,
    }),
  },
);
const validMessage = fc.record({
  role: fc.constantFrom('user', 'user', 'assistant', 'assistant', 'system'),
  content: fc.oneof(
    { weight: 1, arbitrary: text },
    { weight: 3, arbitrary: fc.array(validBlock, { maxLength: 4 }) },
  ),
});
const validTool = fc.record(
  {
    name: fc.oneof(
      fc.constantFrom('Read', 'Bash', 'DeferredToolPlaceholder', `mcp__${'x'.repeat(70)}`),
      fc.string({ minLength: 1, maxLength: 10 }),
    ),
    description: text,
    input_schema: fc.oneof(
      fc.constant({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { path: { type: 'string' } },
      }),
      fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 3 }),
    ),
    type: fc.constantFrom('custom', 'web_search_20250305', 'bash_20250124'),
    defer_loading: fc.boolean(),
  },
  { requiredKeys: ['name'] },
);
export const validRequest = fc.record(
  {
    model: fc.oneof(
      modelName.filter((m) => m.length > 0),
      fc.constant('claude-sonnet-4-5'),
    ),
    max_tokens: fc.integer({ min: 1, max: 128_000 }),
    messages: fc.array(validMessage, { maxLength: 6 }),
    system: fc.oneof(text, fc.array(validBlock, { maxLength: 3 })),
    stream: fc.boolean(),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    top_k: fc.nat(100),
    stop_sequences: fc.array(text, { maxLength: 2 }),
    tools: fc.array(validTool, { maxLength: 3 }),
    tool_choice: fc.record(
      {
        type: fc.constantFrom('auto', 'any', 'tool', 'none'),
        name: fc.constantFrom('Read', 'Missing'),
        disable_parallel_tool_use: fc.boolean(),
      },
      { requiredKeys: ['type'] },
    ),
    thinking: fc.record(
      { type: fc.constantFrom('enabled', 'disabled', 'adaptive'), budget_tokens: fc.nat(32_000) },
      { requiredKeys: ['type'] },
    ),
    metadata: fc.record({ user_id: fc.oneof(text, fc.constant(null)) }, { requiredKeys: [] }),
    output_config: fc.record(
      {
        effort: fc.constantFrom('low', 'medium', 'high'),
        format: fc.oneof(fc.constant(null), fc.record({ type: fc.constant('json_schema'), schema: json })),
      },
      { requiredKeys: [] },
    ),
    context_management: json,
  },
  { requiredKeys: ['model', 'max_tokens', 'messages'] },
);

/** Bodies for the HTTP property: mostly valid requests, then near-misses and junk. */
export const clientBody = fc.oneof(
  { weight: 6, arbitrary: validRequest.map((r) => JSON.stringify(r)) },
  { weight: 3, arbitrary: requestBody },
);
