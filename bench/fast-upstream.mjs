// The bench's one fake upstream: every bench script (run.mjs, abort.mjs, attack.mjs,
// counting-local.mjs) starts this one, configured for what it measures. It must cost the bench
// nothing it could mistake for the bridge's cost: every chunk is a precomputed string, no
// JSON.stringify per chunk, one write per chunk.
//
// Its normal answer streams like llama-server (build b10587, see
// test/fixtures/llama-server/07_chat_stream_greedy.body): the same headers, chunk shapes, a role
// chunk first, one content token per chunk, finish_reason in its own chunk, a usage chunk with
// `timings` when `stream_options.include_usage` is set, then `data: [DONE]`. With no pacing each chunk
// is its own write, one event-loop turn apart, so many streams interleave like a batching server's;
// with `tokenIntervalMs` each stream is paced like a GPU serving many streams.
//
// `upstream.answer` switches the next completions to a fault (FAULTS below): a stream held open, a
// request never answered, and the hostile answers of the attack bench. Run as a child process (the
// bench) it reports its URL over IPC.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const DEFAULT_MODEL = 'models/bench-model.gguf';
const FINGERPRINT = 'b10587-3f545bec';
const WORDS = [
  ' the',
  ' function',
  ' returns',
  ' a',
  ' promise',
  ' that',
  ' resolves',
  ' when',
  ' every',
  ' file',
  ' is',
  ' read',
  ',',
  ' and',
  ' rejects',
  ' otherwise',
  '.',
];

/** The 50 (by default) content tokens of every answer. */
export function answerTokens(count) {
  const tokens = [];
  for (let i = 0; i < count; i++) tokens.push(WORDS[i % WORDS.length]);
  return tokens;
}

// ---- faults ---------------------------------------------------------------------------------------
// Each is (req, res, fake) → void, where fake has the precomputed `held` lines. Their strings are
// built once, here, not per request.
const faultChunk = (delta, finish = null) =>
  JSON.stringify({
    id: 'x',
    object: 'chat.completion.chunk',
    model: 'f',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
const toolCall = (args, extra = {}) =>
  faultChunk({ tool_calls: [{ index: 0, ...extra, function: { arguments: args, ...extra.fn } }] });
const CR_ONLY = `data: ${faultChunk({ content: 'ok' })}\r\rdata: [DONE]\r\r`;
const LEAKED_TOOL_TOKENS = [
  toolCall('', { id: 'c1', type: 'function', fn: { name: 'Write' } }),
  toolCall('{"file_path":"/tmp/x","content":"hi'),
  toolCall('<｜tool▁call▁end｜><｜tool▁calls▁end｜>'),
  faultChunk({}, 'tool_calls'),
  '[DONE]',
]
  .map((d) => `data: ${d}\n\n`)
  .join('');
const ENDLESS_REASONING = `data: ${faultChunk({ reasoning_content: 'r'.repeat(4000) })}\n\n`;
const ENDLESS_TOOL_HEAD = `data: ${faultChunk({ tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'Write', arguments: '{"a":"' } }] })}\n\n`;
const ENDLESS_TOOL_ARGS = `data: ${faultChunk({ tool_calls: [{ index: 0, function: { arguments: 'a'.repeat(4000) } }] })}\n\n`;
const ENDLESS_DATA_LINE = `data: ${'d'.repeat(200)}\n`;

/** Writes `head`, then `unit` in 64 KB blocks with back-pressure until the client leaves (cap 256 MB). */
async function endless(res, head, unit) {
  res.writeHead(200, { 'content-type': head.startsWith('{') ? 'application/json' : 'text/event-stream' });
  res.write(head);
  const block = unit.repeat(Math.max(1, Math.floor(65536 / unit.length)));
  let sent = 0;
  // Capped: a bridge that never stops reading shows as a slow /health, not a hung bench.
  while (!res.destroyed && sent < 256 * 1024 * 1024) {
    sent += block.length;
    if (!res.write(block))
      await new Promise((r) => {
        const done = () => {
          res.off('drain', done).off('close', done);
          r();
        };
        res.on('drain', done).on('close', done);
      });
  }
  res.end();
}

const FAULTS = {
  /** The stream starts (role chunk, one token) and then stalls until the client leaves. */
  held(_req, res, fake) {
    res.writeHead(200, fake.streamHeaders);
    res.write(fake.held);
  },
  /** The request is read and never answered: a model still in prefill. */
  silent() {},
  /** A 401 that echoes the key it was sent, plain and base64. */
  'echo-401'(req, res) {
    const auth = String(req.headers.authorization);
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: { message: `bad key ${auth} (${Buffer.from(auth.slice(7)).toString('base64')})` },
      }),
    );
  },
  /** SSE events separated by bare CRs. */
  'cr-only'(_req, res) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(CR_ONLY);
  },
  /** A tool call whose arguments never close, with DeepSeek's tool markup leaked into them. */
  'leaked-tool-tokens'(_req, res) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(LEAKED_TOOL_TOKENS);
  },
  'endless-reasoning': (_req, res) => endless(res, '', ENDLESS_REASONING),
  'endless-tool-args': (_req, res) => endless(res, ENDLESS_TOOL_HEAD, ENDLESS_TOOL_ARGS),
  'endless-data-lines': (_req, res) => endless(res, '', ENDLESS_DATA_LINE),
  'endless-json': (_req, res) => endless(res, '{"choices":[{"message":{"content":"', 'j'.repeat(4000)),
};
/** The answers `upstream.answer` takes: the normal stream, or a fault. */
export const ANSWERS = ['stream', ...Object.keys(FAULTS)];

