// Anthropic tools → OpenAI functions. Pure.
import { createHash } from 'node:crypto';
import type { AnthropicTool, MessagesRequest } from '../anthropic/schema.js';
import type { ChatTool, ChatToolChoice } from '../openai/types.js';

/** OpenAI-compatible servers reject function names over 64 characters (MCP tools often exceed it). */
export const MAX_TOOL_NAME_LENGTH = 64;

/** Maps names in both directions for one request: shortened upstream names back to the client's. */
export class ToolNameMap {
  private readonly toUpstream = new Map<string, string>();
  private readonly toClient = new Map<string, string>();

  upstreamName(clientName: string): string {
    const known = this.toUpstream.get(clientName);
    if (known) return known;
    let name = clientName;
    if (name.length > MAX_TOOL_NAME_LENGTH) {
      // Deterministic so the prompt (and the server's prefix cache) is the same on every request.
      const hash = createHash('sha256').update(clientName).digest('hex').slice(0, 8);
      name = `${clientName.slice(0, MAX_TOOL_NAME_LENGTH - 9)}_${hash}`;
    }
    this.toUpstream.set(clientName, name);
    this.toClient.set(name, clientName);
    return name;
  }

  clientName(upstreamName: string): string {
    return this.toClient.get(upstreamName) ?? upstreamName;
  }
}

/** Tools Claude Code offers that are not plain functions the model can call. */
function isCallableFunctionTool(tool: AnthropicTool): boolean {
  if (tool.name === 'DeferredToolPlaceholder' || tool.defer_loading === true) return false;
  // Server tools (web_search_20250305, code_execution_…, bash_20250124 …) have a versioned `type`.
  return tool.type === undefined || tool.type === 'custom';
}

function stripSchemaKeyword(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  if (rest.type === undefined) rest.type = 'object';
  return rest;
}

export interface ConvertedTools {
  tools: ChatTool[] | undefined;
  toolChoice: ChatToolChoice | undefined;
  parallelToolCalls: boolean | undefined;
  warnings: string[];
}

export function convertTools(request: MessagesRequest, names: ToolNameMap): ConvertedTools {
  const warnings: string[] = [];
  let tools: ChatTool[] = [];
  for (const tool of request.tools ?? []) {
    if (!isCallableFunctionTool(tool)) {
      if (tool.type !== undefined && tool.type !== 'custom') {
        warnings.push(`server tool ${tool.name} (${tool.type}) dropped: the upstream cannot run it`);
      }
      continue;
    }
    const fn: ChatTool['function'] = {
      name: names.upstreamName(tool.name),
      parameters: stripSchemaKeyword(tool.input_schema ?? { type: 'object', properties: {} }),
    };
    if (tool.description) fn.description = tool.description;
    tools.push({ type: 'function', function: fn });
  }

  let toolChoice: ChatToolChoice | undefined;
  let parallelToolCalls: boolean | undefined;
  const choice = request.tool_choice;
  if (choice && tools.length > 0) {
    switch (choice.type) {
      case 'auto':
        toolChoice = 'auto';
        break;
      case 'any':
        toolChoice = 'required';
        break;
      case 'none':
        toolChoice = 'none';
        break;
      case 'tool': {
        // llama.cpp silently treats the object form as `auto` (verified): offer only the named
        // tool and require a call instead, which every server honours.
        const wanted = choice.name ? names.upstreamName(choice.name) : undefined;
        const only = tools.filter((t) => t.function.name === wanted);
        if (only.length > 0) {
          tools = only;
          toolChoice = 'required';
        } else {
          warnings.push(`tool_choice names ${choice.name ?? '(none)'}, which is not among the tools`);
          toolChoice = 'auto';
        }
        break;
      }
    }
    if (choice.disable_parallel_tool_use === true) parallelToolCalls = false;
  }
  return { tools: tools.length > 0 ? tools : undefined, toolChoice, parallelToolCalls, warnings };
}
