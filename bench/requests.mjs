// Synthetic requests with the shape and sizes Claude Code 2.1 sends (measured on a real capture:
// three system blocks — the per-request billing line, a short identity line and ~7 KB of
// instructions, both with cache_control —, 12 tools totalling ~31 KB of JSON schema and prose,
// including DeferredToolPlaceholder, a <system-reminder> in the first user message, a `role:
// "system"` message after it, adaptive thinking, metadata.user_id, max_tokens 128000). The text is
// generated, not copied. Deterministic: the same call gives the same bytes.

/** A small deterministic PRNG (mulberry32), so the generated text is the same on every run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCAB =
  'the a tool file path read write edit run command shell output result error when before after every only never always use call return value list item agent task user project directory test build check line code function module import export string number object array option flag config server request response stream token model context prompt cache session'.split(
    ' ',
  );

function prose(random, chars) {
  let out = '';
  while (out.length < chars) {
    const n = 6 + Math.floor(random() * 14);
    const words = [];
    for (let i = 0; i < n; i++) words.push(VOCAB[Math.floor(random() * VOCAB.length)]);
    out += `${words.join(' ')}. `;
    if (random() < 0.15) out += '\n\n';
  }
  return out.slice(0, chars);
}

function codeFile(random, chars) {
  let out = '';
  let line = 1;
  while (out.length < chars) {
    const indent = '  '.repeat(Math.floor(random() * 4));
    const a = VOCAB[Math.floor(random() * VOCAB.length)];
    const b = VOCAB[Math.floor(random() * VOCAB.length)];
    const kind = random();
    const text =
      kind < 0.3
        ? `const ${a}_${b} = await ${b}(${a}, { ${a}: "${b}" });`
        : kind < 0.6
          ? `if (${a}.${b} !== undefined) return ${a};`
          : `// ${prose(random, 40)}`;
    out += `${String(line++).padStart(6)}\t${indent}${text}\n`;
  }
  return out;
}

function toolSchema(random, name, size) {
  const properties = {};
  const count = 2 + Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    const key = `${VOCAB[Math.floor(random() * VOCAB.length)]}_${i}`;
    const type = ['string', 'number', 'boolean', 'array', 'object'][i % 5];
    const prop = { type, description: prose(random, 80 + Math.floor(random() * 200)) };
    if (type === 'array') prop.items = { type: 'string' };
    if (type === 'object') prop.properties = { [VOCAB[i]]: { type: 'string' } };
    if (i === 1) prop.enum = ['one', 'two', 'three'];
    properties[key] = prop;
  }
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties,
    required: Object.keys(properties).slice(0, 1),
    additionalProperties: false,
  };
  const description = prose(random, Math.max(100, size - JSON.stringify(schema).length - name.length - 40));
  return { name, description, input_schema: schema };
}

const TOOLS = [
  ['Agent', 5244],
  ['Bash', 3892],
  ['Edit', 964],
  ['ListAgents', 1963],
  ['Read', 1919],
  ['ReportFindings', 2418],
  ['ScheduleWakeup', 4886],
  ['Skill', 1803],
  ['ToolSearch', 1439],
  ['Workflow', 5688],
  ['Write', 639],
];

/** The fixed part of every Claude Code request: system blocks, tools, first turn (~40 KB). */
function claudeCodePreamble(random, prompt) {
  const tools = TOOLS.map(([name, size]) => toolSchema(random, name, size));
  tools.splice(10, 0, {
    name: 'DeferredToolPlaceholder',
    description: 'Placeholder for tools that are loaded on demand.',
    input_schema: { type: 'object', properties: {} },
    defer_loading: true,
  });
  return {
    model: 'claude-opus-4-5',
    system: [
      {
        type: 'text',
        text: 'x-anthropic-billing-header: cc_version=2.1.331.417; cc_entrypoint=sdk-cli; cch=00000;',
      },
      {
        type: 'text',
        text: "You are a coding agent running in the user's terminal, via a bridge.",
        cache_control: { type: 'ephemeral' },
      },
      { type: 'text', text: prose(random, 7018), cache_control: { type: 'ephemeral' } },
    ],
    tools,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: `<system-reminder>\n${prose(random, 480)}\n</system-reminder>\n` },
          { type: 'text', text: prompt },
        ],
      },
      { role: 'system', content: [{ type: 'text', text: `# Environment\n${prose(random, 3000)}` }] },
    ],
    metadata: {
      user_id: JSON.stringify({
        device_id: '0'.repeat(64),
        account_uuid: '',
        session_id: '00000000-0000-4000-8000-000000000000',
      }),
    },
    max_tokens: 128000,
    thinking: { type: 'adaptive', display: 'omitted' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'medium' },
    stream: true,
  };
}

