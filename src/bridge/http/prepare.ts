// Step 2 of POST /v1/messages, for one upstream: the model to send, the request converted to the
// upstream's OpenAI shape (after the request policy of translate/policy.ts), its prompt counted and
// max_tokens clamped to what the context leaves. Throws `prompt is too long` (PROMPT_TOO_LONG) when
// the prompt cannot fit. No socket: it needs the shared state, the request and an abort signal.

import { refusalNote } from '../../upstreams/window-advice.js';
import { promptTooLongError } from '../anthropic/errors.js';
import type { MessagesRequest } from '../anthropic/schema.js';
import type { AnchorTicket } from '../context/anchor.js';
import { planOutputTokens } from '../context/clamp.js';
import { completionBodyFrom, serializeCountingBody, type TokenCount } from '../context/tokens.js';
import { REASONING_PLACEHOLDER } from '../profile.js';
import type { Route } from '../router.js';
import type { UpstreamRuntime } from '../runtime.js';
import { applyForcedToolChoicePolicy, reasoningReplay } from '../translate/policy.js';
import { type ConvertedRequest, convertMessagesRequest } from '../translate/request.js';
import type { Upstream } from '../upstream.js';
import { type BridgeState, runtimeOf } from './state.js';

export interface PreparedRequest {
  runtime: UpstreamRuntime;
  model: string;
  /** The JSON body to send upstream. */
  body: string;
  converted: ConvertedRequest;
  promptTokens: number;
  countMethod: 'upstream' | 'local' | 'estimate';
  contextSize: number | undefined;
  warnings: string[];
  /** Settled with the server's prompt_tokens once it answers (context/anchor.ts). */
  anchor?: AnchorTicket;
}

/** The model id to send: the route's, else the upstream's own, else the one the client named. */
export async function modelFor(
  state: Pick<BridgeState, 'runtimes'>,
  route: Route,
  upstream: Upstream,
  asked: string,
): Promise<string> {
  const facts = await runtimeOf(state, upstream).facts();
  return route.model ?? (await upstream.model()) ?? facts.model ?? asked;
}

export async function prepare(
  state: Pick<BridgeState, 'runtimes' | 'reasoningCache' | 'logger' | 'loggedFallbacks'>,
  request: MessagesRequest,
  route: Route,
  upstream: Upstream,
  signal: AbortSignal,
  /** A max_tokens the upstream itself said is the most it accepts for this prompt. */
  outputLimit?: number,
): Promise<PreparedRequest> {
  const runtime = runtimeOf(state, upstream);
  const facts = await runtime.facts();
  const model = route.model ?? (await upstream.model()) ?? facts.model ?? request.model;
  if (route.source === 'default' && !state.loggedFallbacks.has(request.model)) {
    state.loggedFallbacks.add(request.model);
    state.logger.info(`model ${request.model} is not in the model map: using the default route`, { model });
  }
  const profile = runtime.profile();
  const policy = applyForcedToolChoicePolicy(request, profile.forcedToolChoice);
  const replay = reasoningReplay(
    (ids) => state.reasoningCache.recall(ids),
    profile.reasoningReplay,
    REASONING_PLACEHOLDER,
  );
  const converted = convertMessagesRequest(policy.request, {
    model,
    thinkingStyle: profile.thinkingStyle,
    reasoningFor: replay.reasoningFor,
  });
  if (replay.placeholders > 0) {
    state.logger.warn('reasoning cache miss: placeholder reasoning_content sent', {
      turns: replay.placeholders,
      upstream: upstream.url,
    });
  }
  const planFor = outputPlanner({
    requested: request.max_tokens,
    contextSize: facts.contextSize,
    outputCap: upstream.config.maxOutputTokens ?? facts.outputCap,
  });
  // `fits` bounds the count's work and lets an earlier turn's exact size bound this one
  // (context/anchor.ts); a prompt whose characters prove it cannot fit is refused before it is
  // serialized or tokenized (context/local-tokenizer.ts).
  const fits = (n: number) => planFor(n, 'upstream').ok;
  const floor = runtime.refusalByCharacters(converted.request, fits);
  const floorPlan = floor && planFor(floor.tokens, floor.method);
  if (floorPlan && !floorPlan.ok) throw promptTooLongError(floorPlan.promptTokens, floorPlan.maximum);
  const serialized = serializeCountingBody(converted.request);
  const count = await runtime.count(converted.request, signal, serialized, fits);
  const plan = planFor(count.tokens, count.method);
  if (!plan.ok) {
    // Say plainly in the log when the context is too small for compaction to help (window-advice.ts).
    const note = refusalNote(facts.contextSize);
    if (note) state.logger.warn(note, { upstream: upstream.url, promptTokens: plan.promptTokens });
    throw promptTooLongError(plan.promptTokens, plan.maximum);
  }
  converted.request.max_tokens =
    outputLimit !== undefined ? Math.min(plan.maxTokens, outputLimit) : plan.maxTokens;
  const clampWarnings = plan.clamped ? [`max_tokens ${request.max_tokens} → ${plan.maxTokens}`] : [];
  return {
    runtime,
    model,
    body: completionBodyFrom(serialized.json, converted.request),
    converted,
    promptTokens: count.tokens,
    countMethod: count.method,
    contextSize: facts.contextSize,
    warnings: [...policy.warnings, ...replay.warnings(), ...clampWarnings, ...converted.warnings],
    anchor: count.anchor,
  };
}

/**
 * The output plan for a prompt size, over what it needs and nothing else. Built at module level
 * on purpose: a closure written inside `prepare` that read `request.max_tokens` put the whole
 * parsed request into the function's closure context, and every closure of that call kept it
 * alive: it survived young-generation collections and doubled the bytes promoted to the old
 * generation per request (32 → 68 KB, measured with --trace-gc-nvp).
 */
function outputPlanner(limits: {
  requested: number;
  contextSize: number | undefined;
  outputCap: number | undefined;
}): (promptTokens: number, method: TokenCount['method']) => ReturnType<typeof planOutputTokens> {
  return (promptTokens, method) => planOutputTokens({ ...limits, promptTokens, method });
}
