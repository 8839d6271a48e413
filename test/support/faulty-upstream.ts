// An upstream that fails on purpose, the ways real model servers and networks fail: it answers
// discovery like llama-server (recorded bodies from test/fixtures/llama-server/) and then, for
// POST /v1/chat/completions, does what `fault` says — reset or close the connection mid-stream,
// stall before or after the headers, send garbage or truncated SSE, a huge line, a line that never
// ends, invalid UTF-8, a 5xx, or drip a valid answer a few bytes at a time. It counts sockets and records when each
// completion request was closed, so tests can assert that the bridge aborts and leaks nothing.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

const fixtures = path.join(import.meta.dirname, '../fixtures/llama-server');
const recorded = (name: string) => readFileSync(path.join(fixtures, `${name}.body`));

/** The recorded llama-server stream (role chunk, content, finish, usage, [DONE]) and JSON answer. */
export const RECORDED_STREAM = recorded('07_chat_stream_greedy');
export const RECORDED_JSON = recorded('05_chat_greedy');

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
] as const;
export type Fault = (typeof FAULTS)[number];

export interface CompletionRecord {
  fault: Fault;
  stream: boolean;
  /** performance.now() when the request arrived and when its connection or response closed. */
  arrivedAt: number;
  closedAt: number | undefined;
  /** The bridge went away before the answer was complete. */
  aborted: boolean;
  /** Resolves when the request's connection or response closed (event order, not a clock). */
  closed: Promise<void>;
}

export interface FaultyUpstreamOptions {
  keepAliveTimeoutMs?: number;
  /** Size of the `huge-line` fault's one `data:` line (default 10 MiB). */
  hugeLineBytes?: number;
  /** Bytes of the `endless-line` fault's line before the connection closes (default 20 MiB). */
  endlessLineBytes?: number;
}

