// What the bridge knows and keeps about one upstream at run time: its discovered facts (kind,
// context size), its token counter, and its profile. Discovery is cached and refreshed after an
// overflow error (design.md §4.5).

import { UPSTREAMS } from '../upstreams/index.js';
import type { UpstreamKind } from '../upstreams/kind.js';
import type { AnchorTicket } from './context/anchor.js';
import { ContextDiscovery, type UpstreamFacts } from './context/discovery.js';
import { loadLocalTokenizer } from './context/local-tokenizer.js';
import { type SerializedCountingBody, type TokenCount, TokenCounter } from './context/tokens.js';
import type { ChatCompletionRequest } from './openai/types.js';
import { type UpstreamProfile, upstreamProfile } from './profile.js';
import type { Upstream } from './upstream.js';

export class UpstreamRuntime {
  readonly discovery: ContextDiscovery;
  private readonly counter: TokenCounter;
  /** Set when the upstream answered with far fewer prompt tokens than sent (Ollama truncates silently). */
  truncationWarning: string | undefined;

  constructor(readonly upstream: Upstream) {
    this.discovery = new ContextDiscovery(upstream);
    const tokenCounting = upstream.config.tokenCounting ?? 'auto';
    this.counter = new TokenCounter(upstream, () => this.kind(), {
      upstream: tokenCounting === 'auto',
      local: tokenCounting !== 'estimate',
    });
    this.tokenCounting = tokenCounting;
  }

  private readonly tokenCounting: 'auto' | 'local' | 'estimate';
  private preloaded = false;
  private factsIdentity: string | undefined;

  async facts(): Promise<UpstreamFacts> {
    const facts = await this.discovery.get();
    // Another model or context (the server restarted): earlier prompts' sizes may not hold.
    const identity = `${facts.model ?? ''}\u0000${facts.contextSize ?? ''}`;
    if (this.factsIdentity !== undefined && identity !== this.factsIdentity) this.counter.anchors.clear();
    this.factsIdentity = identity;
    if (
      !this.preloaded &&
      this.tokenCounting !== 'estimate' &&
      UPSTREAMS[facts.kind].tokenCounting.length === 0
    ) {
      // This upstream cannot count for us: load the local tokenizer now, not on the first request.
      this.preloaded = true;
      void loadLocalTokenizer();
    }
    return facts;
  }

  kind(): UpstreamKind | undefined {
    const configured = this.upstream.config.kind;
    if (configured !== 'auto') return configured;
    return this.discovery.peek()?.kind;
  }

  profile(): UpstreamProfile {
    return upstreamProfile(this.upstream.config, this.kind());
  }

  async count(
    request: ChatCompletionRequest,
    signal?: AbortSignal,
    serialized?: SerializedCountingBody,
    fits?: (tokens: number) => boolean,
  ): Promise<TokenCount> {
    return this.counter.count(request, signal, serialized, fits);
  }

  /**
   * A lower bound of the prompt's tokens when it already proves the prompt cannot fit, from its
   * characters alone (no serializing, no tokenizing); undefined otherwise. Only where the local
   * DeepSeek tokenizer counts: its longest token bounds tokens per character (local-tokenizer.ts).
   */
  refusalByCharacters(
    request: ChatCompletionRequest,
    fits: (tokens: number) => boolean,
  ): TokenCount | undefined {
    return this.counter.refusalByCharacters(request, fits);
  }

  /** The server's prompt_tokens for a counted request (see TokenCounter.settle); a warning if a bound failed. */
  settleCount(ticket: AnchorTicket | undefined, serverPromptTokens: number | undefined): string | undefined {
    return this.counter.settle(ticket, serverPromptTokens);
  }
}