// ---- discovery ------------------------------------------------------------------------------------
/** What GET routes answer, per server kind (llama-server's shapes: fixtures 02_props, 03_v1_models). */
function discoveryBodies(serverKind, model, nCtx) {
  if (serverKind === 'openai')
    return { '/v1/models': JSON.stringify({ object: 'list', data: [{ id: model, object: 'model' }] }) };
  const models = JSON.stringify({
    object: 'list',
    data: [
      {
        id: model,
        aliases: [model],
        tags: [],
        object: 'model',
        created: 0,
        owned_by: 'llamacpp',
        meta: { vocab_type: true, n_vocab: 129280, n_ctx: nCtx, n_ctx_train: 163840, ftype: 'Q4_K - Medium' },
      },
    ],
  });
  const props = JSON.stringify({
    default_generation_settings: { n_ctx: nCtx },
    total_slots: 1,
    model_alias: model,
    model_path: model,
    model_ftype: 'Q4_K - Medium',
  });
  return { '/v1/models': models, '/models': models, '/props': props, '/health': '{"status":"ok"}' };
}

/**
 * @param {{
 *   chunks?: number, tokenIntervalMs?: number, contextSize?: number, model?: string,
 *   serverKind?: 'llama.cpp' | 'openai', answer?: string,
 *   onCompletion?: (n: number) => void, onCompletionClosed?: (n: number, atMs: number) => void,
 *   host?: string, port?: number,
 * }} options
 *   chunks: content tokens per answer (50). tokenIntervalMs: 0 (default) sends the next token one
 *   event-loop turn after the last one; above 0 paces each stream (50 ms = 20 tokens/s).
 *   serverKind: 'llama.cpp' (default) answers /props, a /v1/models with `meta` and llama-server's
 *   token-count route; 'openai' answers a bare /v1/models and nothing else (a server that cannot
 *   count). answer: the first answer (see ANSWERS); `upstream.answer` changes it for later requests.
 *   onCompletion / onCompletionClosed: called with the completion's number (0, 1, …) when it has
 *   arrived and when its response closed (performance.now()), for benches that time aborts.
 * @returns {Promise<{ url: string, server: http.Server, answer: string, stats: { requests: number, countRequests: number, modelsRequests: number, aborted: number, connections: number }, close(): Promise<void> }>}
 */
