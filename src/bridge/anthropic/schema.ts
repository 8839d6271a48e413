// zod schemas of the Anthropic Messages API request, as Claude Code sends it. Lenient by design:
// unknown fields and unknown block types pass (Claude Code adds new ones every release, and a 400
// makes it retry in a cascade — design.md §4.4); known fields are checked so bad input gets a 400
// that names the field path.
import { z } from 'zod';

const cacheControl = z.looseObject({ type: z.string() }).optional();

export const textBlockSchema = z.looseObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControl,
});

const base64Source = z.looseObject({
  type: z.literal('base64'),
  media_type: z.string(),
  data: z.string(),
});
const urlSource = z.looseObject({ type: z.literal('url'), url: z.string() });
// Other source kinds pass through; a `base64` or `url` source that is not shaped like one is a 400,
// never forwarded (an image whose `data` is a number reached the upstream).
const otherSource = z.looseObject({
  type: z.string().refine((t) => t !== 'base64' && t !== 'url', { message: 'malformed image source' }),
});

export const imageBlockSchema = z.looseObject({
  type: z.literal('image'),
  source: z.union([base64Source, urlSource, otherSource]),
  cache_control: cacheControl,
});

export const toolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});

export const toolResultBlockSchema = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
  is_error: z.boolean().optional(),
});

export const thinkingBlockSchema = z.looseObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string().optional(),
});

// A Map, not an object literal: a block `type` is client input, and a lookup of "constructor" or
// "toString" in a plain object finds Object.prototype's members (a crash, answered as a 500).
const knownBlockSchemas = new Map<string, z.ZodType>([
  ['text', textBlockSchema],
  ['image', imageBlockSchema],
  ['tool_use', toolUseBlockSchema],
  ['tool_result', toolResultBlockSchema],
  ['thinking', thinkingBlockSchema],
]);

/** Any content block: known types are checked against their schema, others pass through. */
export const contentBlockSchema = z.looseObject({ type: z.string() }).superRefine((block, ctx) => {
  const schema = knownBlockSchemas.get(block.type);
  if (!schema) return;
  const result = schema.safeParse(block);
  if (!result.success) {
    for (const issue of result.error.issues) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    }
  }
});

export const messageSchema = z.looseObject({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlockSchema)]),
});

export const toolSchema = z.looseObject({
  name: z.string().min(1),
  type: z.string().optional(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  defer_loading: z.boolean().optional(),
});

export const toolChoiceSchema = z.looseObject({
  type: z.enum(['auto', 'any', 'tool', 'none']),
  name: z.string().optional(),
  disable_parallel_tool_use: z.boolean().optional(),
});

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(messageSchema),
  system: z.union([z.string(), z.array(contentBlockSchema)]).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).optional(),
  top_p: z.number().optional(),
  top_k: z.number().int().optional(),
  stop_sequences: z.array(z.string()).optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  thinking: z.looseObject({ type: z.string(), budget_tokens: z.number().optional() }).optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  output_config: z
    .looseObject({
      effort: z.string().optional(),
      format: z.looseObject({ type: z.string(), schema: z.unknown().optional() }).nullish(),
    })
    .optional(),
});

/** count_tokens takes the same request without max_tokens. */
export const countTokensRequestSchema = messagesRequestSchema.extend({
  max_tokens: z.number().int().positive().optional(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
export type AnthropicMessage = z.infer<typeof messageSchema>;
export type ContentBlock = z.infer<typeof contentBlockSchema> & Record<string, unknown>;
export type AnthropicTool = z.infer<typeof toolSchema>;

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export type ResponseBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown };

export interface MessageResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ResponseBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
}

/** The events of a streamed Messages response, by `type`. */
export type StreamEvent =
  | { type: 'message_start'; message: MessageResponse }
  | {
      type: 'content_block_start';
      index: number;
      content_block:
        | { type: 'text'; text: '' }
        | { type: 'thinking'; thinking: ''; signature: '' }
        | { type: 'tool_use'; id: string; name: string; input: Record<string, never> };
    }
  | {
      type: 'content_block_delta';
      index: number;
      delta:
        | { type: 'text_delta'; text: string }
        | { type: 'thinking_delta'; thinking: string }
        | { type: 'signature_delta'; signature: string }
        | { type: 'input_json_delta'; partial_json: string };
    }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: StopReason | null; stop_sequence: string | null };
      usage: Usage;
    }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: { type: string; message: string } };
