// POST /v1/messages/count_tokens: the request converted as /v1/messages would send it, counted the
// way the bridge counts before sending (the upstream's tokenizer when it has one).
import type http from 'node:http';
import { countTokensRequestSchema } from '../anthropic/schema.js';
import { convertMessagesRequest } from '../translate/request.js';
import { abortWhenClientLeaves, readAnthropicRequest, sendJson } from './io.js';
import { routeFor } from './messages.js';
import { modelFor } from './prepare.js';
import { type BridgeState, requestBounds, runtimeOf } from './state.js';

export async function handleCountTokens(
  state: BridgeState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const counted = await readAnthropicRequest(req, countTokensRequestSchema, requestBounds(state));
  const request = { ...counted, max_tokens: counted.max_tokens ?? 1 };
  const route = routeFor(state, req.headers, request.model);
  const upstream = state.router.pick(route, new Set()) ?? state.upstreams[0]!;
  const runtime = runtimeOf(state, upstream);
  const model = await modelFor(state, route, upstream, request.model);
  const converted = convertMessagesRequest(request, {
    model,
    thinkingStyle: runtime.profile().thinkingStyle,
    reasoningFor: (ids) => state.reasoningCache.recall(ids),
  });
  // Counting stops when the client leaves, and after 10 s in any case.
  const { controller } = abortWhenClientLeaves(res);
  const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(10_000)]);
  const count = await runtime.count(converted.request, signal);
  sendJson(res, 200, { input_tokens: count.tokens }, { 'x-dsb-token-count': count.method });
}
