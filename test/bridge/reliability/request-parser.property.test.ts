// Property tests of the request side: whatever a client sends — a Claude Code-shaped request with
// any field wrong, any JSON, text that is not JSON, a truncated body — the bridge answers with a
// valid Anthropic response or an Anthropic error naming what is wrong, never a crash (no throw
// escapes: an internal error would be a 500 `internal bridge error`), and keeps serving.
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesRequestSchema } from '../../../src/bridge/anthropic/schema.js';
import { type BridgeLogger, silentLogger } from '../../../src/bridge/log.js';
import type { ChatMessage } from '../../../src/bridge/openai/types.js';
import { type RunningBridge, startBridge } from '../../../src/bridge/server.js';
import { convertMessagesRequest } from '../../../src/bridge/translate/request.js';
import { formatZodIssues } from '../../../src/config/load.js';
import { configSchema } from '../../../src/config/schema.js';
import { checkMessageResponse } from '../../../src/probe/answer.js';
import { checkStreamInvariants, formatViolation } from '../../../src/probe/invariants.js';
import { SseParser } from '../../../src/probe/sse.js';
import { type FakeUpstream, startFakeLlama } from '../../support/fake-upstream/index.js';
import { clientBody, validRequest } from './arbitraries.js';

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

/** What the upstream must be able to take: the shape OpenAI-compatible servers validate. */
function upstreamRequestProblems(request: {
  model: unknown;
  messages: ChatMessage[];
  max_tokens: unknown;
  tools?: Array<{ function: { name: string } }>;
}): string[] {
  const problems: string[] = [];
  if (typeof request.model !== 'string') problems.push(`model is ${typeof request.model}`);
  if (!Number.isInteger(request.max_tokens) || (request.max_tokens as number) < 1)
    problems.push('max_tokens is not a positive integer');
  request.messages.forEach((m, i) => {
    const msg = m as unknown as Record<string, unknown>;
    if (!ROLES.has(msg.role as string)) problems.push(`messages[${i}].role is ${JSON.stringify(msg.role)}`);
    if (msg.role === 'system' && i !== 0)
      problems.push(`messages[${i}] is a system message that is not first`);
    const content = msg.content;
    const contentOk =
      typeof content === 'string' ||
      Array.isArray(content) ||
      (content === null && msg.role === 'assistant' && Array.isArray(msg.tool_calls));
    if (!contentOk) problems.push(`messages[${i}].content is ${JSON.stringify(content)}`);
    if (Array.isArray(content) && msg.role !== 'user')
      problems.push(`messages[${i}] (${String(msg.role)}) has content parts`);
    if (msg.role === 'tool' && (typeof msg.tool_call_id !== 'string' || typeof content !== 'string'))
      problems.push(`messages[${i}] is a tool message without id or text`);
    for (const call of (msg.tool_calls as Array<{
      id: unknown;
      function: { name: unknown; arguments: unknown };
    }>) ?? []) {
      if (
        typeof call.id !== 'string' ||
        typeof call.function.name !== 'string' ||
        typeof call.function.arguments !== 'string'
      ) {
        problems.push(`messages[${i}] has a malformed tool call ${JSON.stringify(call)}`);
      }
    }
  });
  for (const tool of request.tools ?? []) {
    if (typeof tool.function.name !== 'string' || tool.function.name.length > 64)
      problems.push(`tool name ${JSON.stringify(tool.function.name)} is not a valid function name`);
  }
  return problems;
}

