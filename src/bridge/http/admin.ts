// The admin endpoints, answered without auth (they carry no secrets) and not logged unless they
// fail: GET /health, GET /metrics, HEAD|GET / and /api/hello (what Claude Code's VS Code extension
// and load balancers knock on); and GET /v1/models (behind auth, like the API).
import type http from 'node:http';
import { healthContextFields } from '../../upstreams/window-advice.js';
import { BRIDGE_VERSION } from '../version.js';
import { sendJson } from './io.js';
import { type BridgeState, runtimeOf } from './state.js';

/** HEAD or GET / and /api/hello: a liveness answer. */
export function handleHello(method: string, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(method === 'HEAD' ? undefined : JSON.stringify({ status: 'ok', service: 'dsb' }));
}

/** The /health document: every upstream (reachable as last checked, model, context), and the caches. */
export async function healthReport(state: BridgeState): Promise<Record<string, unknown>> {
  const { router } = state;
  const states = await Promise.all(
    state.upstreams.map(async (u) => {
      const runtime = runtimeOf(state, u);
      const [{ models }, facts] = await Promise.all([state.healthCache.read(u), runtime.facts()]);
      const reachable = models !== undefined;
      return {
        name: u.name,
        url: u.url,
        kind: runtime.kind() ?? u.config.kind,
        reachable,
        healthy: reachable && router.isHealthy(u),
        model:
          u.config.model ?? (models as { data?: Array<{ id?: string }> } | undefined)?.data?.[0]?.id ?? null,
        contextSize: facts.contextSize ?? null,
        contextSource: facts.contextSource,
        outstanding: u.outstanding,
        // Is this context enough for Claude Code, and why not (window-advice.ts).
        ...healthContextFields(facts, u.url, runtime.truncationWarning),
      };
    }),
  );
  return {
    status: states.some((s) => s.reachable) ? 'ok' : 'degraded',
    version: BRIDGE_VERSION,
    demo: state.demo,
    upstreams: states,
    reasoningCache: {
      entries: state.reasoningCache.size,
      hits: state.reasoningCache.hits,
      misses: state.reasoningCache.misses,
    },
  };
}

export async function handleHealth(state: BridgeState, res: http.ServerResponse): Promise<void> {
  sendJson(res, 200, await healthReport(state));
}

export async function handleMetrics(state: BridgeState, res: http.ServerResponse): Promise<void> {
  for (const u of state.upstreams)
    state.metrics.setUpstreamHealth(u.name, state.router.isHealthy(u), u.outstanding);
  const rendered = await state.metrics.render();
  res.writeHead(200, { 'content-type': rendered.contentType });
  res.end(rendered.body);
}

/** GET /v1/models: the mapped model names and each upstream's own, in Anthropic's list shape. */
export async function modelList(
  state: Pick<BridgeState, 'config' | 'upstreams'>,
): Promise<Record<string, unknown>> {
  const ids = new Set<string>(Object.keys(state.config.models));
  for (const u of state.upstreams) {
    const id = await u.model();
    if (id) ids.add(id);
  }
  const created = new Date(0).toISOString();
  const data = [...ids].map((id) => ({ type: 'model', id, display_name: id, created_at: created }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

export async function handleModels(state: BridgeState, res: http.ServerResponse): Promise<void> {
  sendJson(res, 200, await modelList(state));
}
