// The one fake OpenAI-compatible upstream of the tests: an HTTP server on 127.0.0.1, port 0, that
// answers from a route table ("GET /props" → a reply), answers POST /v1/chat/completions with a
// `ChatAnswer` (recorded llama-server bodies, scripted turns, a fault, or whatever the test writes
// on the response), and records every request, connection and completion so tests can assert what
// the bridge sent and whether it let go of what it opened.
//
// The presets that imitate one server kind live next to it: llama.ts (recorded llama-server and a
// DeepSeek llama-server profile), kinds.ts (vLLM, Ollama, SGLang), faults.ts, scripted.ts.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A chat completions request body: the fields the tests look at; the rest stays available. */
export interface ChatRequestBody {
  model?: string;
  messages: ChatMessageBody[];
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  tool_choice?: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  [key: string]: unknown;
}

export interface ChatMessageBody {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content?: string | null | Array<{ type: string; text?: string; [key: string]: unknown }>;
  reasoning_content?: string;
  tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  /** "METHOD /path", the key of the route table. */
  route: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** The JSON body, when there was one and it parsed. */
  body: Record<string, unknown> | undefined;
  /** What was answered: a turn's label, a fault, an error or route description. */
  answeredWith?: string;
  /** The connection it came on (1, 2, … in order of opening). */
  connection: number;
  /** That connection had carried a request before (a pooled keep-alive connection). */
  reusedConnection: boolean;
}

/** A POST chat completions request answered by the fake's `answer`. */
export interface CompletionRecord extends RecordedRequest {
  body: ChatRequestBody;
  stream: boolean;
  /** performance.now() when the request arrived and when its response closed. */
  arrivedAt: number;
  closedAt: number | undefined;
  /** The client went away before the answer was complete. */
  aborted: boolean;
  /** Resolves when the response closed, ended or torn down (event order, not a clock). */
  closed: Promise<void>;
}

export interface Reply {
  status?: number;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  /** Content-Type; default JSON for objects, plain text for strings. */
  type?: string;
  headers?: Record<string, string>;
  /** Never answer (the client must time out or give up). */
  hang?: boolean;
  /** Close the connection without a word. */
  destroy?: boolean;
}

export type Handler = (body: Record<string, unknown> | undefined, request: RecordedRequest) => Reply;

/** What the answer of one chat completion may use besides the response. */
export interface Exchange {
  request: CompletionRecord;
  /** Runs `fn` after `ms`, unless the fake is closed first. */
  later(ms: number, fn: () => void): void;
  /** Runs `fn` when the test calls `release()`. */
  onRelease(fn: () => void): void;
  /** Notes something the fake could not do as scripted (tests assert `problems` stays empty). */
  problem(message: string): void;
}

export type ChatAnswer = (
  res: http.ServerResponse,
  body: ChatRequestBody,
  exchange: Exchange,
) => void | Promise<void>;

export interface FakeUpstreamOptions {
  /** Routes by "METHOD /path"; they win over `answer`. */
  routes?: Record<string, Handler>;
  /** What every other request gets: a reply, or a handler (default: a 404 with a JSON error). */
  otherwise?: Reply | Handler;
  /** The `Server` header of every reply (llama-server sends "llama.cpp"). */
  serverHeader?: string;
  /** What POST /v1/chat/completions (and /chat/completions) gets; none: `otherwise`. */
  answer?: ChatAnswer;
  /** How long an idle keep-alive connection stays open (default: Node's). */
  keepAliveTimeoutMs?: number;
  /** The port to listen on (default 0: a free one). */
  port?: number;
}

