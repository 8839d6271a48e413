// Anthropic Messages request → OpenAI chat completions request (design.md §4.2). Pure.
import type { MessagesRequest } from '../anthropic/schema.js';
import type { ChatCompletionRequest } from '../openai/types.js';
import { type ConvertMessagesOptions, convertMessages } from './messages.js';
import { convertTools, ToolNameMap } from './tools.js';

/** How an upstream takes DeepSeek's thinking toggle. */
export type ThinkingStyle =
  /** llama.cpp / vLLM / SGLang serving DeepSeek V3.1+ chat templates: `chat_template_kwargs.thinking`. */
  | 'chat-template'
  /** DeepSeek's hosted API: `thinking: {type}`. */
  | 'deepseek-api'
  /** Send nothing: the server decides. */
  | 'none';

export interface ConvertRequestOptions {
  /** The model id sent upstream. */
  model: string;
  /** max_tokens after clamping (context management); defaults to the client's value. */
  maxTokens?: number;
  thinkingStyle?: ThinkingStyle;
  reasoningFor?: ConvertMessagesOptions['reasoningFor'];
}

export interface ConvertedRequest {
  request: ChatCompletionRequest;
  names: ToolNameMap;
  /** Things the bridge dropped or changed, for the log and the `x-dsb-warnings` header. */
  warnings: string[];
}

function thinkingWanted(request: MessagesRequest): boolean | undefined {
  const type = request.thinking?.type;
  if (type === 'enabled' || type === 'adaptive') return true;
  if (type === 'disabled') return false;
  return undefined;
}

export function convertMessagesRequest(
  request: MessagesRequest,
  options: ConvertRequestOptions,
): ConvertedRequest {
  const names = new ToolNameMap();
  const tools = convertTools(request, names);
  const converted = convertMessages(request, { names, reasoningFor: options.reasoningFor });
  const out: ChatCompletionRequest = {
    model: options.model,
    messages: converted.messages,
    max_tokens: options.maxTokens ?? request.max_tokens,
  };
  if (request.stream === true) {
    out.stream = true;
    // llama.cpp sends usage only when asked (verified): without it there are no token counts.
    out.stream_options = { include_usage: true };
  }
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.top_p !== undefined) out.top_p = request.top_p;
  if (request.top_k !== undefined) out.top_k = request.top_k;
  if (request.stop_sequences && request.stop_sequences.length > 0) out.stop = request.stop_sequences;
  const userId = request.metadata?.user_id;
  if (typeof userId === 'string' && userId.length > 0) out.user = userId;
  if (tools.tools) {
    out.tools = tools.tools;
    if (tools.toolChoice) out.tool_choice = tools.toolChoice;
    if (tools.parallelToolCalls !== undefined) out.parallel_tool_calls = tools.parallelToolCalls;
  }
  const format = request.output_config?.format;
  if (format && format.type === 'json_schema' && format.schema !== undefined) {
    out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  }
  const thinking = thinkingWanted(request);
  if (thinking !== undefined) {
    switch (options.thinkingStyle ?? 'chat-template') {
      case 'chat-template':
        out.chat_template_kwargs = { thinking };
        break;
      case 'deepseek-api':
        out.thinking = { type: thinking ? 'enabled' : 'disabled' };
        break;
      case 'none':
        break;
    }
    const effort = request.output_config?.effort;
    if (thinking && typeof effort === 'string' && options.thinkingStyle === 'deepseek-api') {
      out.reasoning_effort = effort;
    }
  }
  return { request: out, names, warnings: [...tools.warnings, ...converted.warnings] };
}
