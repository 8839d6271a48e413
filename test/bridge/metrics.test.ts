import { describe, expect, it } from 'vitest';
import { BridgeMetrics, REQUEST_DURATION_BUCKETS, TTFT_BUCKETS } from '../../src/bridge/metrics.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition: samples, and the TYPE of each metric family. */
function parseExposition(body: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

async function scrape(metrics: BridgeMetrics) {
  const { contentType, body } = await metrics.render();
  const parsed = parseExposition(body);
  const value = (name: string, labels: Record<string, string> = {}) => {
    const found = parsed.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
    if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
    return found[0]!.value;
  };
  return { contentType, body, ...parsed, value };
}

describe('BridgeMetrics', () => {
  it('serves the Prometheus text format with every bridge metric typed', async () => {
    const s = await scrape(new BridgeMetrics());
    expect(s.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(
      Object.fromEntries(
        [...s.types].filter(([name]) => !name.startsWith('dsb_process') && !name.startsWith('dsb_nodejs')),
      ),
    ).toEqual({
      dsb_requests_total: 'counter',
      dsb_requests_in_flight: 'gauge',
      dsb_request_duration_seconds: 'histogram',
      dsb_time_to_first_token_seconds: 'histogram',
      dsb_tokens_total: 'counter',
      dsb_prompt_tokens_total: 'counter',
      dsb_prompt_cached_tokens_total: 'counter',
      dsb_prompt_cache_hit_ratio: 'gauge',
      dsb_upstream_requests_total: 'counter',
      dsb_active_streams: 'gauge',
      dsb_upstream_up: 'gauge',
      dsb_upstream_outstanding_requests: 'gauge',
    });
    // Before any traffic the gauges and token counters already read 0.
    expect(s.value('dsb_active_streams')).toBe(0);
    expect(s.value('dsb_tokens_total', { direction: 'input' })).toBe(0);
    expect(s.value('dsb_tokens_total', { direction: 'output' })).toBe(0);
  });

  it('includes the process metrics under the dsb_ prefix', async () => {
    const s = await scrape(new BridgeMetrics());
    expect(s.types.get('dsb_process_cpu_user_seconds_total')).toBe('counter');
    expect(
      s.types.get('dsb_process_resident_memory_bytes') ?? s.types.get('dsb_nodejs_heap_size_total_bytes'),
    ).toBe('gauge');
    expect(s.value('dsb_process_start_time_seconds')).toBeGreaterThan(1_600_000_000);
    expect(s.types.has('dsb_nodejs_eventloop_lag_seconds')).toBe(true);
    const without = await scrape(new BridgeMetrics({ processMetrics: false }));
    expect([...without.types.keys()].some((n) => n.startsWith('dsb_process_'))).toBe(false);
  });

  it('counts requests by route and status, with durations, first-token times and tokens', async () => {
    const m = new BridgeMetrics();
    m.requestStarted('/v1/messages');
    m.requestStarted('/v1/messages');
    m.requestStarted('/v1/messages/count_tokens');
    let s = await scrape(m);
    expect(s.value('dsb_requests_in_flight', { route: '/v1/messages' })).toBe(2);

    m.requestFinished({
      route: '/v1/messages',
      status: 200,
      durationMs: 1500,
      ttftMs: 300,
      inputTokens: 12000,
      outputTokens: 250,
      model: 'deepseek-v3',
      upstream: 'local',
    });
    m.requestFinished({ route: '/v1/messages', status: 400, durationMs: 20 });
    m.requestFinished({ route: '/v1/messages/count_tokens', status: 200, durationMs: 40, inputTokens: 999 });
    s = await scrape(m);
    expect(s.value('dsb_requests_in_flight', { route: '/v1/messages' })).toBe(0);
    expect(s.value('dsb_requests_total', { route: '/v1/messages', status: '200' })).toBe(1);
    expect(s.value('dsb_requests_total', { route: '/v1/messages', status: '400' })).toBe(1);
    expect(s.value('dsb_requests_total', { route: '/v1/messages/count_tokens', status: '200' })).toBe(1);

    expect(s.value('dsb_request_duration_seconds_count', { route: '/v1/messages' })).toBe(2);
    expect(s.value('dsb_request_duration_seconds_sum', { route: '/v1/messages' })).toBeCloseTo(1.52, 6);
    expect(s.value('dsb_request_duration_seconds_bucket', { route: '/v1/messages', le: '0.05' })).toBe(1);
    expect(s.value('dsb_request_duration_seconds_bucket', { route: '/v1/messages', le: '1' })).toBe(1);
    expect(s.value('dsb_request_duration_seconds_bucket', { route: '/v1/messages', le: '2.5' })).toBe(2);
    expect(s.value('dsb_request_duration_seconds_bucket', { route: '/v1/messages', le: '600' })).toBe(2);

    expect(s.value('dsb_time_to_first_token_seconds_count')).toBe(1);
    expect(s.value('dsb_time_to_first_token_seconds_sum')).toBeCloseTo(0.3, 6);
    expect(s.value('dsb_time_to_first_token_seconds_bucket', { le: '0.25' })).toBe(0);
    expect(s.value('dsb_time_to_first_token_seconds_bucket', { le: '0.5' })).toBe(1);

    expect(s.value('dsb_tokens_total', { direction: 'input' })).toBe(12999);
    expect(s.value('dsb_tokens_total', { direction: 'output' })).toBe(250);
    expect(
      s.value('dsb_upstream_requests_total', { upstream: 'local', model: 'deepseek-v3', status: '200' }),
    ).toBe(1);
  });

  it('uses buckets that span LLM latencies', async () => {
    expect(REQUEST_DURATION_BUCKETS[0]).toBe(0.05);
    expect(REQUEST_DURATION_BUCKETS.at(-1)).toBe(600);
    expect(TTFT_BUCKETS[0]).toBe(0.01);
    expect(TTFT_BUCKETS.at(-1)).toBe(120);
    const m = new BridgeMetrics({ processMetrics: false });
    m.requestFinished({ route: '/v1/messages', status: 200, durationMs: 400_000, ttftMs: 90_000 });
    const s = await scrape(m);
    const les = s.samples
      .filter((x) => x.name === 'dsb_request_duration_seconds_bucket')
      .map((x) => x.labels.le);
    expect(les).toEqual([...REQUEST_DURATION_BUCKETS.map(String), '+Inf']);
    expect(s.value('dsb_request_duration_seconds_bucket', { le: '300' })).toBe(0);
    expect(s.value('dsb_request_duration_seconds_bucket', { le: '600' })).toBe(1);
    expect(s.value('dsb_time_to_first_token_seconds_bucket', { le: '60' })).toBe(0);
    expect(s.value('dsb_time_to_first_token_seconds_bucket', { le: '120' })).toBe(1);
  });

  it('ignores negative or missing numbers instead of corrupting counters', async () => {
    const m = new BridgeMetrics({ processMetrics: false });
    m.requestFinished({
      route: '/v1/messages',
      status: 200,
      durationMs: Number.NaN,
      ttftMs: -5,
      inputTokens: -1,
      outputTokens: Number.POSITIVE_INFINITY,
    });
    const s = await scrape(m);
    expect(s.value('dsb_requests_total', { route: '/v1/messages', status: '200' })).toBe(1);
    expect(s.value('dsb_tokens_total', { direction: 'input' })).toBe(0);
    expect(s.value('dsb_tokens_total', { direction: 'output' })).toBe(0);
    expect(s.value('dsb_time_to_first_token_seconds_count')).toBe(0);
  });

  it('tracks open streams', async () => {
    const m = new BridgeMetrics({ processMetrics: false });
    m.streamOpened();
    m.streamOpened();
    m.streamOpened();
    m.streamClosed();
    expect((await scrape(m)).value('dsb_active_streams')).toBe(2);
    expect(m.openStreams).toBe(2);
  });

  it('reports each upstream’s health and outstanding requests, latest value wins', async () => {
    const m = new BridgeMetrics({ processMetrics: false });
    m.setUpstreamHealth('gpu-a', true, 3);
    m.setUpstreamHealth('gpu-b', false, 0);
    m.setUpstreamHealth('gpu-a', true, 1);
    const s = await scrape(m);
    expect(s.value('dsb_upstream_up', { upstream: 'gpu-a' })).toBe(1);
    expect(s.value('dsb_upstream_up', { upstream: 'gpu-b' })).toBe(0);
    expect(s.value('dsb_upstream_outstanding_requests', { upstream: 'gpu-a' })).toBe(1);
    expect(s.value('dsb_upstream_outstanding_requests', { upstream: 'gpu-b' })).toBe(0);
  });

  it('keeps label values few: past the cap, new routes read "other"', async () => {
    const m = new BridgeMetrics({ processMetrics: false });
    for (let i = 0; i < 100; i++) m.requestFinished({ route: `/random/${i}`, status: 404, durationMs: 1 });
    const s = await scrape(m);
    const routes = new Set(
      s.samples.filter((x) => x.name === 'dsb_requests_total').map((x) => x.labels.route),
    );
    expect(routes.size).toBeLessThanOrEqual(33);
    expect(s.value('dsb_requests_total', { route: 'other', status: '404' })).toBe(100 - 32);
  });

  it('keeps each bridge’s numbers apart', async () => {
    const a = new BridgeMetrics();
    const b = new BridgeMetrics();
    a.requestFinished({ route: '/v1/messages', status: 200, durationMs: 10 });
    a.streamOpened();
    const sa = await scrape(a);
    const sb = await scrape(b);
    expect(sa.value('dsb_requests_total', { route: '/v1/messages', status: '200' })).toBe(1);
    expect(sb.samples.some((x) => x.name === 'dsb_requests_total')).toBe(false);
    expect(sb.value('dsb_active_streams')).toBe(0);
    // Both still carry the (shared) process metrics.
    expect(sb.types.get('dsb_process_cpu_user_seconds_total')).toBe('counter');
  });
});
