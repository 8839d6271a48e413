// What /health says about an upstream's reachability comes from a cache, never from one upstream
// call per /health request (issue 13: 200 unauthenticated /health requests made 200 upstream
// calls carrying the API key). A reading older than `maxAgeMs` is refreshed in the background while
// the stale one is answered; concurrent readers share one refresh; only the very first reading of
// an upstream waits for it.

export interface HealthReading {
  /** The upstream's /v1/models answer, undefined when it did not answer (or not with JSON). */
  models: unknown;
  /** When the reading was taken (the injected clock's time). */
  at: number;
}

interface Entry<U> {
  reading: HealthReading | undefined;
  refreshing: Promise<HealthReading> | undefined;
  upstream: U;
}

export class UpstreamHealthCache<U> {
  private readonly entries = new Map<U, Entry<U>>();

  constructor(
    /** One reading of the upstream (GET /v1/models with a short timeout); never throws. */
    private readonly probe: (upstream: U) => Promise<unknown>,
    private readonly options: {
      maxAgeMs: number;
      now?: () => number;
      /** Told of every fresh reading (the router marks the upstream up or down). */
      onReading?: (upstream: U, reading: HealthReading) => void;
    },
  ) {}

  /** The latest reading: cached when fresh; stale (with a refresh started) when old; awaited only the first time. */
  async read(upstream: U): Promise<HealthReading> {
    const entry = this.entry(upstream);
    const now = (this.options.now ?? Date.now)();
    if (entry.reading && now - entry.reading.at < this.options.maxAgeMs) return entry.reading;
    const refresh = this.refresh(entry);
    return entry.reading ?? refresh;
  }

  private entry(upstream: U): Entry<U> {
    let entry = this.entries.get(upstream);
    if (!entry) {
      entry = { reading: undefined, refreshing: undefined, upstream };
      this.entries.set(upstream, entry);
    }
    return entry;
  }

  private refresh(entry: Entry<U>): Promise<HealthReading> {
    entry.refreshing ??= this.probe(entry.upstream)
      .catch(() => undefined)
      .then((models) => {
        const reading = { models, at: (this.options.now ?? Date.now)() };
        entry.reading = reading;
        entry.refreshing = undefined;
        this.options.onReading?.(entry.upstream, reading);
        return reading;
      });
    return entry.refreshing;
  }
}
