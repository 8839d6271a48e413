// POST /v1/chat/completions: OpenAI clients passed through to the upstream, with the model mapped
// and max_tokens clamped to what the context leaves (vLLM refuses prompt + max_tokens >
// max_model_len). Errors in OpenAI's shape; an upstream error body is redacted, never passed on as is.
import type http from 'node:http';
import { planOutputTokens } from '../context/clamp.js';
import { assertJsonDepth, readBoundedText } from '../limits.js';
import type { RequestLogEntry } from '../log.js';
import type { ChatCompletionRequest } from '../openai/types.js';
import { convertConnectionError, type Upstream } from '../upstream.js';
import { abortWhenClientLeaves, drainedOrClosed, readBody, sendJson } from './io.js';
import { type BridgeState, runtimeOf } from './state.js';

/** The body as a JSON object, or the reason it is not one. */
export function parseChatBody(
  raw: string,
  maxJsonDepth = Number.POSITIVE_INFINITY,
): { body: Record<string, unknown> } | { error: string } {
  try {
    assertJsonDepth(raw, maxJsonDepth);
    const body: unknown = JSON.parse(raw);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new Error('expected a JSON object');
    return { body: body as Record<string, unknown> };
  } catch (err) {
    return { error: `request body is not valid JSON: ${(err as Error).message}` };
  }
}

/** Lowers max_tokens (or max_completion_tokens) in place when the prompt leaves less room. */
export async function clampChatBody(
  state: Pick<BridgeState, 'runtimes'>,
  upstream: Upstream,
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<void> {
  const requested =
    typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : body.max_tokens;
  if (typeof requested !== 'number' || !Array.isArray(body.messages)) return;
  const runtime = runtimeOf(state, upstream);
  const facts = await runtime.facts();
  const count = await runtime.count(body as unknown as ChatCompletionRequest, signal);
  const plan = planOutputTokens({
    requested,
    promptTokens: count.tokens,
    method: count.method,
    contextSize: facts.contextSize,
    outputCap: upstream.config.maxOutputTokens ?? facts.outputCap,
  });
  if (plan.ok && plan.clamped) {
    if (typeof body.max_completion_tokens === 'number') body.max_completion_tokens = plan.maxTokens;
    else body.max_tokens = plan.maxTokens;
  }
}

export async function handleChatCompletions(
  state: BridgeState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: RequestLogEntry,
): Promise<void> {
  const parsed = parseChatBody(
    await readBody(req, state.server.bodyLimitBytes),
    state.limits.maxRequestJsonDepth,
  );
  if ('error' in parsed) {
    sendJson(res, 400, { error: { message: parsed.error, type: 'invalid_request_error' } });
    log.status = 400;
    return;
  }
  const { body } = parsed;
  const asked = typeof body.model === 'string' ? body.model : '';
  const route = state.router.resolve(asked);
  const upstream = state.router.pick(route, new Set()) ?? state.upstreams[0]!;
  log.upstream = upstream.url;
  log.modelAsked = asked || undefined;
  body.model = route.model ?? (await upstream.model()) ?? asked;
  log.modelSent = body.model as string;
  // Counting (for the clamp) and the upstream call both stop when the client leaves.
  const { controller } = abortWhenClientLeaves(res, state.shutdown);
  await clampChatBody(state, upstream, body, controller.signal);
  if (controller.signal.aborted) return;
  let release: (() => void) | undefined;
  try {
    const up = await upstream.call(JSON.stringify(body), { signal: controller.signal });
    release = up.release;
    await pipeAnswer(state, up, res, log);
  } catch (err) {
    if (controller.signal.aborted) return;
    if (!res.headersSent) {
      const e = convertConnectionError(err, { url: upstream.url });
      sendJson(res, e.status, { error: { message: e.message, type: 'upstream_error' } });
      log.status = e.status;
    } else res.destroy();
  } finally {
    release?.();
  }
}

/** The upstream's answer to the client as it comes, with back-pressure; an error body redacted. */
async function pipeAnswer(
  state: Pick<BridgeState, 'redact' | 'limits'>,
  up: Awaited<ReturnType<Upstream['call']>>,
  res: http.ServerResponse,
  log: RequestLogEntry,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'retry-after']) {
    const v = up.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  log.status = up.status;
  if (up.status >= 400) {
    // An error body is small and may echo the bridge's upstream key: redact it, never pass it on.
    const text = state.redact(await readBoundedText(up.body, state.limits.maxResponseBytes).catch(() => ''));
    log.error = text.slice(0, 500);
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(up.status, headers);
    res.end(text);
    return;
  }
  res.writeHead(up.status, headers);
  for await (const chunk of up.body) {
    if (!res.write(chunk) && !res.destroyed) await drainedOrClosed(res);
    if (res.destroyed) break;
  }
  res.end();
}
