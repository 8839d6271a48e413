// A fake llama-server for the doctor's end-to-end tests: replays the recorded exchanges of
// test/fixtures/llama-server (GET /health, /props, /v1/models; POST /v1/chat/completions answering
// with text, or with a tool call when `tools` and `tool_choice` are present) on 127.0.0.1, port 0.
// `nCtx` rewrites the context size as `llama-server -c N` would (the recording used -c 8192 and a
// model trained for 16K, which the doctor rightly rejects).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'llama-server');
const body = (name: string) => readFileSync(path.join(dir, `${name}.body`), 'utf8');

export interface FakeLlama {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeLlamaForDoctor(
  options: { nCtx?: number; nCtxTrain?: number } = {},
): Promise<FakeLlama> {
  const props = JSON.parse(body('02_props'));
  const models = JSON.parse(body('03_v1_models'));
  if (options.nCtx) {
    props.default_generation_settings.n_ctx = options.nCtx;
    models.data[0].meta.n_ctx = options.nCtx;
  }
  if (options.nCtxTrain) models.data[0].meta.n_ctx_train = options.nCtxTrain;
  const requests: string[] = [];
  const headers = { server: 'llama.cpp', 'content-type': 'application/json; charset=utf-8' };
  const send = (res: http.ServerResponse, status: number, text: string) => {
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const route = `${req.method} ${req.url}`;
      requests.push(route);
      switch (route) {
        case 'GET /health':
          return send(res, 200, body('01_health'));
        case 'GET /props':
          return send(res, 200, JSON.stringify(props));
        case 'GET /v1/models':
        case 'GET /models':
          return send(res, 200, JSON.stringify(models));
        case 'POST /v1/chat/completions': {
          let parsed: { tools?: unknown; tool_choice?: unknown };
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            return send(res, 500, body('24_bad_json'));
          }
          return send(
            res,
            200,
            body(parsed.tools && parsed.tool_choice ? '10_tools_required' : '05_chat_greedy'),
          );
        }
        default:
          return send(res, 404, body('26_unknown_route'));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
