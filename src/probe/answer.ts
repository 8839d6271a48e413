// The answer a scenario got, whichever way it came (stream or JSON), and whether it is the answer the
// scenario expects. Pure.
import { isRecord } from '../util/is-record.js';
import type { InvariantViolation, SseEvent } from './invariants.js';
import { STOP_REASONS } from './invariants.js';
import type { ContentBlock, Expectation } from './scenarios.js';

export interface Answer {
  content: ContentBlock[];
  stopReason?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** An `error` event's (or error body's) message. */
  error?: string;
}

/** Rebuilds the assistant message from stream events, as the Anthropic SDK's accumulator would. */
export function assembleStream(events: readonly SseEvent[]): Answer {
  const answer: Answer = { content: [] };
  const blocks = new Map<number, { block: Record<string, unknown>; json: string }>();
  const order: number[] = [];
  for (const { data } of events) {
    if (!isRecord(data)) continue;
    if (data.type === 'message_start' && isRecord(data.message) && isRecord(data.message.usage)) {
      const u = data.message.usage;
      if (typeof u.input_tokens === 'number') answer.inputTokens = u.input_tokens;
    } else if (
      data.type === 'content_block_start' &&
      typeof data.index === 'number' &&
      isRecord(data.content_block)
    ) {
      if (!blocks.has(data.index)) order.push(data.index);
      blocks.set(data.index, { block: { ...data.content_block }, json: '' });
    } else if (
      data.type === 'content_block_delta' &&
      typeof data.index === 'number' &&
      isRecord(data.delta)
    ) {
      const entry = blocks.get(data.index);
      if (!entry) continue;
      const d = data.delta;
      if (d.type === 'text_delta' && typeof d.text === 'string')
        entry.block.text = String(entry.block.text ?? '') + d.text;
      else if (d.type === 'thinking_delta' && typeof d.thinking === 'string')
        entry.block.thinking = String(entry.block.thinking ?? '') + d.thinking;
      else if (d.type === 'signature_delta' && typeof d.signature === 'string')
        entry.block.signature = d.signature;
      else if (d.type === 'input_json_delta' && typeof d.partial_json === 'string')
        entry.json += d.partial_json;
    } else if (data.type === 'message_delta') {
      if (isRecord(data.delta) && typeof data.delta.stop_reason === 'string')
        answer.stopReason = data.delta.stop_reason;
      if (isRecord(data.usage)) {
        if (typeof data.usage.output_tokens === 'number') answer.outputTokens = data.usage.output_tokens;
        if (typeof data.usage.input_tokens === 'number' && data.usage.input_tokens > 0)
          answer.inputTokens = data.usage.input_tokens;
      }
    } else if (data.type === 'error') {
      answer.error = isRecord(data.error) ? String(data.error.message ?? data.error.type) : 'error event';
    }
  }
  for (const index of order) {
    const entry = blocks.get(index);
    if (!entry) continue;
    const b = entry.block;
    if (b.type === 'tool_use') {
      let input: unknown = {};
      if (entry.json !== '') {
        try {
          input = JSON.parse(entry.json);
        } catch {
          input = { __unparsedToolInput: { raw: entry.json } };
        }
      }
      answer.content.push({ type: 'tool_use', id: String(b.id ?? ''), name: String(b.name ?? ''), input });
    } else if (b.type === 'text') {
      answer.content.push({ type: 'text', text: String(b.text ?? '') });
    } else if (b.type === 'thinking') {
      answer.content.push({
        type: 'thinking',
        thinking: String(b.thinking ?? ''),
        signature: String(b.signature ?? ''),
      });
    }
  }
  return answer;
}

/**
 * Checks a non-streamed Messages API response. Violations use the stream invariants' ids where the
 * rule is the same, with `index` = the content block's index (-1 for the message itself).
 */
