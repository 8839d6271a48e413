// The bridge against an upstream that fails in every way real ones do (support/fake-upstream/faults.ts):
// each fault gives the client a well-formed Anthropic error — an HTTP error before the first byte,
// or, after it, the open block closed and an `error` event — the bridge keeps serving, and no
// socket is left open: not towards the upstream, not towards the client.
// Nothing here depends on how fast the machine is: the limits are set small so that each fault costs
// milliseconds (a 64 KiB line limit, not a 16 MiB one), the timeouts that a fault must trigger live on
// a bridge of their own, and every other deadline only catches a hang.
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BridgeLogger, silentLogger } from '../../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../../src/bridge/server.js';
import { configSchema } from '../../../src/config/schema.js';
import { checkMessageResponse } from '../../../src/probe/answer.js';
import { checkStreamInvariants, formatViolation, type SseEvent } from '../../../src/probe/invariants.js';
import { SseParser } from '../../../src/probe/sse.js';
import {
  closedPort,
  type FakeUpstream,
  type Fault,
  faultAnswer,
  startFakeLlama,
} from '../../support/fake-upstream/index.js';
import { helloMessagesBody } from '../../support/hello-request.js';

/** The bridge's headers and idle timeouts on `stallBridge`, which only sees stalls. */
const HEADERS_TIMEOUT_MS = 500;
const IDLE_TIMEOUT_MS = 600;
/** Hang-catching deadline: timeouts of the main bridge and the client, and waits for cleanup. */
const HANG_DEADLINE_MS = 20_000;
/** The bridges' SSE line limit; the huge line stays under it, the endless one goes far past it. */
const LINE_LIMIT = 64 * 1024;
const HUGE_LINE_BYTES = LINE_LIMIT - 16 * 1024;
const ENDLESS_LINE_BYTES = LINE_LIMIT * 4;
const withSizes = (fault: Fault) =>
  faultAnswer(fault, { hugeLineBytes: HUGE_LINE_BYTES, endlessLineBytes: ENDLESS_LINE_BYTES });

let upstream: FakeUpstream;
/** Every fault but the stalls: timeouts so long that only a hang would reach them. */
let bridge: RunningBridge;
/** The stalls: short timeouts, since reaching them is the point. */
let stallBridge: RunningBridge;
const internalErrors: string[] = [];
const logger: BridgeLogger = {
  ...silentLogger,
  warn: (msg, fields) => msg === 'internal error' && internalErrors.push(JSON.stringify(fields)),
};

const bridgeConfig = (
  url: string,
  timeouts = { headersTimeoutMs: HANG_DEADLINE_MS, idleTimeoutMs: HANG_DEADLINE_MS },
) =>
  configSchema.parse({
    server: { port: 0, pingIntervalMs: 100, ...timeouts },
    upstreams: [{ url, kind: 'llama.cpp', model: 'tiny', tokenCounting: 'estimate', contextSize: 8192 }],
  });
const stallConfig = (url: string) =>
  bridgeConfig(url, { headersTimeoutMs: HEADERS_TIMEOUT_MS, idleTimeoutMs: IDLE_TIMEOUT_MS });
const startTestBridge = (config: ReturnType<typeof bridgeConfig>) =>
  startBridge({ config, logger, limits: { maxSseLineBytes: LINE_LIMIT } });

const tcpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

interface Outcome {
  status: number;
  contentType: string;
  text: string;
  bytes: Buffer;
  ms: number;
}

