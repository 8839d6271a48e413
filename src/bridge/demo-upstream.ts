// A built-in, deterministic OpenAI-compatible upstream (`dsb serve --demo`): lets a newcomer without
// a model see the whole chain work, and gives tests a real HTTP server to hit. It speaks like
// llama-server (chunk shapes, usage chunk after finish, `exceed_context_size_error` on overflow).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { estimatePromptTokens } from './context/estimate.js';
import type { ChatCompletionRequest, ChatMessage, ChatTool } from './openai/types.js';

export const DEMO_MODEL = 'dsb-demo';
export const DEMO_CONTEXT = 65_536;

export interface DemoUpstream {
  url: string;
  close(): Promise<void>;
}

interface PlannedCall {
  name: string;
  arguments: string;
}

interface Plan {
  reasoning: string | undefined;
  text: string;
  calls: PlannedCall[];
}

function sampleValue(schema: Record<string, unknown> | undefined, key: string): unknown {
  const type = schema?.type;
  if (Array.isArray(schema?.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (type) {
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      if (/path|file/i.test(key)) return 'demo.txt';
      if (/command/i.test(key)) return 'echo hello from dsb demo';
      if (/content|text/i.test(key)) return 'Hello from the dsb demo upstream.\n';
      return 'demo';
  }
}

/** Arguments that satisfy the tool's required properties, deterministically. */
function sampleArguments(tool: ChatTool): string {
  const params = tool.function.parameters as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  const props = params.properties ?? {};
  const required = params.required ?? Object.keys(props).slice(0, 1);
  const args: Record<string, unknown> = {};
  for (const key of required) args[key] = sampleValue(props[key], key);
  return JSON.stringify(args);
}

function textOf(message: ChatMessage | undefined): string {
  if (!message) return '';
  const content = (message as { content?: unknown }).content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p.type === 'text' ? p.text : '[image]')).join(' ');
  return '';
}

/**
 * `[[call:Name]]` in the user's text asks the demo to call the tool Name. Only this explicit marker
 * triggers a call under `tool_choice: auto`: a tool name merely appearing in the text ("thread"
 * contains "Read", a Python file says "Bash") must not, or a long file sent for an explanation
 * comes back as a tool call.
 */
export const DEMO_TOOL_MARKER = /\[\[call:([A-Za-z0-9_.-]+)\]\]/g;

function markedTools(tools: ChatTool[], text: string): ChatTool[] {
  const names = new Set([...text.matchAll(DEMO_TOOL_MARKER)].map((m) => m[1]!.toLowerCase()));
  return tools.filter((t) => names.has(t.function.name.toLowerCase()));
}

/**
 * Which tools the demo calls. A named tool_choice calls that tool; `required` (a forced call, like
 * Claude Code's `any`) calls the marked tools, else the ones the text names as words, else the first
 * tool (a model forced to call one picks the most plausible); `auto` calls only marked tools.
 */
function chooseTools(
  tools: ChatTool[],
  choice: ChatCompletionRequest['tool_choice'],
  text: string,
): ChatTool[] {
  if (typeof choice === 'object' && choice !== null) {
    const name = (choice as { function?: { name?: string } }).function?.name;
    return tools.filter((t) => t.function.name === name);
  }
  const marked = markedTools(tools, text);
  if (marked.length > 0 || choice !== 'required') return marked;
  const named = tools.filter((t) => new RegExp(`\\b${escapeRegExp(t.function.name)}\\b`).test(text));
  return named.length > 0 ? named : tools.slice(0, 1);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function planAnswer(req: ChatCompletionRequest): Plan {
  const messages = req.messages ?? [];
  const last = messages.at(-1);
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const userText = textOf(lastUser)
    .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '')
    .trim();
  const thinking = (req.chat_template_kwargs as { thinking?: unknown } | undefined)?.thinking === true;
  const reasoning = thinking
    ? `The user wrote ${userText.split(/\s+/).filter(Boolean).length} words. I will answer briefly.`
    : undefined;
  const tools = req.tools ?? [];
  if (last?.role === 'tool') {
    const results = messages
      .slice(messages.findLastIndex((m) => m.role === 'assistant') + 1)
      .filter((m) => m.role === 'tool');
    const summary = results.map((m) => textOf(m).slice(0, 120)).join(' | ');
    return { reasoning, text: `The tool returned: ${summary}`, calls: [] };
  }
  if (tools.length > 0 && req.tool_choice !== 'none') {
    const chosen = chooseTools(tools, req.tool_choice, userText);
    const parallel = req.parallel_tool_calls !== false;
    const calls = (parallel ? chosen : chosen.slice(0, 1)).map((t) => ({
      name: t.function.name,
      arguments: sampleArguments(t),
    }));
    if (calls.length > 0) return { reasoning, text: 'Calling a tool.', calls };
  }
  const echo = userText.length > 200 ? `${userText.slice(0, 200)}…` : userText;
  return { reasoning, text: `Hello from the dsb demo upstream. You said: "${echo}"`, calls: [] };
}

/** Splits text into word-sized pieces, keeping the spaces, as a tokenizer would stream them. */
const pieces = (text: string): string[] => text.match(/\s*\S+|\s+$/g) ?? [];

