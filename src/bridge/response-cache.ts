// The opt-in response cache (design.md §4.7, the guide's tip 3): a byte-identical upstream request
// with `temperature: 0` gets the answer already computed, replayed as the same Anthropic event
// stream. Bounded by entries and by bytes (lru-cache `max` + `maxSize`), optionally by age. It keeps
// the translated Anthropic events, not the upstream's bytes, so a replay needs no upstream, no
// translation, and serves streaming (encodeSseEvent) and non-streaming (assembleMessage) alike.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { StreamEvent } from './anthropic/schema.js';

export interface ResponseCacheOptions {
  maxEntries: number;
  /** Bound on the stored answers' size, counted as the UTF-8 bytes of their events' JSON. */
  maxBytes: number;
  /** Entries older than this are not served. Absent: no age limit. */
  ttlMs?: number;
  /** The clock, in ms (default Date.now); tests pass a fake one to age entries without waiting. */
  now?: () => number;
}

export interface CachedAnswer {
  /** The answer's events, pings left out; deep-frozen (replay copies them). */
  readonly events: readonly StreamEvent[];
  readonly bytes: number;
  /** The clock's time (Date.now() by default) when it was stored. */
  readonly storedAt: number;
}

export interface ResponseCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Why a stream cannot be stored; undefined when it is a complete, successful answer. */
export function uncacheableReason(events: readonly StreamEvent[]): string | undefined {
  const content = events.filter((e) => e.type !== 'ping');
  if (content[0]?.type !== 'message_start') return 'it does not begin with message_start';
  if (content.at(-1)?.type !== 'message_stop') return 'it does not end with message_stop';
  if (content.some((e) => e.type === 'error')) return 'it carries an error event';
  if (!content.some((e) => e.type === 'message_delta')) return 'it has no message_delta';
  return undefined;
}

export class ResponseCache {
  private readonly lru: LRUCache<string, CachedAnswer>;
  private readonly now: () => number;
  private hits = 0;
  private misses = 0;

  constructor(opts: ResponseCacheOptions) {
    for (const [name, value] of [
      ['maxEntries', opts.maxEntries],
      ['maxBytes', opts.maxBytes],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`response cache ${name} must be a positive integer, got ${value}`);
      }
    }
    if (opts.ttlMs !== undefined && !(Number.isFinite(opts.ttlMs) && opts.ttlMs > 0)) {
      throw new RangeError(`response cache ttlMs must be a positive number, got ${opts.ttlMs}`);
    }
    this.lru = new LRUCache<string, CachedAnswer>({
      max: opts.maxEntries,
      maxSize: opts.maxBytes,
      // An answer bigger than the whole budget is simply not stored (maxEntrySize defaults to maxSize).
      sizeCalculation: (answer) => Math.max(1, answer.bytes),
      ...(opts.ttlMs !== undefined ? { ttl: opts.ttlMs } : {}),
      // An injected clock is read on every check (lru-cache otherwise reuses a reading for 1 ms).
      ...(opts.now ? { perf: { now: opts.now }, ttlResolution: 0 } : {}),
    });
    this.now = opts.now ?? Date.now;
  }

  /**
   * The cache key: sha256 of the upstream model and the exact JSON body sent upstream. Callers pass
   * the body as it goes on the wire, so "byte-identical" means just that.
   */
  static keyFor(upstreamModel: string, upstreamRequestJson: string): string {
    return createHash('sha256').update(upstreamModel).update('\0').update(upstreamRequestJson).digest('hex');
  }

  /** Only deterministic requests: `temperature` present and exactly 0. */
  static cacheable(anthropicRequest: { temperature?: number }): boolean {
    return anthropicRequest.temperature === 0;
  }

  get(key: string): CachedAnswer | undefined {
    const answer = this.lru.get(key);
    if (answer) this.hits++;
    else this.misses++;
    return answer;
  }

  /**
   * Stores a complete, successful answer (message_start … message_stop, no error event); anything
   * else is ignored. Returns whether it was stored (an answer over `maxBytes` is not).
   */
  set(key: string, events: readonly StreamEvent[]): boolean {
    if (uncacheableReason(events) !== undefined) return false;
    const kept = structuredClone(events.filter((e) => e.type !== 'ping'));
    const bytes = Buffer.byteLength(JSON.stringify(kept), 'utf8');
    const answer: CachedAnswer = deepFreeze({ events: kept, bytes, storedAt: this.now() });
    this.lru.set(key, answer);
    return this.lru.peek(key) === answer;
  }

  stats(): ResponseCacheStats {
    return { entries: this.lru.size, bytes: this.lru.calculatedSize, hits: this.hits, misses: this.misses };
  }

  clear(): void {
    this.lru.clear();
  }
}

/**
 * The cached events as a new answer: fresh copies, the message id replaced so each replay is a
 * distinct message. `model` replaces the echoed model name when the client asked under another
 * name that maps to the same upstream model. Tool-use ids and thinking signatures stay as they
 * were: the bridge's reasoning cache is keyed by those ids, and the signatures are its own.
 */
export function replayEvents(
  events: readonly StreamEvent[],
  newMessageId: string,
  model?: string,
): StreamEvent[] {
  const copy = structuredClone(events) as StreamEvent[];
  for (const event of copy) {
    if (event.type === 'message_start') {
      event.message.id = newMessageId;
      if (model !== undefined) event.message.model = model;
    }
  }
  return copy;
}
