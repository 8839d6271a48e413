// A conservative prompt-size estimate, used when no exact count is available: about three
// characters per token (DeepSeek's tokenizer averages nearer four on English and code), plus a
// few tokens of chat-template framing per message. Always labelled as an estimate.
import type { ChatCompletionRequest } from '../openai/types.js';

const CHARS_PER_TOKEN = 3;
const TOKENS_PER_MESSAGE = 4;

export function estimatePromptTokens(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>): number {
  let chars = 0;
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) {
        // An image costs roughly a fixed budget of tokens in vision models, not its base64 size.
        if (part.type === 'image_url') chars += 1024 * CHARS_PER_TOKEN;
        else chars += String(part.text ?? '').length;
      }
    }
    const m = message as { tool_calls?: unknown; reasoning_content?: string };
    if (m.tool_calls) chars += JSON.stringify(m.tool_calls).length;
    if (m.reasoning_content) chars += m.reasoning_content.length;
  }
  if (request.tools) chars += JSON.stringify(request.tools).length;
  return Math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * request.messages.length;
}
