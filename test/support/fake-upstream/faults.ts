// Chat answers that fail on purpose, the ways real model servers and networks fail: reset or close
// the connection mid-stream, stall before or after the headers, send garbage or truncated SSE, a huge
// line, a line that never ends, invalid UTF-8, a 5xx, or drip a valid answer a few bytes at a time.
// Each starts from the recorded llama-server answer (llama.ts), so everything but the fault is real.
import type http from 'node:http';
import { RECORDED_JSON, RECORDED_STREAM, recordedAnswer, recordedBody } from './llama.js';
import { type ChatAnswer, sendJson, startSse } from './server.js';

export const FAULTS = [
  'ok',
  'refuse-after-accept',
  'stall-before-headers',
  'reset-mid-stream',
  'close-mid-stream',
  'stall-mid-stream',
  'garbage-sse',
  'html-instead-of-sse',
  'json-cut',
  'truncated-sse',
  'huge-line',
  'endless-line',
  'invalid-utf8',
  'status-500',
  'status-502-html',
  'status-503',
  'slow-drip',
  'held',
  'garbage',
  'cut-recorded-stream',
] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultOptions {
  /** Size of the `huge-line` fault's one `data:` line (default 10 MiB). */
  hugeLineBytes?: number;
  /** Bytes of the `endless-line` fault's line before the connection closes (default 20 MiB). */
  endlessLineBytes?: number;
}

const CHUNK_HEAD = '{"choices":[{"finish_reason":null,"index":0,"delta":';
const CHUNK_TAIL =
  '}],"created":1795520991,"id":"chatcmpl-fault","model":"models/tiny-random-F32.gguf","object":"chat.completion.chunk"}';
const sseChunk = (delta: string) => `data: ${CHUNK_HEAD}${delta}${CHUNK_TAIL}\n\n`;
const FINISH =
  'data: {"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"object":"chat.completion.chunk"}\n\ndata: [DONE]\n\n';
/** The recorded stream's first event (the role chunk). */
const FIRST_EVENT = RECORDED_STREAM.subarray(0, RECORDED_STREAM.indexOf('\n\n') + 2);

const MiB = 1024 * 1024;

/** `bytes` of `char`, written in pieces of at most 1 MiB. */
function writeRepeated(res: http.ServerResponse, char: string, bytes: number): void {
  for (let left = bytes; left > 0; left -= MiB) res.write(char.repeat(Math.min(MiB, left)));
}

/** The first event, then one content chunk: a stream that has started. */
function startedStream(res: http.ServerResponse): void {
  startSse(res);
  res.write(FIRST_EVENT);
  res.write(sseChunk('{"content":"Hel"}'));
}

