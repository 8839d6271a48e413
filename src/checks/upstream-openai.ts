// Does the upstream answer OpenAI's /v1/chat/completions with a real completion? Recognises the server
// kind and version, a llama.cpp server reachable only through its native /completion API, an upstream
// that wants an API key, and one that is still loading its model.

import type { LocalUpstreamKind } from '../upstreams/kind.js';
import { guessServerKind, launchAddress, launchCommand, shellOf } from './fix-commands.js';
import type { Check, CheckContext, CheckOutcome, Fix } from './types.js';
import {
  chatBody,
  describeUpstream,
  discoverUpstream,
  kindLabel,
  type UpstreamInfo,
  upstreamRequest,
} from './upstream-info.js';
import { errorMessageOf, jsonOf, pick, str } from './util.js';

/** A real completion on a local GPU can take a while (first request warms the model up). */
export const COMPLETION_TIMEOUT_MS = 30_000;

/** "Start the server" fix, shared by every upstream check when nothing answers. */
export function startServerFix(ctx: CheckContext, info?: UpstreamInfo, kindHint?: string): Fix {
  const kind: LocalUpstreamKind = guessServerKind(ctx, kindHint ?? info?.kind);
  const { host, port } = launchAddress(ctx);
  const shell = shellOf(ctx);
  const commands = [launchCommand({ kind, host, port, model: info?.llama?.modelPath }, shell)];
  const alternatives = (['llama.cpp', 'vllm', 'ollama'] as LocalUpstreamKind[]).filter((k) => k !== kind);
  return {
    description: `start ${kindLabel(kind)} with the OpenAI API, a 64K context and tool calls on ${host}:${port} (replace MODEL; \`dsb launch ${kind}\` prints it for your model; other servers: ${alternatives.map((k) => `\`dsb launch ${k}\``).join(', ')}), or point dsb at the right server with --upstream URL`,
    commands,
  };
}

export function unreachableOutcome(ctx: CheckContext, info: UpstreamInfo, what: string): CheckOutcome {
  return {
    status: 'fail',
    summary: `nothing answers at ${ctx.upstreamUrl}: ${info.error ?? 'unreachable'}`,
    details: [
      `${what} needs a running model server; dsb looked for one at ${ctx.upstreamUrl} (set with --upstream URL or upstreams[0].url in the dsb config).`,
    ],
    data: { url: ctx.upstreamUrl, reachable: false, reason: info.errorReason },
    fix: startServerFix(ctx, info),
  };
}

/** What every outcome of the check reports about the server, whatever the answer. */
interface Report {
  label: string;
  details: string[];
  data: Record<string, unknown>;
}

function reportOf(ctx: CheckContext, info: UpstreamInfo): Report {
  const label = describeUpstream(info);
  const details = [`server: ${label}${info.kindEvidence ? ` (recognised by ${info.kindEvidence})` : ''}`];
  if (info.model) details.push(`model: ${info.model}`);
  return {
    label,
    details,
    data: {
      url: ctx.upstreamUrl,
      kind: info.kind,
      version: info.version ?? null,
      model: info.model ?? null,
      models: info.models,
    },
  };
}

function authRejectedOutcome(ctx: CheckContext, { label, details, data }: Report): CheckOutcome {
  return {
    status: 'fail',
    summary: `${label} at ${ctx.upstreamUrl} rejects dsb's requests: it wants an API key`,
    details,
    data,
    fix: {
      description:
        'give dsb the upstream key (the bridge sends it as Authorization: Bearer; Claude Code never sees it)',
      commands: [
        ctx.system.platform === 'win32'
          ? "$env:DSB_UPSTREAM_API_KEY = 'YOUR_KEY'"
          : "export DSB_UPSTREAM_API_KEY='YOUR_KEY'",
        'or set "apiKey" in upstreams[0] of dsb.config.json',
      ],
    },
  };
}

/** No HTTP answer at all to the chat request: a timeout (still loading?) or a refused connection. */
function noAnswerOutcome(
  ctx: CheckContext,
  info: UpstreamInfo,
  { label, details, data }: Report,
  chat: { message: string; reason?: string },
): CheckOutcome {
  return {
    status: 'fail',
    summary: `${label} did not answer POST /v1/chat/completions: ${chat.message}`,
    details: [
      ...details,
      chat.reason === 'timeout'
        ? `no answer within ${COMPLETION_TIMEOUT_MS / 1000} s: the model may still be loading, or the server is stuck`
        : '',
    ].filter(Boolean),
    data,
    fix:
      chat.reason === 'timeout'
        ? {
            description: 'wait for the model to load (watch the server log), then run dsb doctor again',
            commands: [],
          }
        : startServerFix(ctx, info),
  };
}

