// --compare-direct: the same load as the bridge's, sent straight to the upstream's OpenAI chat
// endpoint, timed the same way, so the report can say what the bridge adds.
import { isRecord } from '../util/is-record.js';
import { chatCompletionsUrl, errorMessageOf, firstModelId, modelsUrl, parseJson } from './bodies.js';
import type { BridgeClient } from './bridge-client.js';
import type { SseEvent } from './invariants.js';
import { countErrors, LOAD_PROMPT, runPool } from './load-pool.js';
import { latencyStats, type RequestSample } from './metrics.js';
import { SseParser } from './sse.js';
import type { LoadTargetResult } from './types.js';

/**
 * Follows an OpenAI chat-completions stream: whether it finished (a finish_reason or `[DONE]`), and
 * how long after the request its first token (content, reasoning or tool call) came.
 */
export class ChatStreamWatch {
  finished = false;
  ttftMs: number | undefined;

  /** @param elapsed milliseconds since the request was sent */
  constructor(private readonly elapsed: () => number) {}

  see(events: readonly SseEvent[]): void {
    for (const e of events) {
      if (e.data === '[DONE]') this.finished = true;
      if (!isRecord(e.data) || !Array.isArray(e.data.choices)) continue;
      const choice = e.data.choices[0];
      if (!isRecord(choice)) continue;
      if (typeof choice.finish_reason === 'string') this.finished = true;
      const d = choice.delta;
      if (
        this.ttftMs === undefined &&
        isRecord(d) &&
        (d.content || d.reasoning_content || Array.isArray(d.tool_calls))
      ) {
        this.ttftMs = this.elapsed();
      }
    }
  }
}

async function upstreamModel(
  client: BridgeClient,
  base: string,
  headers: Record<string, string>,
): Promise<string | undefined> {
  // A failure here is left for the chat request to report.
  return firstModelId(await client.getJson(modelsUrl(base), headers));
}

/** The load against the upstream itself, or why it cannot run (no upstream URL known). */
export async function loadDirect(
  client: BridgeClient,
  n: number,
  c: number,
): Promise<LoadTargetResult | string> {
  const direct = client.options.upstream ?? {};
  const health = await client.health();
  const base = direct.url ?? health.upstreamUrl;
  if (!base) return 'no upstream URL: pass --upstream URL (GET /health does not report one)';
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (direct.apiKey) headers.authorization = `Bearer ${direct.apiKey}`;
  const model =
    direct.model ??
    health.upstreamModel ??
    (await upstreamModel(client, base, headers)) ??
    client.options.model;
  const { size: context } = await client.context();
  // vLLM refuses max_tokens beyond what the context leaves; the bridge clamps, so must the direct request.
  const maxTokens = context
    ? Math.min(client.options.maxTokens, Math.floor(context / 2))
    : client.options.maxTokens;
  const body = JSON.stringify({
    model,
    messages: [{ role: 'user', content: LOAD_PROMPT }],
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  });
  const url = chatCompletionsUrl(base);
  const samples: RequestSample[] = [];
  const errors: string[] = [];
  const start = client.now();
  await runPool(n, c, async () => {
    const t0 = client.now();
    const watch = new ChatStreamWatch(() => client.now() - t0);
    const failure = await directRequest(client, url, headers, body, watch);
    if (failure) errors.push(failure);
    samples.push({ ok: !failure, totalMs: client.now() - t0, ttftMs: watch.ttftMs });
    client.options.onLoadProgress?.(samples.length, n, 'upstream');
  });
  const wall = client.now() - start;
  return { target: 'upstream', url, stats: latencyStats(samples, wall), errors: countErrors(errors) };
}

/** One streamed chat request to the upstream, watched by `watch`; returns what went wrong, if anything. */
async function directRequest(
  client: BridgeClient,
  url: string,
  headers: Record<string, string>,
  body: string,
  watch: ChatStreamWatch,
): Promise<string | undefined> {
  try {
    const res = await client.http.open(url, { method: 'POST', headers, body });
    if (res.status !== 200) {
      const text = await res.text();
      return `HTTP ${res.status}: ${errorMessageOf(parseJson(text), text)}`;
    }
    const parser = new SseParser();
    for await (const chunk of res.chunks()) watch.see(parser.push(chunk));
    watch.see(parser.end());
    return watch.finished ? undefined : 'the stream ended without finish_reason or [DONE]';
  } catch (err) {
    return (err as Error).message;
  }
}
