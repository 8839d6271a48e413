// DeepSeek rejects a tool-call turn sent back without its reasoning_content (HTTP 400 "Missing
// reasoning_content field in the assistant message at message index N"). Claude Code usually echoes
// thinking blocks, but may drop or redact them (compaction, context edits): the bridge keeps the
// real reasoning text of each answer that called tools, keyed by tool-use id (design.md §4.6).
import { LRUCache } from 'lru-cache';

export interface ReasoningCacheOptions {
  maxEntries?: number;
  maxBytes?: number;
}

export class ReasoningCache {
  private readonly cache: LRUCache<string, string>;
  hits = 0;
  misses = 0;

  constructor(options: ReasoningCacheOptions = {}) {
    this.cache = new LRUCache<string, string>({
      max: options.maxEntries ?? 4096,
      maxSize: options.maxBytes ?? 32 * 1024 * 1024,
      sizeCalculation: (value, key) => Math.max(1, (value.length + key.length) * 2),
    });
  }

  /** Remembers the reasoning that led to these tool calls. */
  remember(toolUseIds: readonly string[], reasoning: string): void {
    if (!reasoning) return;
    for (const id of toolUseIds) this.cache.set(id, reasoning);
  }

  /** The reasoning behind any of these tool calls (they come from one turn), or undefined. */
  recall(toolUseIds: readonly string[]): string | undefined {
    for (const id of toolUseIds) {
      const hit = this.cache.get(id);
      if (hit !== undefined) {
        this.hits++;
        return hit;
      }
    }
    this.misses++;
    return undefined;
  }

  get size(): number {
    return this.cache.size;
  }
}
