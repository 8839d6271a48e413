// Anthropic system + messages → OpenAI chat messages (design.md §4.2). Pure and deterministic:
// the same conversation always gives the same prompt, so the upstream's prefix cache keeps working.
import type { AnthropicMessage, ContentBlock, MessagesRequest } from '../anthropic/schema.js';
import type { ChatContentPart, ChatMessage, ChatToolCall } from '../openai/types.js';
import type { ToolNameMap } from './tools.js';

/** Claude Code's per-request billing line: it changes every request and would defeat prefix caching. */
const BILLING_HEADER_PREFIX = 'x-anthropic-billing-header:';

export interface ConvertMessagesOptions {
  names: ToolNameMap;
  /** Reasoning text to send back for an assistant turn whose thinking the client dropped (issue 3). */
  reasoningFor?: (toolUseIds: string[]) => string | undefined;
}

export interface ConvertedMessages {
  messages: ChatMessage[];
  warnings: string[];
}

type Block = ContentBlock & Record<string, unknown>;

const asBlocks = (content: AnthropicMessage['content']): Block[] =>
  typeof content === 'string' ? [{ type: 'text', text: content }] : (content as Block[]);

/** Text of a system prompt or a `role: "system"` message, whether sent as a string or as blocks. */
function systemText(content: string | Block[] | undefined): string {
  if (content === undefined) return '';
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content } as Block] : content;
  return blocks
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .filter((t) => t.length > 0 && !t.startsWith(BILLING_HEADER_PREFIX))
    .join('\n\n');
}

const systemReminder = (text: string): Block => ({
  type: 'text',
  text: `<system-reminder>\n${text}\n</system-reminder>`,
});

function imageUrl(block: Block): string | undefined {
  const source = block.source as
    | { type?: string; media_type?: string; data?: string; url?: string }
    | undefined;
  if (source?.type === 'base64' && source.media_type && source.data) {
    return `data:${source.media_type};base64,${source.data}`;
  }
  if (source?.type === 'url' && source.url) return source.url;
  return undefined;
}

/** A user message from text and image blocks: a plain string when there are no images. */
function userMessage(parts: ChatContentPart[]): ChatMessage | undefined {
  if (parts.length === 0) return undefined;
  if (parts.every((p) => p.type === 'text')) {
    return { role: 'user', content: parts.map((p) => (p as { text: string }).text).join('\n\n') };
  }
  return { role: 'user', content: parts };
}

function toolResultText(block: Block, images: ChatContentPart[], warnings: string[]): string {
  const content = block.content as string | Block[] | undefined;
  const texts: string[] = [];
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
      else if (part.type === 'image') {
        const url = imageUrl(part);
        if (url) {
          images.push({ type: 'image_url', image_url: { url } });
          texts.push(`[image ${images.length} attached below]`);
        }
      } else if (part.type === 'tool_reference') {
        texts.push(`Tool ${String(part.tool_name ?? part.name ?? '')} is now available.`);
      } else {
        warnings.push(`tool_result block of type ${part.type} dropped`);
      }
    }
  }
  const text = texts.join('\n');
  // Tool messages have no error flag in OpenAI's format: say it in the text the model reads.
  return block.is_error === true ? `[tool error]\n${text}` : text;
}

function convertUser(blocks: Block[], out: ChatMessage[], warnings: string[]): void {
  const toolMessages: ChatMessage[] = [];
  const parts: ChatContentPart[] = [];
  const toolImages: ChatContentPart[] = [];
  for (const block of blocks) {
    switch (block.type) {
      case 'text':
        if (typeof block.text === 'string' && block.text.length > 0)
          parts.push({ type: 'text', text: block.text });
        break;
      case 'image': {
        const url = imageUrl(block);
        if (url) parts.push({ type: 'image_url', image_url: { url } });
        else warnings.push('image block without a usable source dropped');
        break;
      }
      case 'tool_result':
        toolMessages.push({
          role: 'tool',
          tool_call_id: String(block.tool_use_id),
          content: toolResultText(block, toolImages, warnings),
        });
        break;
      default:
        warnings.push(`user content block of type ${block.type} dropped`);
    }
  }
  // Tool messages must follow the assistant's tool calls directly; the rest of the turn (text, and
  // images from tool results, which most servers refuse inside tool messages) comes after them.
  out.push(...toolMessages);
  const user = userMessage([...toolImages, ...parts]);
  if (user) out.push(user);
}

function convertAssistant(blocks: Block[], options: ConvertMessagesOptions, out: ChatMessage[]): void {
  const texts: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: ChatToolCall[] = [];
  for (const block of blocks) {
    if (block.type === 'text' && typeof block.text === 'string' && block.text.length > 0)
      texts.push(block.text);
    else if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking.length > 0) {
      reasoning.push(block.thinking);
    } else if (block.type === 'tool_use') {
      const input = block.input as Record<string, unknown> | undefined;
      const unparsed = input?.__unparsedToolInput as { raw?: unknown } | undefined;
      const args = typeof unparsed?.raw === 'string' ? unparsed.raw : JSON.stringify(input ?? {});
      toolCalls.push({
        id: String(block.id),
        type: 'function',
        function: { name: options.names.upstreamName(String(block.name)), arguments: args },
      });
    }
    // redacted_thinking and empty text blocks are dropped: an empty text block poisons history.
  }
  if (texts.length === 0 && toolCalls.length === 0 && reasoning.length === 0) return;
  const message: ChatMessage & { role: 'assistant' } = {
    role: 'assistant',
    content: texts.length > 0 ? texts.join('\n\n') : toolCalls.length > 0 ? null : '',
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  let reasoningText = reasoning.join('\n\n');
  if (!reasoningText && toolCalls.length > 0 && options.reasoningFor) {
    reasoningText = options.reasoningFor(toolCalls.map((c) => c.id)) ?? '';
  }
  if (reasoningText) message.reasoning_content = reasoningText;
  out.push(message);
}

export function convertMessages(
  request: MessagesRequest,
  options: ConvertMessagesOptions,
): ConvertedMessages {
  const warnings: string[] = [];
  const systemParts: string[] = [];
  const top = systemText(request.system as string | Block[] | undefined);
  if (top) systemParts.push(top);

  // Fold `role: "system"` messages: before the first conversational message they join the system
  // prompt; later ones become a <system-reminder> at the end of the preceding user message, because
  // many chat templates reject a system message that is not first. Preceding, not following: the
  // conversation only grows at its end, so earlier messages stay byte-identical from one request
  // to the next and the server's prefix cache keeps working (Claude Code sends its environment
  // block as a system message right after the first user message).
  const turns: Array<{ role: 'user' | 'assistant'; blocks: Block[] }> = [];
  for (const message of request.messages) {
    if (message.role === 'system') {
      const text = systemText(message.content as string | Block[]);
      if (!text) continue;
      const lastUser = turns.findLast((t) => t.role === 'user');
      if (lastUser) lastUser.blocks = [...lastUser.blocks, systemReminder(text)];
      else systemParts.push(text);
      continue;
    }
    turns.push({ role: message.role, blocks: asBlocks(message.content) });
  }

  const messages: ChatMessage[] = [];
  if (systemParts.length > 0) messages.push({ role: 'system', content: systemParts.join('\n\n') });
  for (const turn of turns) {
    if (turn.role === 'user') convertUser(turn.blocks, messages, warnings);
    else convertAssistant(turn.blocks, options, messages);
  }
  return { messages, warnings };
}