export interface FaultyUpstream {
  url: string;
  /** What the next completion requests get. */
  fault: Fault;
  completions: CompletionRecord[];
  /** Lets every `held` answer go on: the rest of its stream, then its end. */
  release(): void;
  /** Resolves once `count` completion requests have arrived (in all). */
  waitForCompletions(count: number): Promise<void>;
  /** Sockets open right now (the bridge's pooled connections included). */
  openSockets(): number;
  /** Resolves when every socket is closed, or rejects after `timeoutMs` (a hang-catching deadline). */
  waitForNoSockets(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const CHUNK_HEAD = '{"choices":[{"finish_reason":null,"index":0,"delta":';
const CHUNK_TAIL =
  '}],"created":1795520991,"id":"chatcmpl-fault","model":"models/tiny-random-F32.gguf","object":"chat.completion.chunk"}';
const sseChunk = (delta: string) => `data: ${CHUNK_HEAD}${delta}${CHUNK_TAIL}\n\n`;
const FINISH =
  'data: {"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"object":"chat.completion.chunk"}\n\ndata: [DONE]\n\n';

const MiB = 1024 * 1024;

/** `bytes` of `char`, written in pieces of at most 1 MiB. */
function writeRepeated(res: http.ServerResponse, char: string, bytes: number): void {
  for (let left = bytes; left > 0; left -= MiB) res.write(char.repeat(Math.min(MiB, left)));
}

export async function startFaultyUpstream(options: FaultyUpstreamOptions = {}): Promise<FaultyUpstream> {
  const hugeLineBytes = options.hugeLineBytes ?? 10 * MiB;
  const endlessLineBytes = options.endlessLineBytes ?? 20 * MiB;
  const sockets = new Set<Socket>();
  /** Wakes waitForNoSockets when a socket closes. */
  let socketClosed: () => void = () => {};
  /** Wakes waitForCompletions when a completion request arrives. */
  const arrivalWaiters = new Set<() => void>();
  /** The `held` answers waiting for release(). */
  const held = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const state: FaultyUpstream = {
    url: '',
    fault: 'ok',
    completions: [],
    openSockets: () => sockets.size,
    release: () => {
      for (const go of [...held]) go();
      held.clear();
    },
    waitForCompletions: async (count) => {
      while (state.completions.length < count) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            arrivalWaiters.delete(wake);
            resolve();
          };
          arrivalWaiters.add(wake);
        });
      }
    },
    waitForNoSockets: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${sockets.size} upstream socket(s) still open after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        while (sockets.size > 0) await Promise.race([new Promise<void>((r) => (socketClosed = r)), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => {},
  };

  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const p = (req.url ?? '/').split('?')[0];
      const json = (status: number, data: Buffer | string) => {
        res.writeHead(status, { Server: 'llama.cpp', 'Content-Type': 'application/json; charset=utf-8' });
        res.end(data);
      };
      if (p === '/health') return json(200, recorded('01_health'));
      if (p === '/props') return json(200, recorded('02_props'));
      if (p === '/v1/models' || p === '/models') return json(200, recorded('03_v1_models'));
      if (p !== '/v1/chat/completions' || req.method !== 'POST')
        return json(404, recorded('26_unknown_route'));

      let stream = false;
      try {
        stream = JSON.parse(Buffer.concat(body).toString('utf8')).stream === true;
      } catch {
        // a broken request still gets the fault
      }
      let markClosed: () => void = () => {};
      const record: CompletionRecord = {
        fault: state.fault,
        stream,
        arrivedAt: performance.now(),
        closedAt: undefined,
        aborted: false,
        closed: new Promise<void>((r) => (markClosed = r)),
      };
      state.completions.push(record);
      for (const wake of [...arrivalWaiters]) wake();
      res.on('close', () => {
        record.closedAt = performance.now();
        record.aborted = !res.writableFinished;
        markClosed();
      });
      const sse = () =>
        res.writeHead(200, {
          Server: 'llama.cpp',
          'Content-Type': 'text/event-stream',
          'X-Accel-Buffering': 'no',
        });
      const firstHalf = RECORDED_STREAM.subarray(0, RECORDED_STREAM.indexOf('\n\n') + 2);

      switch (state.fault) {
        case 'ok':
          if (!stream) return json(200, RECORDED_JSON);
          sse();
          return res.end(RECORDED_STREAM);
        case 'refuse-after-accept':
          // Accepted the connection and the request, then went away without a word.
          return req.socket.destroy();
        case 'stall-before-headers':
          return; // prefill that never ends: no status line, nothing
        case 'reset-mid-stream':
          sse();
          res.write(firstHalf);
          res.write(sseChunk('{"content":"Hel"}'));
          return later(20, () => req.socket.resetAndDestroy());
        case 'close-mid-stream':
          sse();
          res.write(firstHalf);
          res.write(sseChunk('{"content":"Hel"}'));
          // FIN without the chunked terminator: the body is cut, not finished.
          return later(20, () => req.socket.destroy());
        case 'stall-mid-stream':
          sse();
          res.write(firstHalf);
          res.write(sseChunk('{"content":"Hel"}'));
          return; // and then silence
        case 'garbage-sse':
          sse();
          res.write(firstHalf);
          return res.end(
            'data: {"choices":[{"delta":{"content":"x"}}\n\ndata: \u0000\u0001binary\u00ff\n\n\u00fe\u00ff\r\r\n\n',
          );
        case 'html-instead-of-sse':
          res.writeHead(200, { 'Content-Type': 'text/event-stream' });
          return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        case 'json-cut':
          // Some servers answer a stream request with one JSON document; this one dies half-way.
          res.writeHead(200, {
            Server: 'llama.cpp',
            'Content-Type': 'application/json; charset=utf-8',
            'Content-Length': RECORDED_JSON.length,
          });
          res.write(RECORDED_JSON.subarray(0, 40));
          return later(20, () => req.socket.destroy());
        case 'truncated-sse':
          // A proper end of body, but the answer stops mid-way: no finish_reason, no [DONE], half a line.
          sse();
          res.write(firstHalf);
          res.write(sseChunk('{"content":"Hello"}'));
          return res.end('data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":" wor');
        case 'huge-line': {
          sse();
          res.write(firstHalf);
          res.write(sseChunk('{"content":"Hel"}'));
          // hugeLineBytes in one `data:` line, then a normal end.
          res.write('data: ');
          writeRepeated(res, 'x', hugeLineBytes);
          return res.end(`\n\n${FINISH}`);
        }
        case 'endless-line': {
          // A line that never ends (endlessLineBytes and counting), then the connection closes.
          sse();
          res.write(firstHalf);
          res.write('data: {"choices":[{"delta":{"content":"');
          writeRepeated(res, 'y', endlessLineBytes);
          return res.end();
        }
        case 'invalid-utf8': {
          sse();
          res.write(firstHalf);
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
          return res.end(FINISH);
        }
        case 'status-500':
          return json(500, recorded('24_bad_json'));
        case 'status-502-html':
          res.writeHead(502, { 'Content-Type': 'text/html' });
          return res.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
        case 'status-503':
          return json(503, '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}');
        case 'held': {
          // A valid stream that goes on only when the test says so (release()).
          sse();
          res.write(firstHalf);
          held.add(() => {
            if (!res.destroyed) res.end(RECORDED_STREAM.subarray(firstHalf.length));
          });
          return;
        }
        case 'slow-drip': {
          const bytes = stream ? RECORDED_STREAM : RECORDED_JSON;
          if (stream) sse();
          else res.writeHead(200, { Server: 'llama.cpp', 'Content-Type': 'application/json; charset=utf-8' });
          let at = 0;
          const drip = () => {
            if (res.destroyed) return;
            if (at >= bytes.length) return res.end();
            res.write(bytes.subarray(at, at + 7));
            at += 7;
            later(3, drip);
          };
          return drip();
        }
      }
    });
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 200;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      socketClosed();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

/** A loopback port with nothing listening on it (taken, then released). */
export async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}