/** The chat answer with this fault (`ok`: the recorded answer, no count check). */
export function faultAnswer(fault: Fault, options: FaultOptions = {}): ChatAnswer {
  const recorded = recordedAnswer({ promptTokens: () => 0 });
  return (res, body, exchange) => {
    exchange.request.answeredWith = fault;
    const { later, onRelease } = exchange;
    const socket = res.socket!;
    switch (fault) {
      case 'ok':
        return recorded(res, { ...body, tools: undefined }, exchange);
      case 'refuse-after-accept':
        // Accepted the connection and the request, then went away without a word.
        return void socket.destroy();
      case 'stall-before-headers':
        return; // prefill that never ends: no status line, nothing
      case 'reset-mid-stream':
        startedStream(res);
        return later(20, () => socket.resetAndDestroy());
      case 'close-mid-stream':
        startedStream(res);
        // FIN without the chunked terminator: the body is cut, not finished.
        return later(20, () => socket.destroy());
      case 'stall-mid-stream':
        startedStream(res);
        return; // and then silence
      case 'garbage-sse':
        startSse(res);
        res.write(FIRST_EVENT);
        return void res.end(
          'data: {"choices":[{"delta":{"content":"x"}}\n\ndata: \u0000\u0001binary\u00ff\n\n\u00fe\u00ff\r\r\n\n',
        );
      case 'html-instead-of-sse':
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        return void res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      case 'json-cut':
        // Some servers answer a stream request with one JSON document; this one dies half-way.
        res.writeHead(200, {
          Server: 'llama.cpp',
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': RECORDED_JSON.length,
        });
        res.write(RECORDED_JSON.subarray(0, 40));
        return later(20, () => socket.destroy());
      case 'truncated-sse':
        // A proper end of body, but the answer stops mid-way: no finish_reason, no [DONE], half a line.
        startSse(res);
        res.write(FIRST_EVENT);
        res.write(sseChunk('{"content":"Hello"}'));
        return void res.end('data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":" wor');
      case 'huge-line':
        startedStream(res);
        // hugeLineBytes in one `data:` line, then a normal end.
        res.write('data: ');
        writeRepeated(res, 'x', options.hugeLineBytes ?? 10 * MiB);
        return void res.end(`\n\n${FINISH}`);
      case 'endless-line':
        // A line that never ends (endlessLineBytes and counting), then the connection closes.
        startSse(res);
        res.write(FIRST_EVENT);
        res.write('data: {"choices":[{"delta":{"content":"');
        writeRepeated(res, 'y', options.endlessLineBytes ?? 20 * MiB);
        return void res.end();
      case 'invalid-utf8':
        startSse(res);
        res.write(FIRST_EVENT);
        // Bytes that are not UTF-8 inside a string (0xff, 0xfe, a lone continuation byte), and a
        // 3-byte character cut before its last byte.
        res.write(
          Buffer.concat([
            Buffer.from(`data: ${CHUNK_HEAD}{"content":"bad `),
            Buffer.from([0xff, 0xfe, 0x80]),
            Buffer.from(` bytes ${String.fromCharCode(0x4e2d)}`),
            Buffer.from([0xe4, 0xb8]),
            Buffer.from(`"}${CHUNK_TAIL}\n\n`),
          ]),
        );
        return void res.end(FINISH);
      case 'status-500':
        return sendJson(res, 500, recordedBody('24_bad_json'));
      case 'status-502-html':
        res.writeHead(502, { 'Content-Type': 'text/html' });
        return void res.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
      case 'status-503':
        return sendJson(
          res,
          503,
          '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}',
        );
      case 'held':
        // A valid stream that goes on only when the test says so (release()): until then a prefill
        // that never ends, the first event and silence until the client leaves.
        startSse(res);
        res.write(FIRST_EVENT);
        return onRelease(() => {
          if (!res.destroyed) res.end(RECORDED_STREAM.subarray(FIRST_EVENT.length));
        });
      case 'slow-drip':
        return slowDrip(res, body.stream === true, later);
      case 'garbage':
        // A proxy's error page where the answer should be: as the JSON answer, or after a first chunk.
        if (body.stream !== true) {
          res.writeHead(200, { Server: 'llama.cpp', 'Content-Type': 'text/html' });
          return void res.end('<html>502 Bad Gateway</html>');
        }
        startSse(res);
        return void res.end(
          'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: <html>502 Bad Gateway</html>\n\n',
        );
      case 'cut-recorded-stream': {
        // Half of the recorded stream, then the connection drops (a JSON request gets its answer).
        if (body.stream !== true) return recorded(res, { ...body, tools: undefined }, exchange);
        startSse(res);
        res.write(RECORDED_STREAM.subarray(0, Math.floor(RECORDED_STREAM.length / 2)));
        return later(50, () => res.destroy());
      }
    }
  };
}

/** The recorded answer, 7 bytes every 3 ms. */
function slowDrip(res: http.ServerResponse, stream: boolean, later: (ms: number, fn: () => void) => void) {
  const bytes = stream ? RECORDED_STREAM : RECORDED_JSON;
  if (stream) startSse(res);
  else res.writeHead(200, { Server: 'llama.cpp', 'Content-Type': 'application/json; charset=utf-8' });
  let at = 0;
  const drip = () => {
    if (res.destroyed) return;
    if (at >= bytes.length) return void res.end();
    res.write(bytes.subarray(at, at + 7));
    at += 7;
    later(3, drip);
  };
  drip();
}
