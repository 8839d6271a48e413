// The shape of single stream events, judged on their own: message_start's message, a
// content_block_start's block, and a tool_use block's streamed input once it is complete. Pure;
// the stream checker places what they find at the event's index.
import { isRecord } from '../util/is-record.js';
import type { InvariantId } from './invariant-catalog.js';

/** A value as a report quotes it: JSON, cut at 80 characters. */
export const describe = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** What is wrong with message_start's `message`; empty when it is right. */
export function messageStartProblems(m: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(m)) {
    problems.push('no message object');
    return problems;
  }
  if (typeof m.id !== 'string' || m.id === '') problems.push('message.id missing');
  if (m.type !== 'message') problems.push(`message.type is ${describe(m.type)}, not "message"`);
  if (m.role !== 'assistant') problems.push(`message.role is ${describe(m.role)}, not "assistant"`);
  if (!Array.isArray(m.content) || m.content.length !== 0)
    problems.push(`message.content is ${describe(m.content)}, not []`);
  if (typeof m.model !== 'string' || m.model === '') problems.push('message.model missing');
  if (!isRecord(m.usage) || typeof m.usage.input_tokens !== 'number')
    problems.push('message.usage.input_tokens missing');
  return problems;
}

export type BlockKind = 'text' | 'thinking' | 'tool_use' | 'redacted_thinking' | 'other';

export interface ShapeFinding {
  invariant: InvariantId;
  message: string;
}

/** The kind and starting text of a content_block_start's block (at `index`), and what is wrong with its shape. */
export function readBlockStart(
  block: unknown,
  index: number,
): { kind: BlockKind; text: string; findings: ShapeFinding[] } {
  const findings: ShapeFinding[] = [];
  const found = (invariant: InvariantId, message: string) => findings.push({ invariant, message });
  if (!isRecord(block) || typeof block.type !== 'string') {
    found('block-start-shape', `content_block is ${describe(block)}`);
    return { kind: 'other', text: '', findings };
  }
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') {
        found('block-start-shape', 'text block without a text string');
        return { kind: 'text', text: '', findings };
      }
      return { kind: 'text', text: block.text, findings };
    case 'thinking':
      if (typeof block.thinking !== 'string')
        found('block-start-shape', 'thinking block without a thinking string');
      return { kind: 'thinking', text: '', findings };
    case 'redacted_thinking':
      return { kind: 'redacted_thinking', text: '', findings };
    case 'tool_use': {
      const problems: string[] = [];
      if (typeof block.id !== 'string' || block.id === '') problems.push('no id');
      if (typeof block.name !== 'string' || block.name === '') problems.push('no name');
      if (!isRecord(block.input) || Object.keys(block.input).length > 0)
        problems.push(`input is ${describe(block.input)}, must be {} (stream it as input_json_delta)`);
      if (problems.length) found('tool-use-start-shape', `tool_use block ${index}: ${problems.join('; ')}`);
      return { kind: 'tool_use', text: '', findings };
    }
    default:
      found('block-start-shape', `unexpected content block type "${block.type}"`);
      return { kind: 'other', text: '', findings };
  }
}

/**
 * What is wrong with a tool_use block's input, its input_json_delta fragments joined: they must form
 * a JSON object. No fragment at all is how a tool without arguments streams; Claude Code reads it as {}.
 */
export function toolInputProblem(json: string, index: number): string | undefined {
  if (json === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return `tool_use block ${index}: input_json_delta fragments do not form valid JSON: ${describe(json)}`;
  }
  return isRecord(parsed)
    ? undefined
    : `tool_use block ${index}: input is ${describe(parsed)}, not a JSON object`;
}
