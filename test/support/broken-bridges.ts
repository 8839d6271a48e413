// Fake bridges for the probe's tests: a correct one that answers like the real bridge (Anthropic SSE
// with every invariant kept, 400 "prompt is too long" on overflow, /health with its upstream), and
// the same with one deliberate defect each. Its /health names the upstream it was given (tests of
// --compare-direct start the one fake upstream, test/support/fake-upstream/, beside it). Loopback,
// port 0, closed by the test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type BridgeDefect =
  | 'none'
  /** data-only SSE: no `event:` lines (Claude Code falls back to non-streaming). */
  | 'no-event-lines'
  /** The text block is never stopped. */
  | 'unclosed-block'
  /** The tool call's input_json_delta fragments do not form JSON. */
  | 'invalid-tool-json'
  /** A tool call ends with stop_reason end_turn. */
  | 'wrong-stop-reason'
  /** The stream ends after message_delta. */
  | 'no-message-stop'
  /** Forwards an oversized prompt instead of refusing it (context management missing). */
  | 'no-overflow-refusal';

export interface FakeBridge {
  url: string;
  /** Every request received on /v1/messages, in order. */
  requests: Array<{ url: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }>;
  /** With pingUntilClientLeaves: resolves when a client left such a stream. */
  streamAbandoned: Promise<void>;
  close(): Promise<void>;
}

export interface FakeBridgeOptions {
  defect?: BridgeDefect;
  /** Reported as /health upstreams[0].contextSize; prompts above it are refused. */
  contextSize?: number;
  /** Omit contextSize from /health (the bridge "does not know"). */
  hideContextSize?: boolean;
  /** Reported as /health upstreams[0].url (the upstream --compare-direct measures); none: omitted. */
  upstreamUrl?: string;
  /** This many extra `ping` frames after message_start (a long stream). */
  extraPings?: number;
  /** After message_start, `ping` frames without end until the client leaves (an endless stream). */
  pingUntilClientLeaves?: boolean;
}

type Obj = Record<string, unknown>;
type Frame = { type: string } & Obj;

const CHARS_PER_TOKEN = 3;
const estimateTokens = (body: Obj) =>
  Math.ceil(JSON.stringify([body.system, body.messages, body.tools]).length / CHARS_PER_TOKEN);

function lastUserContent(body: Obj): unknown[] {
  const messages = (body.messages as Array<{ role: string; content: unknown }>) ?? [];
  const last = messages.at(-1);
  if (!last) return [];
  return typeof last.content === 'string'
    ? [{ type: 'text', text: last.content }]
    : (last.content as unknown[]);
}

/** The blocks the fake answers with, chosen like a model would from the request. */
function plan(body: Obj): { thinking?: string; text?: string; tools: Array<{ name: string; input: Obj }> } {
  const content = lastUserContent(body);
  const text = content
    .map((b) => (typeof b === 'object' && b && (b as Obj).type === 'text' ? String((b as Obj).text) : ''))
    .join(' ');
  const thinking = (body.thinking as Obj | undefined)?.type ? 'Let me think about that.' : undefined;
  if (content.some((b) => typeof b === 'object' && b && (b as Obj).type === 'tool_result')) {
    return { thinking, text: 'The tool returned what I needed.', tools: [] };
  }
  const choice = body.tool_choice as Obj | undefined;
  if (Array.isArray(body.tools) && choice && (choice.type === 'tool' || choice.type === 'any')) {
    const names = (body.tools as Obj[]).map((t) => String(t.name));
    const mentioned = names.filter((n) => text.includes(n));
    const chosen =
      choice.type === 'tool' ? [String(choice.name)] : mentioned.length ? mentioned : names.slice(0, 1);
    return { tools: chosen.map((name) => ({ name, input: { file_path: '/work/test.py', command: 'ls' } })) };
  }
  return { thinking, text: 'Hello there, from the fake bridge.', tools: [] };
}

