// The admin documents without a socket (the upstream's /v1/models answer scripted).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { healthReport, modelList } from '../../../src/bridge/http/admin.js';
import { type TestState, testState } from '../../support/bridge-state.js';

let t: TestState | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('admin', () => {
  it('lists the mapped model names and each upstream model once, in Anthropic’s list shape', async () => {
    t = testState([{ url: 'http://127.0.0.1:1', model: 'ds-v4' }], {
      models: { opus: 'ds-v4', 'my-alias': 'ds-v4' },
    });
    const list = await modelList(t.state);
    expect((list.data as Array<{ id: string }>).map((m) => m.id)).toEqual(['opus', 'my-alias', 'ds-v4']);
    expect(list).toMatchObject({ has_more: false, first_id: 'opus', last_id: 'ds-v4' });
  });

  it("reports each upstream's reachability, context, outstanding requests and truncation warning", async () => {
    t = testState([
      { name: 'gpu', url: 'http://127.0.0.1:1', facts: { contextSize: 65_536, promptTokens: 1 } },
    ]);
    const u = t.state.upstreams[0]!;
    vi.spyOn(u, 'getJson').mockResolvedValue({ data: [{ id: 'served' }] });
    const release = u.acquire();
    t.runtime(u).truncationWarning = 'truncated';
    const report = await healthReport(t.state);
    release();
    expect(report).toMatchObject({
      status: 'ok',
      demo: false,
      upstreams: [
        {
          name: 'gpu',
          reachable: true,
          healthy: true,
          contextSize: 65_536,
          outstanding: 1,
          warnings: ['truncated'],
        },
      ],
    });
    // Within 2 s /health answers from its cache: a flood of /health requests is not a flood upstream.
    const probe = vi.spyOn(u, 'getJson').mockResolvedValue(undefined);
    probe.mockClear();
    expect((await healthReport(t.state)).status).toBe('ok');
    expect(probe).not.toHaveBeenCalled();
  });

  it('says degraded when no upstream answers', async () => {
    t = testState([
      { name: 'gpu', url: 'http://127.0.0.1:1', facts: { contextSize: 8192, promptTokens: 1 } },
    ]);
    vi.spyOn(t.state.upstreams[0]!, 'getJson').mockResolvedValue(undefined);
    expect(await healthReport(t.state)).toMatchObject({
      status: 'degraded',
      upstreams: [{ reachable: false, healthy: false }],
    });
  });
});