async function ask(baseUrl: string, stream: boolean): Promise<Outcome> {
  const agent = new Agent({ connections: 1 });
  const started = performance.now();
  try {
    const res = await request(`${baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: helloMessagesBody(stream),
      dispatcher: agent,
      headersTimeout: HANG_DEADLINE_MS,
      bodyTimeout: HANG_DEADLINE_MS,
    });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    return {
      status: res.statusCode,
      contentType: String(res.headers['content-type'] ?? ''),
      text: bytes.toString('utf8'),
      bytes,
      ms: performance.now() - started,
    };
  } finally {
    await agent.close();
  }
}

const framesOf = (text: string): SseEvent[] => {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
};
const typeOf = (frame: SseEvent | undefined) => (frame?.data as { type?: string } | undefined)?.type;

/** A stream that started and then failed: every invariant kept, the last frame an `error` event. */
function expectStreamError(outcome: Outcome, pattern?: RegExp): SseEvent[] {
  expect(outcome.status).toBe(200);
  expect(outcome.contentType).toContain('text/event-stream');
  const frames = framesOf(outcome.text);
  expect(checkStreamInvariants(frames).map(formatViolation)).toEqual([]);
  expect(typeOf(frames[0])).toBe('message_start');
  const last = frames.at(-1)!.data as { type: string; error: { type: string; message: string } };
  expect(last.type).toBe('error');
  expect(last.error.type).toBe('api_error');
  expect(last.error.message).toContain(upstream.url);
  if (pattern) expect(last.error.message).toMatch(pattern);
  return frames;
}

/** An error before the first byte: the status, and Anthropic's error body naming the upstream. */
function expectHttpError(outcome: Outcome, status: number | number[], type: string, pattern?: RegExp): void {
  expect([status].flat()).toContain(outcome.status);
  const body = JSON.parse(outcome.text) as { type: string; error: { type: string; message: string } };
  expect(body.type).toBe('error');
  expect(body.error.type).toBe(type);
  if (pattern) expect(body.error.message).toMatch(pattern);
}

function expectSuccess(outcome: Outcome, stream: boolean): void {
  expect(outcome.status).toBe(200);
  // Whatever the upstream's bytes, what the client gets is valid UTF-8.
  expect(() => new TextDecoder('utf-8', { fatal: true }).decode(outcome.bytes)).not.toThrow();
  if (stream) {
    const frames = framesOf(outcome.text);
    expect(checkStreamInvariants(frames).map(formatViolation)).toEqual([]);
    expect(typeOf(frames.at(-1))).toBe('message_stop');
  } else {
    expect(checkMessageResponse(JSON.parse(outcome.text)).violations).toEqual([]);
  }
}

let baselineSockets = 0;

beforeAll(async () => {
  upstream = await startFakeLlama({ countsTokens: false, keepAliveTimeoutMs: 150, answer: withSizes('ok') });
  bridge = await startTestBridge(bridgeConfig(upstream.url));
  stallBridge = await startTestBridge(stallConfig(upstream.url));
  baselineSockets = tcpSockets();
});
afterAll(async () => {
  await bridge?.close();
  await stallBridge?.close();
  await upstream?.close();
});

/**
 * Runs one fault through `through`, then checks that the bridge still serves and that no socket
 * stays open. The stall bridge's check request goes through the main bridge: with its short timeouts
 * a plain request on a busy machine could time out too, and that would test the machine.
 */
async function withFault(
  fault: Fault,
  stream: boolean,
  check: (outcome: Outcome) => void,
  through: RunningBridge = bridge,
) {
  upstream.answer = withSizes(fault);
  const before = upstream.completions.length;
  const outcome = await ask(through.url, stream);
  check(outcome);
  // The upstream request of this fault is over (finished, or aborted by the bridge).
  const records = upstream.completions.slice(before);
  expect(records.length).toBeGreaterThan(0);
  await Promise.all(records.map((r) => r.closed));
  // Still serving.
  upstream.answer = withSizes('ok');
  expectSuccess(await ask(through === stallBridge ? bridge.url : through.url, true), true);
  // Nothing leaks: the upstream's idle keep-alive ends after 150 ms, so every socket must go.
  await upstream.waitForNoSockets(HANG_DEADLINE_MS);
  // The client's side: no event tells when the process's last socket handle is gone, so poll.
  const until = performance.now() + HANG_DEADLINE_MS;
  while (tcpSockets() > baselineSockets && performance.now() < until)
    await new Promise((r) => setTimeout(r, 10));
  expect(tcpSockets()).toBe(baselineSockets);
}

describe('faults before the first byte → an HTTP error in Anthropic shape', () => {
  it('connection refused → 502 naming the upstream and the fix', async () => {
    const port = await closedPort();
    const lonely = await startTestBridge(bridgeConfig(`http://127.0.0.1:${port}`));
    try {
      for (const stream of [true, false]) {
        const outcome = await ask(lonely.url, stream);
        expectHttpError(outcome, 502, 'api_error', new RegExp(`127\\.0\\.0\\.1:${port}.*dsb doctor`));
      }
    } finally {
      await lonely.close();
    }
  });

  for (const stream of [true, false]) {
    const mode = stream ? 'stream' : 'no stream';
    it(`accepted, then the connection closed without an answer → 502 (${mode})`, () =>
      withFault('refuse-after-accept', stream, (o) => expectHttpError(o, 502, 'api_error', /upstream/)));

    it(`stall before the headers → 504 after the headers timeout, upstream request aborted (${mode})`, () =>
      withFault(
        'stall-before-headers',
        stream,
        (o) => {
          expectHttpError(o, 504, 'api_error', /did not answer in time/);
          // Not before the timeout (a lower bound: a busy machine only makes it later).
          expect(o.ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
        },
        stallBridge,
      ));

    it(`HTTP 500 with llama.cpp's error body → 500 api_error (${mode})`, () =>
      withFault('status-500', stream, (o) => expectHttpError(o, 500, 'api_error', /HTTP 500/)));

    it(`HTTP 502 with an HTML page → 502 api_error (${mode})`, () =>
      withFault('status-502-html', stream, (o) => expectHttpError(o, 502, 'api_error', /HTTP 502/)));

    it(`HTTP 503 while the model loads → 503 overloaded_error (${mode})`, () =>
      withFault('status-503', stream, (o) => expectHttpError(o, 503, 'overloaded_error', /Loading model/)));
  }
});

