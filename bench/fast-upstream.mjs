// A fast fake upstream that streams like llama-server (build b10587, see
// test/fixtures/llama-server/07_chat_stream_greedy.body): the same headers, chunk shapes, a role
// chunk first, one content token per chunk, finish_reason in its own chunk, a usage chunk with
// `timings` when `stream_options.include_usage` is set, then `data: [DONE]`. No model, no delay: each
// chunk is its own write, one event-loop turn apart, so many streams interleave like a batching
// server's. Run as a child process (the bench) it reports its URL over IPC.
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const MODEL = 'models/bench-model.gguf';
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

function chunkLine(id, created, choices, extra = '') {
  return `data: {"choices":${choices},"created":${created},"id":"${id}","model":"${MODEL}","system_fingerprint":"${FINGERPRINT}","object":"chat.completion.chunk"${extra}}\n\n`;
}

/**
 * @param {{ chunks?: number, contextSize?: number, tokenIntervalMs?: number, host?: string, port?: number }} options
 *   tokenIntervalMs: 0 (default) sends the next token one event-loop turn after the last one;
 *   above 0 paces each stream like a GPU serving many streams (50 ms = 20 tokens/s).
 * @returns {Promise<{ url: string, server: http.Server, stats: { requests: number, countRequests: number, aborted: number, connections: number }, close(): Promise<void> }>}
 */
export async function startFastUpstream(options = {}) {
  const tokens = answerTokens(options.chunks ?? 50);
  const interval = options.tokenIntervalMs ?? 0;
  const later = interval > 0 ? (fn) => setTimeout(fn, interval) : setImmediate;
  const contentChoices = tokens.map(
    (t) => `[{"finish_reason":null,"index":0,"delta":{"content":${JSON.stringify(t)}}}]`,
  );
  const stats = { requests: 0, countRequests: 0, aborted: 0, connections: 0 };
  const nCtx = options.contextSize ?? 131072;
  const modelsBody = JSON.stringify({
    object: 'list',
    data: [
      {
        id: MODEL,
        aliases: [MODEL],
        tags: [],
        object: 'model',
        created: 0,
        owned_by: 'llamacpp',
        meta: { vocab_type: true, n_vocab: 129280, n_ctx: nCtx, n_ctx_train: 163840, ftype: 'Q4_K - Medium' },
      },
    ],
  });
  const propsBody = JSON.stringify({
    default_generation_settings: { n_ctx: nCtx },
    total_slots: 1,
    model_alias: MODEL,
    model_path: MODEL,
    model_ftype: 'Q4_K - Medium',
  });
  // No tokenizer here: about four bytes of request per token, which is all a fake can say.
  const promptTokensOf = (chunks) => Math.ceil((chunks.reduce((n, c) => n + c.length, 0) || 1) / 4);
  let counter = 0;

  const server = http.createServer((req, res) => {
    const body = [];
    req.on('data', (c) => body.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const json = (status, text) => {
        res.writeHead(status, {
          Server: 'llama.cpp',
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      // Discovery and counting, in llama-server's shapes (fixtures 02_props, 03_v1_models, 17_chat_input_tokens).
      if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) return json(200, modelsBody);
      if (req.method === 'GET' && path === '/props') return json(200, propsBody);
      if (req.method === 'GET' && path === '/health') return json(200, '{"status":"ok"}');
      if (req.method === 'POST' && path === '/v1/chat/completions/input_tokens') {
        stats.countRequests++;
        return json(200, `{"input_tokens":${promptTokensOf(body)},"object":"response.input_tokens"}`);
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        return json(404, '{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}');
      }
      stats.requests++;
      let request;
      try {
        request = JSON.parse(Buffer.concat(body).toString('utf8'));
      } catch {
        res.writeHead(500, { Server: 'llama.cpp', 'Content-Type': 'application/json; charset=utf-8' });
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
          model: MODEL,
          system_fingerprint: FINGERPRINT,
          object: 'chat.completion',
          usage: {
            completion_tokens: tokens.length,
            prompt_tokens: promptTokens,
            total_tokens: promptTokens + tokens.length,
          },
          id,
        });
        res.writeHead(200, {
          Server: 'llama.cpp',
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      res.writeHead(200, {
        Server: 'llama.cpp',
        'Access-Control-Allow-Origin': '',
        'X-Accel-Buffering': 'no',
        'Content-Type': 'text/event-stream',
      });
      let closed = false;
      res.on('close', () => {
        closed = true;
        if (!res.writableFinished) stats.aborted++;
      });
      res.write(
        chunkLine(
          id,
          created,
          '[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}]',
        ),
      );
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
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
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
