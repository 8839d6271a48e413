// Model routing and upstream choice (design.md §4.7): Claude Code's model names and tiers map to
// `{upstreams, model}`; among a route's upstreams the healthy one with the fewest requests in
// flight is chosen; a failed one is skipped (failover happens only before the first byte).
import type { DsbConfig, ModelRoute } from '../config/schema.js';
import { BridgeError } from './anthropic/errors.js';
import type { Upstream } from './upstream.js';

export interface Route {
  /** Upstream model id; undefined: the upstream's own (configured or discovered) model. */
  model: string | undefined;
  upstreams: Upstream[];
  /** How the route was chosen, for the log. */
  source: 'override' | 'exact' | 'tier' | 'default' | 'passthrough';
}

const TIERS = ['opus', 'sonnet', 'haiku', 'subagent'] as const;
/** How long an upstream that failed is passed over before it is tried again. */
const FAILURE_COOLDOWN_MS = 5_000;

export class Router {
  private readonly downUntil = new Map<Upstream, number>();

  constructor(
    private readonly models: DsbConfig['models'],
    readonly upstreams: Upstream[],
    private readonly now: () => number = Date.now,
  ) {
    for (const entry of Object.values(models)) {
      if (typeof entry === 'object' && entry.upstreams) {
        for (const name of entry.upstreams) {
          if (!upstreams.some((u) => u.name === name)) {
            throw new BridgeError(
              500,
              'api_error',
              `models: upstream "${name}" is not among the configured upstreams (${upstreams.map((u) => u.name).join(', ')})`,
              {},
              'CONFIG_INVALID',
            );
          }
        }
      }
    }
  }

  private toRoute(entry: ModelRoute, source: Route['source']): Route {
    if (typeof entry === 'string') return { model: entry, upstreams: this.upstreams, source };
    const upstreams = entry.upstreams
      ? this.upstreams.filter((u) => entry.upstreams!.includes(u.name))
      : this.upstreams;
    return { model: entry.model, upstreams, source };
  }

  /** The route for the model Claude Code asked for (or the `X-Model-Override` header). */
  resolve(asked: string, override?: string): Route {
    if (override) {
      const entry = this.models[override];
      return entry
        ? this.toRoute(entry, 'override')
        : { model: override, upstreams: this.upstreams, source: 'override' };
    }
    const exact = this.models[asked];
    if (exact) return this.toRoute(exact, 'exact');
    const lower = asked.toLowerCase();
    for (const tier of TIERS) {
      const entry = this.models[tier];
      if (entry && lower.includes(tier)) return this.toRoute(entry, 'tier');
    }
    const fallback = this.models.default;
    if (fallback) return this.toRoute(fallback, 'default');
    if (Object.keys(this.models).length === 0)
      return { model: undefined, upstreams: this.upstreams, source: 'passthrough' };
    throw new BridgeError(
      404,
      'not_found_error',
      `model ${asked} is not in dsb's model map (${Object.keys(this.models).join(', ')}) and there is no "default" entry`,
    );
  }

  isHealthy(upstream: Upstream): boolean {
    return (this.downUntil.get(upstream) ?? 0) <= this.now();
  }

  /** Least outstanding requests among healthy upstreams not yet tried; unhealthy ones as a last resort. */
  pick(route: Route, tried: ReadonlySet<Upstream>): Upstream | undefined {
    const candidates = route.upstreams.filter((u) => !tried.has(u));
    const healthy = candidates.filter((u) => this.isHealthy(u));
    const pool = healthy.length > 0 ? healthy : candidates;
    let best: Upstream | undefined;
    for (const u of pool) if (!best || u.outstanding < best.outstanding) best = u;
    return best;
  }

  markFailure(upstream: Upstream): void {
    this.downUntil.set(upstream, this.now() + FAILURE_COOLDOWN_MS);
  }

  markSuccess(upstream: Upstream): void {
    this.downUntil.delete(upstream);
  }
}