describe('faults after the first byte (streaming) → the open block closed, then an error event', () => {
  it('connection reset mid-stream', () => withFault('reset-mid-stream', true, (o) => expectStreamError(o)));
  it('connection closed mid-stream (body cut)', () =>
    withFault('close-mid-stream', true, (o) => expectStreamError(o)));
  it('stall mid-stream → pings while silent, then an error after the idle timeout', () =>
    withFault(
      'stall-mid-stream',
      true,
      (o) => {
        const frames = expectStreamError(o, /no data for/);
        expect(frames.filter((f) => typeOf(f) === 'ping').length).toBeGreaterThan(0);
        expect(o.ms).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 50);
      },
      stallBridge,
    ));
  it('garbage instead of SSE data', () =>
    withFault('garbage-sse', true, (o) => expectStreamError(o, /not JSON/)));
  it('an HTML page served as text/event-stream', () =>
    withFault('html-instead-of-sse', true, (o) => expectStreamError(o)));
  it('a JSON answer (not SSE) cut half-way', () => withFault('json-cut', true, (o) => expectStreamError(o)));
  it('truncated SSE: the body ends mid-line, with no finish_reason', () =>
    withFault('truncated-sse', true, (o) => expectStreamError(o, /before it finished|not JSON/)));
  it('a line of garbage just under the line limit', () =>
    withFault('huge-line', true, (o) => expectStreamError(o, /not JSON/)));
  it('a line that never ends (4 × the line limit, then close)', () =>
    withFault('endless-line', true, (o) => expectStreamError(o, /longer than/)));
});

describe('faults after the first byte (not streaming) → an HTTP error naming the upstream', () => {
  const cases: Array<[Fault, number]> = [
    ['reset-mid-stream', 502],
    ['close-mid-stream', 502],
    ['stall-mid-stream', 504],
    ['garbage-sse', 502],
    ['html-instead-of-sse', 502],
    ['json-cut', 502],
    ['truncated-sse', 502],
    ['huge-line', 502],
    ['endless-line', 502],
  ];
  for (const [fault, status] of cases) {
    it(`${fault} → ${status} api_error`, () =>
      withFault(
        fault,
        false,
        (o) => {
          expectHttpError(o, [502, 504], 'api_error');
          expect(o.status).toBe(status);
          expect((JSON.parse(o.text) as { error: { message: string } }).error.message).toContain(
            upstream.url,
          );
        },
        fault.startsWith('stall') ? stallBridge : bridge,
      ));
  }
});

describe('odd but valid answers are answered normally', () => {
  for (const stream of [true, false]) {
    const mode = stream ? 'stream' : 'no stream';
    it(`invalid UTF-8 from the upstream becomes U+FFFD, the client gets valid UTF-8 (${mode})`, () =>
      withFault('invalid-utf8', stream, (o) => {
        expectSuccess(o, stream);
        expect(o.text).toContain('\ufffd');
      }));
    it(`a slow drip (7 bytes every 3 ms) gives the whole answer (${mode})`, () =>
      withFault('slow-drip', stream, (o) => {
        expectSuccess(o, stream);
        expect(o.text).toContain('.');
      }));
  }
});

describe('no fault was an internal error', () => {
  it('the bridge logged no internal error (every failure was recognised as an upstream one)', () => {
    expect(internalErrors).toEqual([]);
  });
});