/**
 * A Claude Code request grown to about `targetBytes` of JSON by a conversation of tool turns:
 * thinking + text + tool_use from the assistant, tool_result with file contents from the user,
 * system-reminders now and then, one error result and one image.
 */
export function claudeCodeRequest(targetBytes = 500 * 1024, seed = 7) {
  const random = rng(seed);
  const request = claudeCodePreamble(random, 'Find why the build fails and fix it.');
  let size = JSON.stringify(request).length;
  let turn = 0;
  while (size < targetBytes - 2_000) {
    turn++;
    const id = `toolu_${String(turn).padStart(4, '0')}${'x'.repeat(18)}`;
    const file = `src/${VOCAB[turn % VOCAB.length]}/${VOCAB[(turn * 7) % VOCAB.length]}.ts`;
    const assistant = {
      role: 'assistant',
      content: [
        {
          type: 'thinking',
          thinking: prose(random, 300 + Math.floor(random() * 500)),
          signature: `sig${turn}${'A'.repeat(80)}`,
        },
        { type: 'text', text: prose(random, 60 + Math.floor(random() * 120)) },
        {
          type: 'tool_use',
          id,
          name: turn % 3 === 0 ? 'Bash' : 'Read',
          input:
            turn % 3 === 0
              ? { command: `npm test -- ${file}`, description: 'Run the tests' }
              : { file_path: `/work/project/${file}` },
        },
      ],
    };
    const resultContent =
      turn % 5 === 0
        ? [{ type: 'text', text: codeFile(random, 2_000 + Math.floor(random() * 4_000)) }]
        : codeFile(random, 2_000 + Math.floor(random() * 6_000));
    const user = {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: id,
          content: resultContent,
          ...(turn % 11 === 0 ? { is_error: true } : {}),
        },
      ],
    };
    if (turn % 4 === 0)
      user.content.push({
        type: 'text',
        text: `<system-reminder>\n${prose(random, 300)}\n</system-reminder>`,
      });
    if (turn === 3) {
      user.content[0].content = [
        { type: 'text', text: 'Screenshot of the failing page:' },
        {
          type: 'image',
          source: {
            type: 'base64',
            media_type: 'image/png',
            data: Buffer.from(prose(random, 6_000)).toString('base64'),
          },
        },
      ];
    }
    request.messages.push(assistant, user);
    size += JSON.stringify(assistant).length + JSON.stringify(user).length + 2;
  }
  request.messages.push({ role: 'user', content: 'Now run the whole test suite again.' });
  return request;
}

/**
 * The request the load phases send: a Claude Code first turn (system prompt and tools, ~40 KB),
 * or with `small` a minimal chat request (to show the bridge's fixed cost alone).
 */
export function loadRequest(kind = 'claude-code') {
  if (kind === 'small') {
    return {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stream: true,
      system: 'You are a helpful assistant.',
      messages: [{ role: 'user', content: 'Explain what a promise is in one sentence.' }],
    };
  }
  return claudeCodePreamble(rng(11), 'Explain what the function in src/read.ts returns.');
}
