// Warm-up before `dsb serve` listens: the first request should be as quick as the next. Without it
// the first request paid for loading the local DeepSeek tokenizer (where the upstream cannot count), discovering the upstream's
// context and opening the first connection (1.4–2 s measured with the demo upstream). It also tells
// at start, not at the first request, that an upstream does not answer or is addressed as localhost.
// Bounded: discovery has its own budget, every call here a timeout.
import type { UpstreamFacts } from './context/discovery.js';
import type { TokenCount } from './context/tokens.js';
import type { BridgeLogger } from './log.js';
import type { ChatCompletionRequest } from './openai/types.js';

export interface WarmUpTarget {
  name: string;
  url: string;
  /** Whether it answers GET /v1/models (undefined: it did not). */
  models(timeoutMs: number): Promise<unknown>;
  facts(): Promise<UpstreamFacts>;
  count(request: ChatCompletionRequest): Promise<TokenCount>;
  /** The token counting of this upstream is not `estimate`. */
  countsTokens: boolean;
}

export interface WarmUpResult {
  tokenizerLoaded: boolean;
  upstreams: Array<{ name: string; reachable: boolean; facts?: UpstreamFacts; count?: TokenCount }>;
}

/** The smallest prompt that goes the way a real one does (template, tokenizer, connection). */
const WARM_UP_PROMPT: ChatCompletionRequest = {
  model: 'warm-up',
  messages: [{ role: 'user', content: 'hi' }],
};
const REACHABLE_TIMEOUT_MS = 2_000;

export async function warmUp(
  targets: readonly WarmUpTarget[],
  logger: Pick<BridgeLogger, 'info' | 'warn'>,
  now: () => number = Date.now,
): Promise<WarmUpResult> {
  const started = now();
  const upstreams = await Promise.all(targets.map((t) => warmUpOne(t, logger)));
  // The local tokenizer (~90 MB of memory) is loaded only where an upstream cannot count for the
  // bridge: the warm-up count went the local way, which loaded it. An upstream that counts exactly
  // (llama.cpp, vLLM) never needs it.
  const tokenizerLoaded = upstreams.some((u) => u.count?.method === 'local');
  if (tokenizerLoaded) logger.info(`warm-up: local tokenizer loaded in ${now() - started} ms`);
  return { tokenizerLoaded, upstreams };
}

async function warmUpOne(
  target: WarmUpTarget,
  logger: Pick<BridgeLogger, 'info' | 'warn'>,
): Promise<WarmUpResult['upstreams'][number]> {
  const localhost = localhostWarning(target.url);
  if (localhost) logger.warn(localhost, { upstream: target.name });
  const reachable = (await target.models(REACHABLE_TIMEOUT_MS)) !== undefined;
  if (!reachable) {
    logger.warn(
      `upstream ${target.name} (${target.url}) does not answer GET /v1/models: start the model server (dsb launch --run), or check --upstream; requests fail until it answers`,
      { upstream: target.name },
    );
    return { name: target.name, reachable };
  }
  const facts = await target.facts();
  // A real count warms the path the first request takes: the upstream's tokenizer endpoint, or the
  // local tokenizer where the upstream cannot count.
  const count = target.countsTokens ? await target.count(WARM_UP_PROMPT).catch(() => undefined) : undefined;
  logger.info(
    `warm-up: upstream ${target.name} is ${facts.kind}, context ${facts.contextSize ?? 'unknown'} (${facts.contextSource})${count ? `, counting ${count.method}` : ''}`,
    { upstream: target.name },
  );
  return { name: target.name, reachable, facts, ...(count ? { count } : {}) };
}

/** README: use 127.0.0.1, not localhost, which may resolve to ::1 where nothing listens. */
export function localhostWarning(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.hostname.toLowerCase() !== 'localhost') return undefined;
  parsed.hostname = '127.0.0.1';
  const fixed = parsed.toString().replace(/\/$/, '');
  return `upstream ${url} uses localhost, which may resolve to ::1 first while the server listens on 127.0.0.1: use ${fixed}`;
}

/** The bridge's upstreams as warm-up targets (the same runtimes, so what is learnt stays cached). */
export function warmUpTargets(
  upstreams: ReadonlyArray<{
    name: string;
    url: string;
    config: { tokenCounting?: string };
    getJson(path: string, timeoutMs?: number): Promise<unknown>;
  }>,
  runtimeOf: (u: (typeof upstreams)[number]) => Pick<WarmUpTarget, 'facts' | 'count'>,
): WarmUpTarget[] {
  return upstreams.map((u) => {
    const runtime = runtimeOf(u);
    return {
      name: u.name,
      url: u.url,
      models: (timeoutMs) => u.getJson('/v1/models', timeoutMs),
      facts: () => runtime.facts(),
      count: (request) => runtime.count(request),
      countsTokens: (u.config.tokenCounting ?? 'auto') !== 'estimate',
    };
  });
}