/** /v1/chat/completions is 404/405: an old llama.cpp with only its native /completion, or not OpenAI at all. */
async function noChatRouteOutcome(
  ctx: CheckContext,
  info: UpstreamInfo,
  { label, details, data }: Report,
  status: number,
): Promise<CheckOutcome> {
  const native = await upstreamRequest(ctx, '/completion', {
    method: 'POST',
    body: JSON.stringify({ prompt: 'Hello', n_predict: 1 }),
    timeoutMs: COMPLETION_TIMEOUT_MS,
  });
  const nativeWorks =
    native.ok && native.response.status === 200 && typeof pick(jsonOf(native), 'content') === 'string';
  if (nativeWorks) {
    return {
      status: 'fail',
      summary: `only llama.cpp's native API answers at ${ctx.upstreamUrl}: /completion works but /v1/chat/completions is ${status}`,
      details: [
        ...details,
        "Claude Code's bridge needs the OpenAI-compatible API; the native /completion endpoint is not it.",
      ],
      data: { ...data, nativeOnly: true },
      fix: {
        description:
          'run a current llama.cpp `llama-server` (it serves /v1/chat/completions), not an old example server',
        commands: [
          launchCommand(
            { kind: 'llama.cpp', ...launchAddress(ctx), model: info.llama?.modelPath },
            shellOf(ctx),
          ),
        ],
      },
    };
  }
  return {
    status: 'fail',
    summary: `${label} at ${ctx.upstreamUrl} has no /v1/chat/completions (HTTP ${status})`,
    details: [
      ...details,
      'The URL must be the base of an OpenAI-compatible server (dsb appends /v1/chat/completions).',
    ],
    data,
    fix: startServerFix(ctx, info),
  };
}

/** An HTTP error status other than 404/405: 503 is a server still loading, the rest a wrong server. */
function errorStatusOutcome(
  ctx: CheckContext,
  info: UpstreamInfo,
  { label, details, data }: Report,
  status: number,
  body: string,
): CheckOutcome {
  if (status === 503) {
    return {
      status: 'fail',
      summary: `${label} is not ready: ${errorMessageOf(body) ?? 'HTTP 503'}`,
      details,
      data,
      fix: {
        description:
          'wait until the server has loaded the model (its /health answers 200), then run dsb doctor again',
        commands: [],
      },
    };
  }
  return {
    status: 'fail',
    summary: `${label} answered POST /v1/chat/completions with HTTP ${status}: ${errorMessageOf(body) ?? body.slice(0, 200)}`,
    details,
    data,
    fix: startServerFix(ctx, info),
  };
}

/** A 2xx answer: a chat completion passes, anything else is not an OpenAI server. */
function completionOutcome(
  ctx: CheckContext,
  info: UpstreamInfo,
  { label, details, data }: Report,
  json: unknown,
  body: string,
  ms: number,
): CheckOutcome {
  const message = pick(json, 'choices', 0, 'message');
  const content = str(pick(message, 'content'));
  const reasoning = str(pick(message, 'reasoning_content'));
  if (message === undefined) {
    return {
      status: 'fail',
      summary: `${label} answered /v1/chat/completions, but not with an OpenAI chat completion`,
      details: [...details, `body starts: ${body.slice(0, 160)}`],
      data,
      fix: startServerFix(ctx, info),
    };
  }
  details.push(
    `completion in ${ms} ms: ${JSON.stringify((content ?? '').slice(0, 60))}${reasoning ? ' (with reasoning_content)' : ''}`,
  );
  return {
    status: 'pass',
    summary: `${label} at ${ctx.upstreamUrl} answers /v1/chat/completions${info.model ? ` with ${info.model}` : ''}`,
    details,
    data: { ...data, reasoning: Boolean(reasoning) },
  };
}

export const upstreamOpenaiCheck: Check = {
  id: 'upstream-openai',
  title: 'Upstream speaks OpenAI',
  required: true,
  description:
    'The upstream answers POST /v1/chat/completions with a real completion; names the server kind and version.',
  timeoutMs: COMPLETION_TIMEOUT_MS + 5_000,
  async run(ctx) {
    const info = await discoverUpstream(ctx);
    if (!info.reachable) return unreachableOutcome(ctx, info, 'Claude Code (through the bridge)');
    const report = reportOf(ctx, info);
    if (info.authRejected) return authRejectedOutcome(ctx, report);

    const chat = await upstreamRequest(ctx, '/v1/chat/completions', {
      method: 'POST',
      body: chatBody(info),
      timeoutMs: COMPLETION_TIMEOUT_MS,
    });
    if (!chat.ok) return noAnswerOutcome(ctx, info, report, chat);
    const { status, body } = chat.response;
    report.data.chatStatus = status;
    report.data.chatMs = chat.ms;
    if (status === 404 || status === 405) return noChatRouteOutcome(ctx, info, report, status);
    if (status >= 400) return errorStatusOutcome(ctx, info, report, status, body);
    return completionOutcome(ctx, info, report, jsonOf(chat), body, chat.ms);
  },
};