function chunk(id: string, created: number, body: Record<string, unknown>): string {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: DEMO_MODEL, system_fingerprint: 'dsb-demo', ...body })}\n\n`;
}

function overflowBody(promptTokens: number): string {
  return JSON.stringify({
    error: {
      code: 400,
      message: `request (${promptTokens} tokens) exceeds the available context size (${DEMO_CONTEXT} tokens), try increasing it`,
      type: 'exceed_context_size_error',
      n_prompt_tokens: promptTokens,
      n_ctx: DEMO_CONTEXT,
    },
  });
}

interface DemoAnswer {
  id: string;
  created: number;
  reasoningPieces: string[];
  textPieces: string[];
  calls: PlannedCall[];
  callIds: string[];
  finish: string;
  usage: Record<string, number>;
  includeUsage: boolean;
}

/** The answer as llama-server streams it: one chunk per piece, tool calls in fragments, [DONE]. */
function streamBody(answer: DemoAnswer): string {
  const { id, created, reasoningPieces, textPieces, callIds, finish, usage } = answer;
  let out = chunk(id, created, {
    choices: [{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }],
  });
  for (const p of reasoningPieces)
    out += chunk(id, created, {
      choices: [{ index: 0, delta: { reasoning_content: p }, finish_reason: null }],
    });
  for (const p of textPieces)
    out += chunk(id, created, { choices: [{ index: 0, delta: { content: p }, finish_reason: null }] });
  answer.calls.forEach((call, i) => {
    // Like llama-server: the first delta carries id, name and `{`, then raw argument fragments.
    out += chunk(id, created, {
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              {
                index: i,
                id: callIds[i],
                type: 'function',
                function: { name: call.name, arguments: call.arguments.slice(0, 1) },
              },
            ],
          },
          finish_reason: null,
        },
      ],
    });
    for (let at = 1; at < call.arguments.length; at += 8) {
      out += chunk(id, created, {
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: i, function: { arguments: call.arguments.slice(at, at + 8) } }],
            },
            finish_reason: null,
          },
        ],
      });
    }
  });
  out += chunk(id, created, { choices: [{ index: 0, delta: {}, finish_reason: finish }] });
  if (answer.includeUsage) out += chunk(id, created, { choices: [], usage });
  out += 'data: [DONE]\n\n';
  return out;
}

export function createDemoUpstreamHandler(): http.RequestListener {
  let counter = 0;
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (req.method === 'GET' && path === '/health') return json(200, { status: 'ok' });
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      return json(200, {
        object: 'list',
        data: [
          {
            id: DEMO_MODEL,
            object: 'model',
            created: 0,
            owned_by: 'dsb',
            meta: { n_ctx: DEMO_CONTEXT, n_ctx_train: DEMO_CONTEXT, ftype: 'demo' },
          },
        ],
      });
    }
    if (req.method === 'GET' && path === '/props') {
      return json(200, {
        default_generation_settings: { n_ctx: DEMO_CONTEXT },
        total_slots: 1,
        model_alias: DEMO_MODEL,
      });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return json(404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: ChatCompletionRequest;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (!Array.isArray(body.messages)) throw new Error("'messages' is required");
      } catch (err) {
        return json(400, {
          error: { code: 400, message: (err as Error).message, type: 'invalid_request_error' },
        });
      }
      const promptTokens = estimatePromptTokens(body);
      if (promptTokens >= DEMO_CONTEXT) return json(400, overflowBody(promptTokens));
      const plan = planAnswer(body);
      const id = `chatcmpl-demo${++counter}`;
      const created = Math.floor(Date.now() / 1000);
      const limit = typeof body.max_tokens === 'number' ? body.max_tokens : Number.POSITIVE_INFINITY;
      let textPieces = plan.calls.length > 0 ? [] : pieces(plan.text);
      const reasoningPieces = plan.reasoning ? pieces(plan.reasoning) : [];
      let finish = plan.calls.length > 0 ? 'tool_calls' : 'stop';
      if (reasoningPieces.length + textPieces.length > limit) {
        textPieces = textPieces.slice(0, Math.max(0, limit - reasoningPieces.length));
        finish = 'length';
      }
      const completionTokens = reasoningPieces.length + textPieces.length + plan.calls.length * 8;
      const usage = {
        completion_tokens: completionTokens,
        prompt_tokens: promptTokens,
        total_tokens: promptTokens + completionTokens,
      };
      const callIds = plan.calls.map((_, i) => `call_demo${counter}_${i}`);
      if (!body.stream) {
        const message: Record<string, unknown> = { role: 'assistant', content: textPieces.join('') || null };
        if (plan.reasoning) message.reasoning_content = plan.reasoning;
        if (plan.calls.length > 0) {
          message.tool_calls = plan.calls.map((c, i) => ({ id: callIds[i], type: 'function', function: c }));
        }
        return json(200, {
          id,
          object: 'chat.completion',
          created,
          model: DEMO_MODEL,
          choices: [{ index: 0, message, finish_reason: finish }],
          usage,
        });
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.end(
        streamBody({
          id,
          created,
          reasoningPieces,
          textPieces,
          calls: plan.calls,
          callIds,
          finish,
          usage,
          includeUsage: body.stream_options?.include_usage === true,
        }),
      );
    });
  };
}

export async function startDemoUpstream(
  options: { host?: string; port?: number } = {},
): Promise<DemoUpstream> {
  const server = http.createServer(createDemoUpstreamHandler());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