export interface FakeUpstream {
  url: string;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** The chat completions answered by `answer`, in arrival order. */
  readonly completions: CompletionRecord[];
  /** Problems the fake met (script exhausted, a handler threw): tests assert it stays empty. */
  readonly problems: string[];
  /** Routes, changeable while running ("GET /props"). */
  readonly routes: Map<string, Handler>;
  /** The chat answer, changeable while running. */
  answer: ChatAnswer | undefined;
  /** The completions whose body parsed with a messages array. */
  chatRequests(): CompletionRecord[];
  /** Requests received on a route ("GET /props"), and their JSON bodies. */
  hitCount(route: string): number;
  bodiesOf(route: string): Array<Record<string, unknown> | undefined>;
  totalHits(): number;
  /** Completions whose client left before the answer ended. */
  readonly aborted: number;
  /** Connections opened so far, and open right now (the bridge's pooled ones included). */
  readonly connections: number;
  openSockets(): number;
  /** Lets every held answer go on (see the `held` fault). */
  release(): void;
  /** Resolves once `count` completions have arrived in all. */
  waitForCompletions(count: number): Promise<void>;
  /** Resolves when every socket is closed, or rejects after `timeoutMs` (a hang-catching deadline). */
  waitForNoSockets(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const CHAT_PATHS = new Set(['/v1/chat/completions', '/chat/completions']);
const DEFAULT_NOT_FOUND: Reply = { status: 404, body: { error: { message: 'not found' } } };

function parseJson(text: string): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sendReply(res: http.ServerResponse, reply: Reply, serverHeader?: string): void {
  if (reply.destroy) {
    res.socket?.destroy();
    return;
  }
  if (reply.hang) return; // keep the socket open, never answer
  const raw = reply.body;
  const payload = typeof raw === 'string' || Buffer.isBuffer(raw) ? raw : JSON.stringify(raw ?? {});
  const headers: Record<string, string | number> = {
    'content-type':
      reply.type ?? (typeof raw === 'string' ? 'text/plain; charset=utf-8' : 'application/json'),
    ...reply.headers,
  };
  if (serverHeader) headers.server = serverHeader;
  res.writeHead(reply.status ?? 200, headers);
  res.end(payload);
}

/** A JSON reply in llama-server's manner (its Server header, charset, Content-Length). */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, {
    Server: 'llama.cpp',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The headers llama-server streams with. */
export function startSse(res: http.ServerResponse): void {
  res.writeHead(200, { Server: 'llama.cpp', 'Content-Type': 'text/event-stream', 'X-Accel-Buffering': 'no' });
}

function waiters() {
  const set = new Set<() => void>();
  return {
    wait: () => new Promise<void>((resolve) => set.add(resolve)),
    wakeAll: () => {
      for (const wake of [...set]) wake();
      set.clear();
    },
  };
}

/** The server's connections: an id for each, which carried a request, which are open. */
function trackConnections(server: http.Server) {
  const open = new Set<Socket>();
  const ids = new WeakMap<Socket, number>();
  const used = new WeakSet<Socket>();
  const closes = waiters();
  let opened = 0;
  server.on('connection', (socket: Socket) => {
    ids.set(socket, ++opened);
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      closes.wakeAll();
    });
  });
  return {
    opened: () => opened,
    open: () => open.size,
    /** The connection's id, and whether it carried a request before; marks it used. */
    use: (socket: Socket) => {
      const seen = { connection: ids.get(socket) ?? 0, reusedConnection: used.has(socket) };
      used.add(socket);
      return seen;
    },
    waitForNone: async (timeoutMs: number) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${open.size} upstream socket(s) still open after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        while (open.size > 0) await Promise.race([closes.wait(), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The request as recorded, its body read whole. */
async function readRequest(
  req: http.IncomingMessage,
): Promise<Omit<RecordedRequest, 'connection' | 'reusedConnection'>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const rawBody = Buffer.concat(chunks).toString('utf8');
  const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
  const method = req.method ?? 'GET';
  return {
    method,
    path,
    query,
    route: `${method} ${path}`,
    headers: req.headers,
    rawBody,
    body: parseJson(rawBody),
  };
}

/** The record of a chat completion, kept up to date as its response closes. */
function trackCompletion(record: RecordedRequest, res: http.ServerResponse): CompletionRecord {
  let markClosed: () => void = () => {};
  const completion = Object.assign(record, {
    stream: record.body?.stream === true,
    arrivedAt: performance.now(),
    closedAt: undefined,
    aborted: false,
    closed: new Promise<void>((resolve) => (markClosed = resolve)),
  }) as CompletionRecord;
  res.on('close', () => {
    completion.closedAt = performance.now();
    completion.aborted = !res.writableFinished;
    markClosed();
  });
  return completion;
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const routes = new Map(Object.entries(options.routes ?? {}));
  const otherwise = options.otherwise ?? DEFAULT_NOT_FOUND;
  const requests: RecordedRequest[] = [];
  const completions: CompletionRecord[] = [];
  const problems: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const held = new Set<() => void>();
  const arrivals = waiters();

  const exchangeFor = (request: CompletionRecord): Exchange => ({
    request,
    later: (ms, fn) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
    },
    onRelease: (fn) => held.add(fn),
    problem: (message) => problems.push(message),
  });

  async function answerChat(res: http.ServerResponse, record: RecordedRequest, answer: ChatAnswer) {
    if (record.body === undefined) {
      // llama-server answers malformed JSON with a 500 (fixture 24_bad_json).
      record.answeredWith = '500 bad json';
      return sendJson(res, 500, {
        error: { code: 500, message: '[json.exception.parse_error.101] invalid JSON', type: 'server_error' },
      });
    }
    const completion = trackCompletion(record, res);
    completions.push(completion);
    arrivals.wakeAll();
    await answer(res, completion.body, exchangeFor(completion));
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const record = { ...(await readRequest(req)), ...connections.use(req.socket) };
    requests.push(record);
    const handler = routes.get(record.route);
    if (handler) return sendReply(res, handler(record.body, record), options.serverHeader);
    const answer = fake.answer;
    if (answer && record.method === 'POST' && CHAT_PATHS.has(record.path))
      return answerChat(res, record, answer);
    record.answeredWith = 'otherwise';
    const reply = typeof otherwise === 'function' ? otherwise(record.body, record) : otherwise;
    sendReply(res, reply, options.serverHeader);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      problems.push(`handler failed: ${err.message}`);
      if (!res.headersSent)
        sendJson(res, 500, { error: { code: 500, message: err.message, type: 'server_error' } });
      else res.destroy();
    });
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  const connections = trackConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  const fake: FakeUpstream = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    completions,
    problems,
    routes,
    answer: options.answer,
    chatRequests: () => completions.filter((c) => Array.isArray(c.body?.messages)),
    hitCount: (route) => requests.filter((r) => r.route === route).length,
    bodiesOf: (route) => requests.filter((r) => r.route === route).map((r) => r.body),
    totalHits: () => requests.length,
    get aborted() {
      return completions.filter((c) => c.aborted).length;
    },
    get connections() {
      return connections.opened();
    },
    openSockets: connections.open,
    release: () => {
      for (const go of [...held]) go();
      held.clear();
    },
    waitForCompletions: async (count) => {
      while (completions.length < count) await arrivals.wait();
    },
    waitForNoSockets: connections.waitForNone,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}

/** A loopback port with nothing listening on it (taken, then released). */
export async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}
