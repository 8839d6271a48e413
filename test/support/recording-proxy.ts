// A pass-through between the bridge and a real upstream that records every exchange: what the bridge
// sent (method, path, JSON body) and what the server answered (status, body; SSE streamed through as
// it comes). Tests read the server's own figures from it (usage, timings.cache_n, overflow errors).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/** Parsed JSON of a real server or the bridge: its shape is what the assertions check. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked field by field by the tests
export type Json = any;

export interface Exchange {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  status: number;
  /** The answer as text (an SSE stream whole). */
  answer: string;
}

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      let body: Record<string, unknown> | undefined;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      const exchange: Exchange = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        body,
        status: 0,
        answer: '',
      };
      try {
        const upstream = await fetch(`${target}${req.url}`, {
          method: req.method,
          headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
          body: req.method === 'GET' || req.method === 'HEAD' ? undefined : raw,
        });
        exchange.status = upstream.status;
        res.writeHead(upstream.status, {
          'content-type': upstream.headers.get('content-type') ?? 'application/json',
        });
        if (upstream.body) {
          for await (const chunk of Readable.fromWeb(upstream.body as never)) {
            exchange.answer += Buffer.from(chunk as Uint8Array).toString('utf8');
            res.write(chunk);
          }
        }
        res.end();
      } catch (err) {
        exchange.status = 502;
        exchange.answer = String(err);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(err));
      } finally {
        exchanges.push(exchange);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The JSON objects of an SSE answer's `data:` lines ([DONE] left out); a JSON answer as one. */
export function answerObjects(answer: string): Json[] {
  const trimmed = answer.trim();
  if (trimmed.startsWith('{')) return [JSON.parse(trimmed)];
  const out: Json[] = [];
  for (const line of answer.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6).trim();
    if (data === '[DONE]') continue;
    out.push(JSON.parse(data));
  }
  return out;
}

/** The server's usage and timings for one completion (the last chunk that has them). */
export function serverFigures(answer: string): {
  promptTokens: number;
  cachedTokens: number;
  cacheN: number | undefined;
  promptN: number | undefined;
} {
  const objects = answerObjects(answer);
  const withUsage = objects.filter((o) => o.usage).at(-1);
  const withTimings = objects.filter((o) => o.timings).at(-1);
  if (!withUsage) throw new Error(`no usage in the server's answer: ${answer.slice(0, 500)}`);
  return {
    promptTokens: withUsage.usage.prompt_tokens,
    cachedTokens: withUsage.usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheN: withTimings?.timings?.cache_n,
    promptN: withTimings?.timings?.prompt_n,
  };
}
