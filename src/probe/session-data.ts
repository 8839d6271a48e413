// The `session` scenario's conversation, as data: a system prompt and a tool list the size of
// Claude Code's (about 14K tokens before the user's first word, design.md §6), and the user turns
// that follow. Built deterministically from word lists, so every run sends the same bytes and a
// server's prefix cache can be judged: turn N+1 starts with turn N's exact prompt. Pure: no I/O.
import { CLAUDE_CODE_TOOLS, type ContentBlock, claudeCodeSystem, type ToolDefinition } from './scenarios.js';

/**
 * The system prompt's size. With the tools' (17 tools, ~3 KB each) it makes ~14K tokens with a
 * DeepSeek-family tokenizer (14.0K measured with llama-server's deepseek-coder vocabulary), as
 * Claude Code 2.1.331's fixed prompt.
 */
const SYSTEM_CHARS = 24_000;
/** Each user turn carries a file of about this size, as a Read tool result would. */
const FILE_CHARS = 1_800;

const WORDS = [
  'the',
  'file',
  'tool',
  'user',
  'change',
  'code',
  'when',
  'before',
  'after',
  'always',
  'never',
  'project',
  'command',
  'output',
  'test',
  'should',
  'must',
  'path',
  'directory',
  'read',
  'write',
  'edit',
  'search',
  'result',
  'error',
  'message',
  'context',
  'function',
  'module',
  'request',
  'answer',
  'concise',
  'explain',
  'verify',
  'existing',
  'conventions',
  'library',
  'import',
  'task',
  'plan',
  'step',
  'commit',
  'branch',
  'review',
  'security',
  'secret',
  'permission',
  'shell',
  'running',
  'background',
  'parallel',
  'independent',
  'absolute',
  'relative',
  'pattern',
  'match',
  'lines',
  'content',
  'format',
  'markdown',
  'terminal',
  'instructions',
  'important',
  'carefully',
];
const SIGILS = ['.', ',', ';', ':', ' -', ' (for example `src/index.ts`)', ' `npm test`', '.\n'];

/** A small deterministic PRNG (mulberry32): the same seed gives the same text on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Prose of about `chars` characters: sentences of 6–18 words with punctuation and code spans. */
export function prose(chars: number, seed: number): string {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  let out = '';
  while (out.length < chars) {
    const n = 6 + Math.floor(next() * 13);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(pick(WORDS));
    const sentence = words.join(' ');
    out += `${sentence[0]?.toUpperCase()}${sentence.slice(1)}${pick(SIGILS)} `;
  }
  return out.slice(0, chars).trimEnd();
}

const TOOL_NAMES = [
  'Glob',
  'Grep',
  'Write',
  'NotebookEdit',
  'WebFetch',
  'WebSearch',
  'TodoWrite',
  'Task',
  'ExitPlanMode',
  'BashOutput',
  'KillShell',
  'SlashCommand',
  'ListMcpResources',
  'ReadMcpResource',
];

/** Claude Code's tools: the probe's three, then generated ones of realistic size (~2.4 KB each). */
export function sessionTools(): ToolDefinition[] {
  const generated = TOOL_NAMES.map((name, i): ToolDefinition => {
    const properties: Record<string, unknown> = {};
    for (let p = 0; p < 4; p++) {
      properties[`${name.toLowerCase()}_${['path', 'pattern', 'mode', 'limit'][p]}`] = {
        type: p === 3 ? 'number' : 'string',
        description: prose(160, 1000 + i * 10 + p),
      };
    }
    return {
      name,
      description: prose(2_400, 100 + i),
      input_schema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties,
        required: Object.keys(properties).slice(0, 1),
        additionalProperties: false,
      },
    };
  });
  return [...CLAUDE_CODE_TOOLS, ...generated];
}

/** Claude Code's three system blocks, the instructions grown to its real size. */
export function sessionSystem(): ContentBlock[] {
  const blocks = claudeCodeSystem();
  const last = blocks[blocks.length - 1];
  if (last?.type === 'text') last.text = `${last.text}\n\n${prose(SYSTEM_CHARS, 7)}`;
  return blocks;
}

/** A source file of about FILE_CHARS characters, different for every turn. */
export function sessionFile(turn: number): string {
  const lines: string[] = [`// module${turn}.ts`];
  const next = random(5000 + turn);
  let i = 0;
  while (lines.join('\n').length < FILE_CHARS) {
    const name = `${WORDS[Math.floor(next() * WORDS.length)]}${i++}`;
    lines.push(`export function ${name}(input: string): number {`);
    lines.push(`  // ${prose(60, 9000 + turn * 100 + i)}`);
    lines.push(`  return input.length * ${Math.floor(next() * 97)};`, '}');
  }
  return lines.join('\n');
}

/** The user's message of turn `turn` (1-based): a file to look at and a question about it. */
export function sessionUserTurn(turn: number): ContentBlock[] {
  return [
    { type: 'text', text: `Contents of src/module${turn}.ts:\n\n\`\`\`ts\n${sessionFile(turn)}\n\`\`\`` },
    { type: 'text', text: `Turn ${turn}: what does the first function in this file return? One sentence.` },
  ];
}