function frames(body: Obj, defect: BridgeDefect, inputTokens: number, extraPings = 0): Frame[] {
  const p = plan(body);
  const out: Frame[] = [
    {
      type: 'message_start',
      message: {
        id: 'msg_fake01',
        type: 'message',
        role: 'assistant',
        content: [],
        model: String(body.model),
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: 0 },
      },
    },
    { type: 'ping' },
    ...Array.from({ length: extraPings }, () => ({ type: 'ping' })),
  ];
  let index = 0;
  if (p.thinking) {
    out.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } });
    out.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: p.thinking } });
    out.push({
      type: 'content_block_delta',
      index,
      delta: { type: 'signature_delta', signature: 'dsb1.fake' },
    });
    out.push({ type: 'content_block_stop', index });
    index++;
  }
  if (p.text) {
    out.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    const words = p.text.match(/\s*\S+/g) ?? [];
    for (const w of words)
      out.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: w } });
    if (defect !== 'unclosed-block') out.push({ type: 'content_block_stop', index });
    index++;
  }
  p.tools.forEach((tool, n) => {
    out.push({
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: `toolu_fake${n}`, name: tool.name, input: {} },
    });
    let json = JSON.stringify(tool.input);
    if (defect === 'invalid-tool-json') json = json.slice(0, -1); // the closing brace never comes
    for (let at = 0; at < json.length; at += 7) {
      out.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: json.slice(at, at + 7) },
      });
    }
    out.push({ type: 'content_block_stop', index });
    index++;
  });
  const stop = p.tools.length > 0 && defect !== 'wrong-stop-reason' ? 'tool_use' : 'end_turn';
  out.push({
    type: 'message_delta',
    delta: { stop_reason: stop, stop_sequence: null },
    usage: { output_tokens: 12 },
  });
  if (defect !== 'no-message-stop') out.push({ type: 'message_stop' });
  return out;
}

function message(body: Obj, inputTokens: number): Obj {
  const p = plan(body);
  const content: Obj[] = [];
  if (p.thinking) content.push({ type: 'thinking', thinking: p.thinking, signature: 'dsb1.fake' });
  if (p.text) content.push({ type: 'text', text: p.text });
  p.tools.forEach((t, n) => {
    content.push({ type: 'tool_use', id: `toolu_fake${n}`, name: t.name, input: t.input });
  });
  return {
    id: 'msg_fake02',
    type: 'message',
    role: 'assistant',
    model: String(body.model),
    content,
    stop_reason: p.tools.length ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: 12 },
  };
}

export async function startFakeBridge(options: FakeBridgeOptions = {}): Promise<FakeBridge> {
  const defect = options.defect ?? 'none';
  const contextSize = options.contextSize ?? 16_384;
  const requests: FakeBridge['requests'] = [];
  let abandoned: () => void = () => {};
  const fake: FakeBridge = {
    url: '',
    requests,
    streamAbandoned: new Promise<void>((resolve) => (abandoned = resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (req.method === 'GET' && path === '/health') {
      return json(200, {
        status: 'ok',
        upstreams: [
          {
            name: 'fake',
            ...(options.upstreamUrl ? { url: options.upstreamUrl } : {}),
            reachable: true,
            model: 'fake-model',
            ...(options.hideContextSize ? {} : { contextSize }),
          },
        ],
      });
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      let body: Obj;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return json(400, {
          type: 'error',
          error: { type: 'invalid_request_error', message: 'body is not JSON' },
        });
      }
      if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
        return json(200, { input_tokens: estimateTokens(body) });
      }
      if (req.method !== 'POST' || path !== '/v1/messages') {
        return json(404, { type: 'error', error: { type: 'not_found_error', message: `no route ${path}` } });
      }
      requests.push({ url: req.url ?? '', headers: req.headers, body });
      const tokens = estimateTokens(body);
      if (tokens > contextSize && defect !== 'no-overflow-refusal') {
        return json(400, {
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message: `prompt is too long: ${tokens} tokens > ${contextSize} maximum`,
          },
        });
      }
      if (!body.stream) return json(200, message(body, tokens));
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      for (const frame of frames(body, defect, tokens, options.extraPings)) {
        const data = `data: ${JSON.stringify(frame)}\n\n`;
        const text = defect === 'no-event-lines' ? data : `event: ${frame.type}\n${data}`;
        // Split each frame in two writes: the probe's parser must reassemble frames cut anywhere.
        const cut = Math.floor(text.length / 2);
        res.write(text.slice(0, cut));
        res.write(text.slice(cut));
        if (options.pingUntilClientLeaves && frame.type === 'ping') {
          while (!res.destroyed) {
            await new Promise<void>((resolve) => {
              if (res.write(`event: ping\ndata: {"type":"ping"}\n\n`)) return setImmediate(resolve);
              res.once('drain', resolve);
              res.once('close', resolve);
            });
          }
          return abandoned();
        }
      }
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