export function checkMessageResponse(body: unknown): { answer: Answer; violations: InvariantViolation[] } {
  const violations: InvariantViolation[] = [];
  const answer: Answer = { content: [] };
  const fail = (invariant: string, index: number, message: string) =>
    violations.push({ invariant, index, message });
  if (!isRecord(body)) {
    fail('message-shape', -1, 'the response body is not a JSON object');
    return { answer, violations };
  }
  const problems: string[] = [];
  if (body.type !== 'message') problems.push(`type is ${JSON.stringify(body.type)}, not "message"`);
  if (body.role !== 'assistant') problems.push(`role is ${JSON.stringify(body.role)}, not "assistant"`);
  if (typeof body.id !== 'string' || !body.id) problems.push('id missing');
  if (typeof body.model !== 'string' || !body.model) problems.push('model missing');
  if (
    !isRecord(body.usage) ||
    typeof body.usage.input_tokens !== 'number' ||
    typeof body.usage.output_tokens !== 'number'
  )
    problems.push('usage.input_tokens / usage.output_tokens missing');
  else {
    answer.inputTokens = body.usage.input_tokens as number;
    answer.outputTokens = body.usage.output_tokens as number;
  }
  if (problems.length) fail('message-shape', -1, problems.join('; '));
  if (
    typeof body.stop_reason !== 'string' ||
    !(STOP_REASONS as readonly string[]).includes(body.stop_reason)
  ) {
    fail('stop-reason-valid', -1, `stop_reason is ${JSON.stringify(body.stop_reason)}`);
  } else answer.stopReason = body.stop_reason;
  if (!Array.isArray(body.content)) {
    fail('message-shape', -1, 'content is not an array');
    return { answer, violations };
  }
  let tools = 0;
  body.content.forEach((block: unknown, i: number) => {
    if (!isRecord(block)) {
      fail('block-start-shape', i, 'content block is not an object');
      return;
    }
    if (block.type === 'text') {
      if (typeof block.text !== 'string' || block.text === '')
        fail('text-block-nonempty', i, 'empty text block');
      else answer.content.push({ type: 'text', text: block.text });
    } else if (block.type === 'thinking') {
      if (typeof block.signature !== 'string' || !block.signature)
        fail('thinking-signed', i, 'thinking block without signature');
      answer.content.push({
        type: 'thinking',
        thinking: String(block.thinking ?? ''),
        signature: String(block.signature ?? ''),
      });
    } else if (block.type === 'tool_use') {
      tools++;
      if (typeof block.id !== 'string' || typeof block.name !== 'string')
        fail('tool-use-start-shape', i, 'tool_use without id or name');
      if (!isRecord(block.input))
        fail('tool-input-valid-json', i, `tool_use input is ${JSON.stringify(block.input)}, not an object`);
      answer.content.push({
        type: 'tool_use',
        id: String(block.id),
        name: String(block.name),
        input: block.input,
      });
    } else if (block.type !== 'redacted_thinking') {
      fail('block-start-shape', i, `unexpected content block type ${JSON.stringify(block.type)}`);
    }
  });
  if (answer.stopReason && answer.stopReason !== 'max_tokens') {
    if (tools > 0 && answer.stopReason !== 'tool_use')
      fail('stop-reason-tool-use', -1, `stop_reason "${answer.stopReason}" with ${tools} tool_use block(s)`);
    if (tools === 0 && answer.stopReason === 'tool_use')
      fail('stop-reason-tool-use', -1, 'stop_reason "tool_use" without a tool_use block');
  }
  return { answer, violations };
}

/** Whether the answer is what the scenario asked for: `problems` fail it, `warnings` only note. */
export function checkExpectation(
  answer: Answer,
  expect: Expectation,
): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const texts = answer.content.filter((b) => b.type === 'text' && b.text.trim() !== '');
  const tools = answer.content.filter(
    (b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use',
  );
  const thinking = answer.content.filter((b) => b.type === 'thinking');
  if (answer.content.filter((b) => b.type === 'text' || b.type === 'tool_use').length === 0) {
    problems.push('the answer has no text and no tool call (Claude Code retries such a reply)');
  }
  if (expect.stopReason && answer.stopReason !== expect.stopReason) {
    problems.push(`stop_reason ${JSON.stringify(answer.stopReason)}, expected "${expect.stopReason}"`);
  }
  if (expect.stopReasonOneOf && answer.stopReason && !expect.stopReasonOneOf.includes(answer.stopReason)) {
    problems.push(`stop_reason "${answer.stopReason}", expected one of ${expect.stopReasonOneOf.join(', ')}`);
  }
  if (answer.stopReason === 'max_tokens' && !expect.stopReason) {
    warnings.push('the answer was cut by max_tokens (Claude Code would send up to 3 continuation requests)');
  }
  if (expect.text && texts.length === 0) problems.push('no text in the answer');
  if (expect.toolUse) {
    const named = expect.toolUse.toolName ? tools.filter((t) => t.name === expect.toolUse?.toolName) : tools;
    if (named.length < expect.toolUse.min) {
      problems.push(
        `expected ${expect.toolUse.min}+ tool_use block(s)${expect.toolUse.toolName ? ` for ${expect.toolUse.toolName}` : ''}, got ${named.length}${tools.length !== named.length ? ` (other tools: ${tools.map((t) => t.name).join(', ')})` : ''}`,
      );
    } else if (expect.toolUse.preferredMin && named.length < expect.toolUse.preferredMin) {
      warnings.push(
        `only ${named.length} tool call came back (parallel calls not exercised: the model chose one)`,
      );
    }
    for (const t of named) {
      if (typeof t.input !== 'object' || t.input === null || '__unparsedToolInput' in (t.input as object)) {
        problems.push(`tool ${t.name} input is not a JSON object`);
      }
    }
  }
  if (expect.thinking) {
    if (thinking.length === 0) {
      const msg =
        'no thinking block came back: the upstream sent no reasoning (llama-server: --reasoning-format deepseek; vLLM/SGLang: --reasoning-parser)';
      if (expect.thinking === 'required') problems.push(msg);
      else warnings.push(msg);
    }
  }
  return { problems, warnings };
}
