// Is the bridge (`dsb serve`) up, and does a streamed /v1/messages request go through it end to end
// the way Claude Code sends it (event lines matching data.type, message_start first, message_stop last)?
import { suggestBridgePort } from './bridge-port.js';
import type { Check, CheckContext, CheckOutcome, Fix } from './types.js';
import { errorMessageOf, isObject, jsonOf, parseJson, pick, str, tryHttp } from './util.js';

export const BRIDGE_STREAM_TIMEOUT_MS = 30_000;

export interface SseFrame {
  event?: string;
  data: string;
}

/** Splits an SSE body into frames (blank-line separated; comment lines ignored). */
export function parseSse(body: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of body.replace(/\r\n/g, '\n').split(/\n\n+/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || !line) continue;
      const [field, ...rest] = line.split(':');
      const value = rest.join(':').replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (event !== undefined || data.length) frames.push({ event, data: data.join('\n') });
  }
  return frames;
}

export interface StreamVerdict {
  ok: boolean;
  problem?: string;
  text: string;
  events: string[];
  stopReason?: string;
}

/** The invariants of design.md §4.3 that matter most to Claude Code. */
export function checkAnthropicStream(body: string): StreamVerdict {
  const frames = parseSse(body);
  const events: string[] = [];
  let text = '';
  let stopReason: string | undefined;
  for (const f of frames) {
    const json = parseJson(f.data);
    const type = str(pick(json, 'type'));
    events.push(f.event ?? `(no event:) ${type}`);
    if (!f.event)
      return {
        ok: false,
        problem: `a frame has no event: line (${type ?? f.data.slice(0, 40)}); Claude Code's SDK drops it`,
        text,
        events,
      };
    if (type !== f.event)
      return { ok: false, problem: `event: ${f.event} carries data.type ${type}`, text, events };
    if (type === 'error')
      return {
        ok: false,
        problem: `error event: ${str(pick(json, 'error', 'message')) ?? f.data.slice(0, 120)}`,
        text,
        events,
      };
    if (type === 'content_block_delta') text += str(pick(json, 'delta', 'text')) ?? '';
    if (type === 'message_delta') stopReason = str(pick(json, 'delta', 'stop_reason'));
  }
  const kinds = events.filter((e) => e !== 'ping');
  if (kinds[0] !== 'message_start')
    return {
      ok: false,
      problem: `the stream does not start with message_start (${kinds[0] ?? 'empty'})`,
      text,
      events,
    };
  if (kinds[kinds.length - 1] !== 'message_stop')
    return { ok: false, problem: 'the stream does not end with message_stop', text, events };
  return { ok: true, text, events, stopReason };
}

async function serveFix(ctx: CheckContext, bridgeAnswers = false): Promise<Fix> {
  const { upstreamUrl, bridgeUrl } = ctx;
  let port = 3000;
  let host = '127.0.0.1';
  try {
    const u = new URL(bridgeUrl);
    port = Number(u.port || '80');
    host = u.hostname.replace(/^\[|\]$/g, '');
  } catch {}
  // Another program on the bridge's port: the same free port the loopback check suggests.
  const free = bridgeAnswers ? port : await suggestBridgePort(ctx, host, port);
  return {
    description:
      free === port
        ? 'start the bridge (keep it running; `dsb serve --demo` tries it without a model)'
        : `port ${port} is taken by another program: start the bridge on ${free} and point ANTHROPIC_BASE_URL there (\`dsb init --port ${free}\`)`,
    commands: [`dsb serve --port ${free} --upstream ${upstreamUrl}`],
  };
}

