// Property tests of the upstream side of a stream: whatever bytes an upstream sends — well-formed
// chunks, wrong types in any field, text that is not JSON, [DONE] anywhere, any framing, split at
// any byte — the SSE decoder and the stream translator never throw, and what reaches Claude Code
// is a stream it can consume (design.md §4.3 invariants, checked by the probe's checker), ending in
// `message_stop` or `error`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/bridge/anthropic/schema.js';
import { encodeSseEvents } from '../../../src/bridge/anthropic/sse.js';
import { UpstreamSseDecoder } from '../../../src/bridge/openai/sse-decoder.js';
import { convertChatResponse } from '../../../src/bridge/translate/response.js';
import { ToolNameMap } from '../../../src/bridge/translate/tools.js';
import { checkMessageResponse } from '../../../src/probe/answer.js';
import { checkStreamInvariants, formatViolation } from '../../../src/probe/invariants.js';
import { SseParser } from '../../../src/probe/sse.js';
import { testTranslator } from '../../support/translate-harness.js';
import { completionBody, payload, sseStyle, sseText, wellEnded } from '../reliability/arbitraries.js';

/** Feeds bytes to decoder and translator exactly as the server does, split at the given offsets. */
function translate(bytes: Buffer, cuts: number[]): StreamEvent[] {
  const decoder = new UpstreamSseDecoder();
  const translator = testTranslator();
  const events: StreamEvent[] = [...translator.start()];
  let from = 0;
  for (const at of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    for (const e of decoder.push(bytes.subarray(from, at))) events.push(...translator.pushData(e.data));
    from = at;
  }
  for (const e of decoder.end()) events.push(...translator.pushData(e.data));
  events.push(...translator.end());
  return events;
}

/** What the client receives, parsed back from the wire format, and everything wrong with it. */
function clientView(events: StreamEvent[]) {
  const parser = new SseParser();
  const frames = [...parser.push(encodeSseEvents(events)), ...parser.end()];
  const problems = checkStreamInvariants(frames).map(formatViolation);
  const types = frames.map((f) => (f.data as { type?: string }).type);
  const last = types.at(-1);
  if (last !== 'message_stop' && last !== 'error')
    problems.push(`the stream ends with ${last}, not message_stop or error`);
  if (types.filter((t) => t === 'message_stop' || t === 'error').length !== 1)
    problems.push('more than one ending event');
  for (const frame of frames) {
    const data = frame.data as {
      type?: string;
      usage?: Record<string, unknown>;
      message?: { usage?: Record<string, unknown> };
    };
    const usage =
      data.type === 'message_delta'
        ? data.usage
        : data.type === 'message_start'
          ? data.message?.usage
          : undefined;
    for (const [key, value] of Object.entries(usage ?? {})) {
      if (!Number.isInteger(value) || (value as number) < 0)
        problems.push(`${data.type} usage.${key} is ${JSON.stringify(value)}, not a token count`);
    }
  }
  return { frames, problems };
}

const cuts = fc.array(fc.nat(4_000), { maxLength: 6 });

describe('stream translator: any upstream bytes give a stream Claude Code can consume', () => {
  it('never throws, and always ends in message_stop or error with every invariant kept', () => {
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 14 }), sseStyle, cuts, (payloads, style, at) => {
        const bytes = Buffer.from(sseText(payloads, style));
        const { problems } = clientView(translate(bytes, at));
        expect(problems).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('a stream that ends properly after any garbage ends in message_stop or an error, never both', () => {
    fc.assert(
      fc.property(wellEnded, sseStyle, cuts, (payloads, style, at) => {
        const { frames, problems } = clientView(translate(Buffer.from(sseText(payloads, style)), at));
        expect(problems).toEqual([]);
        expect(['message_stop', 'error']).toContain((frames.at(-1)!.data as { type: string }).type);
      }),
      { numRuns: 200 },
    );
  });

  it('where the bytes are cut does not change what the client gets (UTF-8 split inside a character too)', () => {
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 10 }), sseStyle, cuts, (payloads, style, at) => {
        const bytes = Buffer.from(sseText(payloads, style));
        expect(translate(bytes, at)).toEqual(translate(bytes, []));
      }),
      { numRuns: 200 },
    );
  });

  it('survives a stream cut off anywhere (the upstream died mid-chunk)', () => {
    fc.assert(
      fc.property(wellEnded, fc.double({ min: 0, max: 1, noNaN: true }), (payloads, fraction) => {
        const bytes = Buffer.from(sseText(payloads, { crlf: false, comments: false, eventLines: false }));
        const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
        expect(clientView(translate(cut, [])).problems).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('a non-streaming answer of any shape gives a valid message, never a throw', () => {
    fc.assert(
      fc.property(completionBody, (body) => {
        let n = 0;
        const message = convertChatResponse(body as never, {
          messageId: 'msg_test',
          model: 'claude-sonnet-4-5',
          inputTokens: 100,
          names: new ToolNameMap(),
          signThinking: (t) => `sig-${t.length}`,
          newToolId: () => `toolu_generated${++n}`,
        });
        expect(checkMessageResponse(message).violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual(
          [],
        );
        for (const [key, value] of Object.entries(message.usage)) {
          if (!Number.isInteger(value) || value < 0)
            expect.fail(`usage.${key} is ${JSON.stringify(value)}, not a token count`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
