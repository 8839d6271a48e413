// A fake llama-server that answers with the real recorded exchanges in test/fixtures/llama-server/
// (build b10587, -c 8192 --jinja): the same headers, bodies, chunk shapes and error bodies.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const dir = path.join(import.meta.dirname, '../fixtures/llama-server');
const body = (name: string) => readFileSync(path.join(dir, `${name}.body`));

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
}

export type FakeMode = 'normal' | 'garbage' | 'error-500' | 'cut-mid-stream' | 'hang';

export interface FakeLlamaOptions {
  /** The per-slot context it reports and enforces (recorded: 8192). */
  nCtx?: number;
  /** Its prompt token count for a chat request (default: about one token per three bytes of messages). */
  promptTokens?: (body: Record<string, unknown>) => number;
  /**
   * An older build: no /v1/chat/completions/input_tokens, /apply-template, /tokenize or /props, so
   * only the upstream itself knows when the prompt overflows (it answers the recorded body).
   */
  legacy?: boolean;
}

export interface FakeLlamaServer {
  url: string;
  requests: RecordedRequest[];
  mode: FakeMode;
  /** Requests aborted by the client before the answer ended. */
  aborted: number;
  close(): Promise<void>;
}

/** Prompts larger than this many bytes get llama.cpp's real context-overflow answer. */
const OVERFLOW_BYTES = 30_000;

const defaultPromptTokens = (b: Record<string, unknown>) =>
  Math.ceil(JSON.stringify(b.messages ?? []).length / 3);

export async function startFakeLlamaServer(options: FakeLlamaOptions = {}): Promise<FakeLlamaServer> {
  const nCtx = options.nCtx ?? 8192;
  const promptTokens = options.promptTokens ?? defaultPromptTokens;
  const withCtx = (name: string) => body(name).toString().replaceAll('"n_ctx":8192', `"n_ctx":${nCtx}`);
  const state: FakeLlamaServer = { url: '', requests: [], mode: 'normal', aborted: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = raw ? JSON.parse(raw) : undefined;
      } catch {
        json = undefined;
      }
      const p = (req.url ?? '/').split('?')[0]!;
      state.requests.push({ method: req.method ?? 'GET', path: p, body: json });
      const send = (status: number, data: Buffer | string, type = 'application/json; charset=utf-8') => {
        res.writeHead(status, { Server: 'llama.cpp', 'Content-Type': type });
        res.end(data);
      };
      if (p === '/health') return send(200, body('01_health'));
      if (p === '/props' && !options.legacy) return send(200, withCtx('02_props'));
      if (p === '/v1/models' || p === '/models') {
        if (!options.legacy) return send(200, withCtx('03_v1_models'));
        const models = JSON.parse(body('03_v1_models').toString()) as {
          data: Array<Record<string, unknown>>;
        };
        for (const m of models.data) delete m.meta; // older builds did not report n_ctx here
        return send(200, JSON.stringify(models));
      }
      if (p === '/v1/chat/completions/input_tokens' && req.method === 'POST' && !options.legacy && json) {
        return send(
          200,
          JSON.stringify({ input_tokens: promptTokens(json), object: 'response.input_tokens' }),
        );
      }
      if (p !== '/v1/chat/completions' || req.method !== 'POST') return send(404, body('26_unknown_route'));
      if (state.mode === 'error-500') return send(500, body('24_bad_json'));
      if (options.legacy) {
        if (raw.length > OVERFLOW_BYTES) return send(400, body('13_ctx_overflow'));
      } else if (json) {
        const n = promptTokens(json);
        if (n >= nCtx) {
          // The real server's wording and shape (13_ctx_overflow), with this request's numbers.
          return send(
            400,
            JSON.stringify({
              error: {
                code: 400,
                message: `request (${n} tokens) exceeds the available context size (${nCtx} tokens), try increasing it`,
                type: 'exceed_context_size_error',
                n_prompt_tokens: n,
                n_ctx: nCtx,
              },
            }),
          );
        }
      }
      const stream = json?.stream === true;
      if (state.mode === 'garbage' && !stream) return send(200, '<html>502 Bad Gateway</html>', 'text/html');
      const tools = Array.isArray(json?.tools) && json.tool_choice === 'required';
      if (!stream) return send(200, body(tools ? '10_tools_required' : '05_chat_greedy'));
      res.writeHead(200, {
        Server: 'llama.cpp',
        'Content-Type': 'text/event-stream',
        'X-Accel-Buffering': 'no',
      });
      res.on('close', () => {
        if (!res.writableFinished) state.aborted++;
      });
      if (state.mode === 'hang') {
        // Prefill that never ends: the first chunk, then silence until the client goes away.
        res.write(`${body('07_chat_stream_greedy').toString().split('\n\n')[0]}\n\n`);
        return;
      }
      if (state.mode === 'garbage') {
        res.end(
          'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: <html>502 Bad Gateway</html>\n\n',
        );
        return;
      }
      const sse = body(tools ? '11_tools_required_stream' : '07_chat_stream_greedy');
      if (state.mode === 'cut-mid-stream') {
        res.write(sse.subarray(0, Math.floor(sse.length / 2)));
        setTimeout(() => res.destroy(), 50);
        return;
      }
      res.end(sse);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}