export const bridgeCheck: Check = {
  id: 'bridge',
  title: 'Bridge (dsb serve)',
  required: true,
  description: 'The bridge answers GET /health and a streamed POST /v1/messages end to end.',
  timeoutMs: BRIDGE_STREAM_TIMEOUT_MS + 5_000,
  async run(ctx): Promise<CheckOutcome> {
    const health = await tryHttp(ctx, `${ctx.bridgeUrl}/health`);
    if (!health.ok) {
      return {
        status: 'fail',
        summary: `the bridge does not answer at ${ctx.bridgeUrl}: ${health.message}`,
        details: ['Claude Code sends every request to the bridge (ANTHROPIC_BASE_URL); it must be running.'],
        data: { url: ctx.bridgeUrl, running: false },
        fix: await serveFix(ctx),
      };
    }
    const healthJson = jsonOf(health);
    const details: string[] = [];
    const data: Record<string, unknown> = {
      url: ctx.bridgeUrl,
      running: true,
      healthStatus: health.response.status,
    };
    if (health.response.status !== 200 || !isObject(healthJson)) {
      return {
        status: 'fail',
        summary: `something else answers at ${ctx.bridgeUrl}: GET /health gave HTTP ${health.response.status}${isObject(healthJson) ? '' : ' without JSON'}`,
        details,
        data,
        fix: await serveFix(ctx),
      };
    }
    const upstreams = Array.isArray(healthJson.upstreams) ? healthJson.upstreams.filter(isObject) : [];
    for (const u of upstreams)
      details.push(
        `upstream ${str(u.url) ?? '?'}: ${u.reachable === false ? 'unreachable' : 'reachable'}${str(u.model) ? `, model ${u.model}` : ''}`,
      );
    if (healthJson.demo === true) details.push('the bridge runs with its built-in demo upstream (--demo)');
    data.health = healthJson;

    const token = ctx.config.server.authToken;
    const res = await tryHttp(ctx, `${ctx.bridgeUrl}/v1/messages?beta=true`, {
      method: 'POST',
      timeoutMs: BRIDGE_STREAM_TIMEOUT_MS,
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        ...(token ? { 'x-api-key': token } : {}),
      },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 32,
        stream: true,
        messages: [{ role: 'user', content: 'Reply with the single word: ok' }],
      }),
    });
    if (!res.ok) {
      return {
        status: 'fail',
        summary: `streamed POST /v1/messages failed: ${res.message}`,
        details,
        data,
        fix: await serveFix(ctx, true),
      };
    }
    data.messagesStatus = res.response.status;
    if (res.response.status !== 200) {
      const message = errorMessageOf(res.response.body) ?? res.response.body.slice(0, 200);
      const upstreamDown = res.response.status === 502 || res.response.status === 503;
      return {
        status: 'fail',
        summary: `the bridge answered POST /v1/messages with HTTP ${res.response.status}: ${message}`,
        details,
        data,
        fix: upstreamDown
          ? {
              description: 'the bridge runs but cannot reach its upstream: fix the upstream checks above',
              commands: ['dsb doctor upstream-openai'],
            }
          : res.response.status === 401
            ? {
                description: "send the bridge's auth token: ANTHROPIC_AUTH_TOKEN must equal DSB_AUTH_TOKEN",
                commands: ['dsb doctor client-config'],
              }
            : await serveFix(ctx, true),
      };
    }
    const verdict = checkAnthropicStream(res.response.body);
    data.events = verdict.events.length;
    if (!verdict.ok) {
      return {
        status: 'fail',
        summary: `the bridge's stream is broken: ${verdict.problem}`,
        details: [...details, `events: ${verdict.events.slice(0, 12).join(', ')}`],
        data,
        fix: {
          description: 'run dsb probe for the full diagnosis, and report it as a dsb bug',
          commands: ['dsb probe'],
        },
      };
    }
    details.push(
      `stream: ${verdict.events.length} events, stop_reason ${verdict.stopReason ?? '?'}, text ${JSON.stringify(verdict.text.slice(0, 60))} (${res.ms} ms)`,
    );
    return {
      status: 'pass',
      summary: `answers at ${ctx.bridgeUrl}; a streamed /v1/messages went through (${res.ms} ms)`,
      details,
      data,
    };
  },
};
