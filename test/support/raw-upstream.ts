// An upstream whose chat answer is whatever the test writes on the socket: for faults a real model
// server does not produce on demand (endless reasoning, CR-only SSE, leaked tool-call tokens). Every
// other route answers 404, so the bridge falls back to its configuration (give it `model`,
// `contextSize` and `tokenCounting: 'estimate'`).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawUpstream {
  url: string;
  /** Chat completion requests received. */
  completions: number;
  /** Completion requests whose connection closed before the answer ended (the bridge aborted). */
  aborted: number;
  close(): Promise<void>;
}

export type RawAnswer = (res: http.ServerResponse, body: Record<string, unknown>) => void | Promise<void>;

export async function startRawUpstream(answer: RawAnswer): Promise<RawUpstream> {
  const state: RawUpstream = { url: '', completions: 0, aborted: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"not found"}}');
        return;
      }
      state.completions++;
      res.on('close', () => {
        if (!res.writableFinished) state.aborted++;
      });
      void answer(res, JSON.parse(text));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

/** One OpenAI chunk with this delta (and finish reason). */
export function chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
  return JSON.stringify({
    id: 'chatcmpl-raw',
    object: 'chat.completion.chunk',
    model: 'fake',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
}
