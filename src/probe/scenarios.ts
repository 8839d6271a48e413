// The built-in probe scenarios, as data: what to send (shaped like Claude Code's requests) and what
// must come back. run.ts interprets them; nothing here does I/O.

/** A Messages API content block as the probe sends it. */
export type ContentBlock =
  | { type: 'text'; text: string; cache_control?: { type: 'ephemeral' } }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean }
  | { type: 'thinking'; thinking: string; signature: string };

export interface Message {
  role: 'user' | 'assistant';
  content: string | ContentBlock[];
}

export interface ToolDefinition {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

export type ToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export interface Expectation {
  /** The stop_reason that must come back. */
  stopReason?: string;
  /** Also acceptable (e.g. a refactor may answer in text or call Edit). */
  stopReasonOneOf?: string[];
  /** A non-empty text block must be in the answer. */
  text?: boolean;
  /** At least this many tool_use blocks (named `toolName` when given). */
  toolUse?: { min: number; toolName?: string; preferredMin?: number };
  /** A signed thinking block: `required` fails without it, `preferred` only warns. */
  thinking?: 'required' | 'preferred';
}

export interface MessagesRequestSpec {
  stream: boolean;
  messages: Message[];
  /** `claude-code`: the probe's Claude Code-shaped tool list. */
  tools?: 'claude-code';
  toolChoice?: ToolChoice;
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' };
  effort?: 'low' | 'medium' | 'high';
}

export interface FollowUp {
  /** Title of the second request, shown in reports. */
  title: string;
  /** The content of every tool_result sent back, keyed by tool name (`*`: any other tool). */
  toolResults: Record<string, string>;
  stream: boolean;
  expect: Expectation;
}

export interface MessagesScenario {
  kind: 'messages';
  id: string;
  title: string;
  request: MessagesRequestSpec;
  expect: Expectation;
  /** Send the answer's tool calls back with tool_result blocks, as Claude Code does, and check the reply. */
  followUp?: FollowUp;
}

export interface HealthScenario {
  kind: 'health';
  id: string;
  title: string;
}

export interface CountTokensScenario {
  kind: 'count-tokens';
  id: string;
  title: string;
  messages: Message[];
}

export interface OverflowScenario {
  kind: 'overflow';
  id: string;
  title: string;
  /** Prompt size when the bridge does not report its upstream's context: above every known window (1M). */
  fallbackTokens: number;
  /** How far past the context the prompt goes. */
  overshoot: number;
}

/** A multi-turn conversation of Claude Code's size: TTFT and cached tokens per turn (session.ts). */
export interface SessionScenario {
  kind: 'session';
  id: string;
  title: string;
  turns: number;
  /** Run only when asked for by id (~14K-token prompts: slow on a CPU server). */
  optIn: true;
}

export type Scenario =
  | HealthScenario
  | CountTokensScenario
  | MessagesScenario
  | OverflowScenario
  | SessionScenario;

/** The guide's test file (§4.2): a recursive Fibonacci with the TODO Claude Code is asked to complete. */
export const FIBONACCI_FILE = [
  'def fibonacci(n):',
  '    """Calculate the nth Fibonacci number."""',
  '    if n <= 1:',
  '        return n',
  '    return fibonacci(n-1) + fibonacci(n-2)',
  '',
  '# TODO: Optimize this to O(n) time',
  '',
].join('\n');

const fibonacciContext = (ask: string): Message[] => [
  {
    role: 'user',
    content: [
      { type: 'text', text: `Contents of test.py:\n\n\`\`\`python\n${FIBONACCI_FILE}\`\`\`` },
      { type: 'text', text: ask },
    ],
  },
];

/** What the probe sends for `--long-context FILE` (the guide's §4.2.3 question). */
export const LONG_CONTEXT_QUESTION = 'Explain what this code does in 3 bullet points.';

export function longContextMessages(fileName: string, content: string): Message[] {
  return [
    {
      role: 'user',
      content: [
        { type: 'text', text: `Contents of ${fileName}:\n\n\`\`\`\n${content}\n\`\`\`` },
        { type: 'text', text: LONG_CONTEXT_QUESTION },
      ],
    },
  ];
}

export const SCENARIOS: readonly Scenario[] = [
  { kind: 'health', id: 'health', title: 'Bridge health (GET /health)' },
  {
    kind: 'count-tokens',
    id: 'count-tokens',
    title: 'Token counting (POST /v1/messages/count_tokens)',
    messages: fibonacciContext('How many tokens is this?'),
  },
  {
    kind: 'messages',
    id: 'text-stream',
    title: 'Plain text, streamed',
    request: {
      stream: true,
      messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
    },
    expect: { text: true, stopReasonOneOf: ['end_turn', 'max_tokens', 'stop_sequence'] },
  },
  {
    kind: 'messages',
    id: 'text-nonstream',
    title: 'Plain text, not streamed',
    request: {
      stream: false,
      messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
    },
    expect: { text: true, stopReasonOneOf: ['end_turn', 'max_tokens', 'stop_sequence'] },
  },
  {
    kind: 'messages',
    id: 'fib-complete',
    title: 'Guide: complete the TODO (O(n) Fibonacci)',
    request: {
      stream: true,
      tools: 'claude-code',
      messages: fibonacciContext(
        'Complete the `# TODO: Optimize this to O(n) time` in test.py: write the iterative fibonacci. Answer with the code only.',
      ),
    },
    expect: { stopReasonOneOf: ['end_turn', 'tool_use', 'max_tokens'] },
  },
  {
    kind: 'messages',
    id: 'fib-explain',
    title: 'Guide: explain the code',
    request: {
      stream: true,
      tools: 'claude-code',
      messages: fibonacciContext('Explain what this code does and why it is slow.'),
    },
    expect: { text: true, stopReasonOneOf: ['end_turn', 'max_tokens'] },
  },
  {
    kind: 'messages',
    id: 'fib-refactor',
    title: 'Guide: refactor the code',
    request: {
      stream: true,
      tools: 'claude-code',
      messages: fibonacciContext('Refactor fibonacci in test.py to run in O(n) time and keep its docstring.'),
    },
    expect: { stopReasonOneOf: ['end_turn', 'tool_use', 'max_tokens'] },
  },
  {
    kind: 'messages',
    id: 'tool-call',
    title: 'Forced tool call and its tool_result round trip',
    request: {
      stream: true,
      tools: 'claude-code',
      toolChoice: { type: 'tool', name: 'Read' },
      messages: [{ role: 'user', content: 'Read the file /work/test.py with the Read tool.' }],
    },
    expect: { stopReason: 'tool_use', toolUse: { min: 1, toolName: 'Read' } },
    followUp: {
      title: 'tool_result round trip',
      stream: true,
      toolResults: { '*': FIBONACCI_FILE },
      expect: { text: true, stopReasonOneOf: ['end_turn', 'max_tokens'] },
    },
  },
  {
    kind: 'messages',
    id: 'parallel-tools',
    title: 'Parallel tool calls',
    request: {
      stream: true,
      tools: 'claude-code',
      toolChoice: { type: 'any', disable_parallel_tool_use: false },
      messages: [
        {
          role: 'user',
          content:
            'In this one reply, call two tools in parallel: Read on /work/test.py, and Bash to run `python3 /work/test.py`.',
        },
      ],
    },
    expect: { stopReason: 'tool_use', toolUse: { min: 1, preferredMin: 2 } },
    followUp: {
      title: 'all tool_results in one user message',
      stream: true,
      toolResults: { '*': 'print("hello")\n' },
      expect: { text: true, stopReasonOneOf: ['end_turn', 'max_tokens'] },
    },
  },
  {
    kind: 'messages',
    id: 'thinking',
    title: 'Thinking (reasoning_content → signed thinking block)',
    request: {
      stream: true,
      // What Claude Code 2.1.x sends (design.md §6).
      thinking: { type: 'adaptive' },
      effort: 'medium',
      messages: [{ role: 'user', content: 'Think it through, then answer: is 97 a prime number?' }],
    },
    expect: { text: true, thinking: 'preferred', stopReasonOneOf: ['end_turn', 'max_tokens'] },
  },
  {
    kind: 'overflow',
    id: 'overflow',
    title: 'Context overflow → 400 "prompt is too long"',
    fallbackTokens: 1_100_000,
    overshoot: 1.15,
  },
  {
    kind: 'session',
    id: 'session',
    title: "Multi-turn session of Claude Code's size: TTFT and prompt-cache use per turn",
    turns: 6,
    optIn: true,
  },
];

/** The scenarios run when none is named: all but the opt-in ones. */
export function defaultScenarios(): Scenario[] {
  return SCENARIOS.filter((s) => !('optIn' in s && s.optIn));
}

export function scenarioIds(): string[] {
  return SCENARIOS.map((s) => s.id);
}

/** Claude Code's tools, abridged: the same names and JSON Schema shape (with `$schema`, as it sends). */
export const CLAUDE_CODE_TOOLS: ToolDefinition[] = [
  {
    name: 'Read',
    description: 'Reads a file from the local filesystem. file_path must be an absolute path.',
    input_schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        file_path: { type: 'string', description: 'The absolute path to the file to read' },
        offset: { type: 'number', description: 'The line number to start reading from' },
        limit: { type: 'number', description: 'The number of lines to read' },
      },
      required: ['file_path'],
      additionalProperties: false,
    },
  },
  {
    name: 'Edit',
    description: 'Performs an exact string replacement in a file.',
    input_schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        file_path: { type: 'string', description: 'The absolute path to the file to modify' },
        old_string: { type: 'string', description: 'The text to replace' },
        new_string: { type: 'string', description: 'The text to replace it with' },
      },
      required: ['file_path', 'old_string', 'new_string'],
      additionalProperties: false,
    },
  },
  {
    name: 'Bash',
    description: 'Executes a bash command and returns its output.',
    input_schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        command: { type: 'string', description: 'The command to execute' },
        description: { type: 'string', description: 'What the command does, in 5-10 words' },
      },
      required: ['command'],
      additionalProperties: false,
    },
  },
];

/**
 * Three system blocks, like Claude Code: a per-request billing header (the bridge must drop it to keep
 * the prefix cache), the identity line, and the instructions (with cache_control). The wording is the
 * probe's own.
 */
export function claudeCodeSystem(): ContentBlock[] {
  return [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=dsb-probe; cc_entrypoint=cli' },
    { type: 'text', text: 'You are a coding assistant running inside a terminal.' },
    {
      type: 'text',
      text: 'Answer concisely. Use the tools you are given to read and change files when asked to. Working directory: /work',
      cache_control: { type: 'ephemeral' },
    },
  ];
}

/** Filler for the overflow scenario: varied, deterministic text, roughly 12 tokens per line. */
export function fillerText(approxTokens: number): string {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  const lines: string[] = [];
  const perLine = 12;
  const count = Math.max(1, Math.ceil(approxTokens / perLine));
  for (let i = 0; i < count; i++) {
    const a = words[i % 10] as string;
    const b = words[Math.floor(i / 10) % 10] as string;
    const c = words[Math.floor(i / 100) % 10] as string;
    lines.push(`line ${i}: ${a} ${b} ${c} value=${(i * 7919) % 100003};`);
  }
  return lines.join('\n');
}