describe('request parser and converter (pure)', () => {
  it('any body gives either a 400 naming the field, or an upstream request servers accept; nothing throws', () => {
    fc.assert(
      fc.property(clientBody, (body) => {
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          return; // the server answers 400 "not valid JSON" here (tested over HTTP below)
        }
        const parsed = messagesRequestSchema.safeParse(json);
        if (!parsed.success) {
          const message = formatZodIssues(parsed.error);
          expect(message.length).toBeGreaterThan(0);
          return;
        }
        for (const thinkingStyle of ['chat-template', 'deepseek-api', 'none'] as const) {
          const converted = convertMessagesRequest(parsed.data, {
            model: 'deepseek-v4',
            thinkingStyle,
            reasoningFor: () => 'recalled reasoning',
          });
          expect(upstreamRequestProblems(converted.request as never)).toEqual([]);
          // It must survive serialisation, as it is sent as JSON.
          expect(JSON.parse(JSON.stringify(converted.request))).toBeTypeOf('object');
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('the same conversation always gives the same upstream prompt (the prefix cache depends on it)', () => {
    fc.assert(
      fc.property(validRequest, (raw) => {
        const parsed = messagesRequestSchema.safeParse(JSON.parse(JSON.stringify(raw)));
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        const a = convertMessagesRequest(parsed.data, { model: 'm' });
        const b = convertMessagesRequest(structuredClone(parsed.data), { model: 'm' });
        expect(JSON.stringify(a.request)).toBe(JSON.stringify(b.request));
      }),
      { numRuns: 300 },
    );
  });
});

describe('request parser over HTTP: the server answers every body well and keeps serving', () => {
  let upstream: FakeUpstream;
  let bridge: RunningBridge;
  const warnings: string[] = [];
  const logger: BridgeLogger = {
    ...silentLogger,
    warn: (msg, fields) => warnings.push(`${msg} ${JSON.stringify(fields)}`),
  };
  // One connection, reused: the point is the server's answers, not connection setup.
  const agent = new Agent({ connections: 4 });

  beforeAll(async () => {
    upstream = await startFakeLlama();
    bridge = await startBridge({
      config: configSchema.parse({
        server: { port: 0, pingIntervalMs: 1_000 },
        upstreams: [{ url: upstream.url, kind: 'llama.cpp', tokenCounting: 'estimate', contextSize: 8192 }],
      }),
      logger,
    });
  });
  afterAll(async () => {
    await agent.close();
    await bridge?.close();
    await upstream?.close();
  });

  it('valid message, valid stream, or an Anthropic error; never an internal error', async () => {
    const statuses: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(clientBody, async (body) => {
        const res = await request(`${bridge.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
          body,
          dispatcher: agent,
        });
        const text = await res.body.text();
        const kind =
          res.statusCode === 200 && String(res.headers['content-type']).includes('text/event-stream')
            ? 'stream'
            : String(res.statusCode);
        statuses[kind] = (statuses[kind] ?? 0) + 1;
        if (res.statusCode === 200) {
          if (String(res.headers['content-type']).includes('text/event-stream')) {
            const parser = new SseParser();
            const frames = [...parser.push(text), ...parser.end()];
            expect(checkStreamInvariants(frames).map(formatViolation)).toEqual([]);
            expect(['message_stop', 'error']).toContain((frames.at(-1)?.data as { type?: string })?.type);
          } else {
            expect(checkMessageResponse(JSON.parse(text)).violations).toEqual([]);
          }
          return;
        }
        // Bad input is the client's fault (4xx); a too-long prompt is 400 with Claude Code's wording.
        expect([400, 404, 413]).toContain(res.statusCode);
        const error = JSON.parse(text) as { type: string; error: { type: string; message: string } };
        expect(error.type).toBe('error');
        expect(error.error.type).toMatch(/^(invalid_request_error|not_found_error|request_too_large)$/);
        expect(error.error.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
    expect(warnings.filter((w) => w.startsWith('internal error'))).toEqual([]);
    // The runs must reach the upstream path, not only the validation errors.
    expect(statuses['200'] ?? 0).toBeGreaterThan(10);
    expect(statuses.stream ?? 0).toBeGreaterThan(10);
    // Still serving.
    const ok = await request(`${bridge.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      dispatcher: agent,
    });
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
  });

  it('model names that are Object.prototype members are ordinary names (upstream gets a string model)', async () => {
    for (const model of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const res = await request(`${bridge.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
        dispatcher: agent,
      });
      await res.body.text();
      expect(res.statusCode).toBe(200);
      expect(typeof upstream.requests.at(-1)?.body?.model).toBe('string');
    }
  });
});
