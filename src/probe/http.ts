// The probe's network edge: one keep-alive undici Agent shared by every request of a run (a load
// run must measure the bridge, not TCP handshakes). Responses are handed over as a stream of text
// chunks so the runner can timestamp each one.
import { StringDecoder } from 'node:string_decoder';
import { Agent, request } from 'undici';

export interface OpenedResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as decoded UTF-8 text chunks (multi-byte characters split across reads are rejoined). */
  chunks(): AsyncIterable<string>;
  text(): Promise<string>;
  /** Abandons the body (frees the connection). */
  dump(): Promise<void>;
}

export interface RequestInit {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export class ProbeHttpError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ProbeHttpError';
  }
}

export class ProbeHttpClient {
  private readonly agent: Agent;

  /** @param timeoutMs longest wait for response headers, and longest silence between body chunks */
  constructor(readonly timeoutMs: number) {
    this.agent = new Agent({
      keepAliveTimeout: 10_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connections: null,
    });
  }

  async open(url: string, init: RequestInit = {}): Promise<OpenedResponse> {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method: init.method ?? 'GET',
        headers: init.headers,
        body: init.body,
        signal: init.signal,
        dispatcher: this.agent,
      });
    } catch (err) {
      throw explain(url, err);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    const body = res.body;
    return {
      status: res.statusCode,
      headers,
      async *chunks() {
        const decoder = new StringDecoder('utf8');
        try {
          for await (const chunk of body) {
            const text = decoder.write(chunk as Buffer);
            if (text) yield text;
          }
        } catch (err) {
          throw explain(url, err);
        }
        const rest = decoder.end();
        if (rest) yield rest;
      },
      async text() {
        try {
          return await body.text();
        } catch (err) {
          throw explain(url, err);
        }
      },
      async dump() {
        await body.dump().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/** Turns undici's errors into one line a user can act on. */
function explain(url: string, err: unknown): ProbeHttpError {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const origin = safeOrigin(url);
  switch (code) {
    case 'ECONNREFUSED':
      return new ProbeHttpError(`cannot connect to ${origin}: connection refused (is it running?)`, code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ProbeHttpError(`cannot resolve the host of ${origin}`, code);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new ProbeHttpError(`${origin} sent no response headers in time`, code);
    case 'UND_ERR_BODY_TIMEOUT':
      return new ProbeHttpError(`${origin} went silent in the middle of the response body`, code);
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
      return new ProbeHttpError(`${origin} closed the connection unexpectedly`, code);
    default:
      return new ProbeHttpError(`request to ${url} failed: ${e.message ?? String(err)}`, code);
  }
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