export async function startFastUpstream(options = {}) {
  const model = options.model ?? DEFAULT_MODEL;
  const tokens = answerTokens(options.chunks ?? 50);
  const interval = options.tokenIntervalMs ?? 0;
  const later = interval > 0 ? (fn) => setTimeout(fn, interval) : setImmediate;
  const serverKind = options.serverKind ?? 'llama.cpp';
  const serverHeader = serverKind === 'llama.cpp' ? { Server: 'llama.cpp' } : {};
  const { onCompletion, onCompletionClosed } = options;
  const contentChoices = tokens.map(
    (t) => `[{"finish_reason":null,"index":0,"delta":{"content":${JSON.stringify(t)}}}]`,
  );
  // Everything in a chunk after its id: the same for every chunk of every answer.
  const chunkTail = `,"model":${JSON.stringify(model)},"system_fingerprint":"${FINGERPRINT}","object":"chat.completion.chunk"`;
  const chunkLine = (id, created, choices, extra = '') =>
    `data: {"choices":${choices},"created":${created},"id":"${id}"${chunkTail}${extra}}\n\n`;
  const ROLE_CHOICES = '[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}]';
  const fake = {
    streamHeaders: {
      ...serverHeader,
      'Access-Control-Allow-Origin': '',
      'X-Accel-Buffering': 'no',
      'Content-Type': 'text/event-stream',
    },
    held:
      chunkLine('chatcmpl-held', 0, ROLE_CHOICES) + chunkLine('chatcmpl-held', 0, contentChoices[0] ?? '[]'),
  };
  const stats = { requests: 0, countRequests: 0, modelsRequests: 0, aborted: 0, connections: 0 };
  const discovery = discoveryBodies(serverKind, model, options.contextSize ?? 131072);
  const countsTokens = serverKind === 'llama.cpp';
  // No tokenizer here: about four bytes of request per token, which is all a fake can say.
  const promptTokensOf = (chunks) => Math.ceil((chunks.reduce((n, c) => n + c.length, 0) || 1) / 4);
  let counter = 0;
  let completions = 0;
  let answer = 'stream';
  const upstream = {
    get answer() {
      return answer;
    },
    set answer(name) {
      if (!ANSWERS.includes(name))
        throw new Error(`fast-upstream: no answer "${name}" (one of ${ANSWERS.join(', ')})`);
      answer = name;
    },
  };
  upstream.answer = options.answer ?? 'stream';

  const server = http.createServer((req, res) => {
    const body = [];
    req.on('data', (c) => body.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const json = (status, text) => {
        res.writeHead(status, {
          ...serverHeader,
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      // Discovery and counting (fixture 17_chat_input_tokens).
      if (req.method === 'GET' && discovery[path] !== undefined) {
        if (path === '/v1/models') stats.modelsRequests++;
        return json(200, discovery[path]);
      }
      if (countsTokens && req.method === 'POST' && path === '/v1/chat/completions/input_tokens') {
        stats.countRequests++;
        return json(200, `{"input_tokens":${promptTokensOf(body)},"object":"response.input_tokens"}`);
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        return json(404, '{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}');
      }
      stats.requests++;
      const n = completions++;
      if (onCompletionClosed) res.on('close', () => onCompletionClosed(n, performance.now()));
      onCompletion?.(n);
      if (answer !== 'stream') return void FAULTS[answer](req, res, fake);
      let request;
      try {
        request = JSON.parse(Buffer.concat(body).toString('utf8'));
      } catch {
        res.writeHead(500, { ...serverHeader, 'Content-Type': 'application/json; charset=utf-8' });
        res.end(
          '{"error":{"code":500,"message":"[json.exception.parse_error.101] parse error","type":"server_error"}}',
        );
        return;
      }
      const id = `chatcmpl-bench${++counter}`;
      const created = Math.floor(Date.now() / 1000);
      const promptTokens = promptTokensOf(body);
      if (request.stream !== true) {
        const text = JSON.stringify({
          choices: [
            { finish_reason: 'stop', index: 0, message: { role: 'assistant', content: tokens.join('') } },
          ],
          created,
          model,
          system_fingerprint: FINGERPRINT,
          object: 'chat.completion',
          usage: {
            completion_tokens: tokens.length,
            prompt_tokens: promptTokens,
            total_tokens: promptTokens + tokens.length,
          },
          id,
        });
        return json(200, text);
      }
      res.writeHead(200, fake.streamHeaders);
      let closed = false;
      res.on('close', () => {
        closed = true;
        if (!res.writableFinished) stats.aborted++;
      });
      res.write(chunkLine(id, created, ROLE_CHOICES));
      let next = 0;
      const step = () => {
        if (closed) return;
        if (next < contentChoices.length) {
          res.write(chunkLine(id, created, contentChoices[next++]));
          later(step);
          return;
        }
        let tail = chunkLine(id, created, '[{"finish_reason":"stop","index":0,"delta":{}}]');
        if (request.stream_options?.include_usage) {
          const usage = `,"usage":{"completion_tokens":${tokens.length},"prompt_tokens":${promptTokens},"total_tokens":${promptTokens + tokens.length},"prompt_tokens_details":{"cached_tokens":0}},"timings":{"cache_n":0,"prompt_n":${promptTokens},"prompt_ms":1.2,"predicted_n":${tokens.length},"predicted_ms":1.0}`;
          tail += chunkLine(id, created, '[]', usage);
        }
        res.end(`${tail}data: [DONE]\n\n`);
      };
      later(step);
    });
  });
  server.on('connection', () => stats.connections++);
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return Object.assign(upstream, {
    url: `http://127.0.0.1:${port}`,
    server,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

// As a child process of the bench: start, report the URL, stop when the parent says so or goes away.
if (process.send && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const chunks = Number(process.env.BENCH_CHUNKS ?? 50);
  const tokenIntervalMs = Number(process.env.BENCH_TOKEN_INTERVAL_MS ?? 0);
  const upstream = await startFastUpstream({ chunks, tokenIntervalMs });
  process.send({ type: 'ready', url: upstream.url });
  process.on('message', async (msg) => {
    if (msg?.type === 'stats')
      process.send({ type: 'stats', stats: upstream.stats, memory: process.memoryUsage() });
    if (msg?.type === 'stop') {
      await upstream.close();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}
