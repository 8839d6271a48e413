// Does a forced one-tool request come back as a structured tool call? Claude Code works through tools;
// a server without a tool parser returns the call as text (`<tool_call>…`, DeepSeek's
// `<｜tool▁calls▁begin｜>`), or refuses `tools` (old llama.cpp: "tools param requires --jinja flag";
// vLLM without --enable-auto-tool-choice rejects tool_choice "auto").
import { LOCAL_UPSTREAMS } from '../upstreams/index.js';
import { isLocalUpstreamKind } from '../upstreams/kind.js';
import { relaunchCommand } from './fix-commands.js';
import type { Check, CheckContext, CheckOutcome, Fix } from './types.js';
import {
  chatBody,
  describeUpstream,
  discoverUpstream,
  type UpstreamInfo,
  upstreamRequest,
} from './upstream-info.js';
import { COMPLETION_TIMEOUT_MS, startServerFix, unreachableOutcome } from './upstream-openai.js';
import { errorMessageOf, isObject, jsonOf, parseJson, pick, str } from './util.js';

export const PROBE_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', enum: ['Paris', 'Tokyo', 'Lima'] } },
      required: ['city'],
    },
  },
} as const;

/** Tool-call markup that means "the model called a tool but the server did not parse it". */
const TEXT_TOOL_CALL =
  /<tool_call>|<\uff5ctool\u2581calls\u2581begin\uff5c>|<\uff5ctool\u2581call\u2581begin\uff5c>|DSML|"name"\s*:\s*"get_weather"/;

function toolsFix(ctx: CheckContext, info: UpstreamInfo): Fix {
  if (!isLocalUpstreamKind(info.kind))
    return { description: 'enable tool calling (function calling) on the upstream server', commands: [] };
  const { description, commands } = LOCAL_UPSTREAMS[info.kind].doctor.toolsFix;
  return {
    description,
    commands: commands ?? [
      relaunchCommand(ctx, info.kind, { model: info.model, modelFile: info.llama?.modelPath }),
    ],
  };
}

export const upstreamToolsCheck: Check = {
  id: 'upstream-tools',
  title: 'Upstream tool calls',
  required: true,
  description:
    'A forced one-tool request returns a structured tool call, not text (llama.cpp --jinja, vLLM/SGLang tool parser).',
  dependsOn: ['upstream-openai'],
  timeoutMs: COMPLETION_TIMEOUT_MS * 2 + 5_000,
  async run(ctx): Promise<CheckOutcome> {
    const info = await discoverUpstream(ctx);
    if (!info.reachable) return unreachableOutcome(ctx, info, 'Testing tool calls');
    const label = describeUpstream(info);
    const details: string[] = [];
    const data: Record<string, unknown> = { kind: info.kind };
    if (info.llama?.supportsTools === false)
      details.push("llama.cpp reports that the model's chat template has no tool support");

    const res = await upstreamRequest(ctx, '/v1/chat/completions', {
      method: 'POST',
      body: chatBody(info, {
        messages: [{ role: 'user', content: 'What is the weather in Paris? Use the tool.' }],
        tools: [PROBE_TOOL],
        tool_choice: 'required',
        max_tokens: 256,
      }),
      timeoutMs: COMPLETION_TIMEOUT_MS,
    });
    if (!res.ok) {
      return {
        status: 'fail',
        summary: `tool request to ${label} failed: ${res.message}`,
        details,
        data,
        fix: startServerFix(ctx, info),
      };
    }
    const { status, body } = res.response;
    data.status = status;
    if (status >= 400) {
      const message = errorMessageOf(body) ?? body.slice(0, 200);
      const jinja = /--jinja/.test(message);
      return {
        status: 'fail',
        summary: jinja
          ? `${label} refuses tools: "${message}"`
          : `${label} rejected a request with tools (HTTP ${status}): ${message}`,
        details,
        data: { ...data, error: message },
        fix: toolsFix(ctx, info),
      };
    }
    const message = pick(jsonOf(res), 'choices', 0, 'message');
    const calls = pick(message, 'tool_calls');
    const call = Array.isArray(calls) ? calls.find(isObject) : undefined;
    const content = str(pick(message, 'content')) ?? '';
    if (!call) {
      const asText = TEXT_TOOL_CALL.test(content);
      return {
        status: 'fail',
        summary: asText
          ? `${label} returns tool calls as text: the server does not parse them`
          : `${label} answered a forced tool request with text, not a tool call`,
        details: [...details, `content: ${JSON.stringify(content.slice(0, 160))}`],
        data: { ...data, toolCallAsText: asText },
        fix: toolsFix(ctx, info),
      };
    }
    const name = str(pick(call, 'function', 'name'));
    const args = pick(call, 'function', 'arguments');
    const parsedArgs = typeof args === 'string' ? parseJson(args) : args;
    data.toolName = name ?? null;
    details.push(
      `tool call: ${name}(${typeof args === 'string' ? args.replace(/\s+/g, ' ').slice(0, 80) : JSON.stringify(args)})`,
    );
    if (name !== PROBE_TOOL.function.name) {
      return {
        status: 'fail',
        summary: `${label} called a tool that does not exist (${name ?? 'no name'})`,
        details,
        data,
        fix: toolsFix(ctx, info),
      };
    }
    if (!isObject(parsedArgs)) {
      return {
        status: 'warn',
        summary: `${label} returns structured tool calls, but the arguments are not a JSON object`,
        details,
        data,
        fix: toolsFix(ctx, info),
      };
    }

    // vLLM accepts forced tool choice without a parser, but Claude Code sends tool_choice "auto":
    // without --enable-auto-tool-choice vLLM rejects every such request.
    if (isLocalUpstreamKind(info.kind) && LOCAL_UPSTREAMS[info.kind].doctor.checkAutoToolChoice) {
      const auto = await upstreamRequest(ctx, '/v1/chat/completions', {
        method: 'POST',
        body: chatBody(info, { tools: [PROBE_TOOL], tool_choice: 'auto', max_tokens: 1 }),
        timeoutMs: COMPLETION_TIMEOUT_MS,
      });
      if (auto.ok && auto.response.status >= 400) {
        const m = errorMessageOf(auto.response.body) ?? `HTTP ${auto.response.status}`;
        return {
          status: 'fail',
          summary: `${label} rejects tool_choice "auto", which Claude Code uses: ${m}`,
          details,
          data: { ...data, autoError: m },
          fix: toolsFix(ctx, info),
        };
      }
    }
    return { status: 'pass', summary: `${label} returns structured tool calls`, details, data };
  },
};
