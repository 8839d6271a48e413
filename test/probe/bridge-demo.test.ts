// `dsb probe` against the real bridge (`startBridge`, demo upstream in-process, port 0): every
// scenario must pass, --long-context must report fit / refused, and --load / --compare-direct run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { type ProbeOptions, runProbe } from '../../src/probe/run.js';
import { defaultScenarios } from '../../src/probe/scenarios.js';

let bridge: RunningBridge;
let dir: string;
const options = (): ProbeOptions => ({
  url: bridge.url,
  model: 'claude-sonnet-4-5',
  maxTokens: 32_000,
  timeoutMs: 20_000,
});

beforeAll(async () => {
  bridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 } }),
    demo: true,
    logger: silentLogger,
  });
  dir = mkdtempSync(join(tmpdir(), 'dsb-probe-demo-'));
});
afterAll(async () => {
  await bridge?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pyFile = (name: string, lines: number) => {
  const path = join(dir, name);
  const body = Array.from({ length: lines }, (_, i) =>
    i % 5 === 0
      ? `def view_${i}(request, pk=${i}):`
      : `    context["item_${i}"] = load_item(pk, ${i})  # step ${i}`,
  );
  writeFileSync(path, `${body.join('\n')}\n`);
  return { path, content: readFileSync(path, 'utf8') };
};

describe('dsb probe against dsb serve --demo', () => {
  it('passes every built-in scenario, with no invariant violation', async () => {
    const report = await runProbe(options());
    const summary = report.scenarios.map((s) => ({
      id: s.id,
      status: s.status,
      problems: s.problems,
      violations: s.violations,
    }));
    expect(summary).toEqual(
      defaultScenarios().map((s) => ({ id: s.id, status: 'pass', problems: [], violations: [] })),
    );
    expect(report.ok).toBe(true);
  });

  it('--long-context: a 500-line file fits', async () => {
    const report = await runProbe({ ...options(), longContext: pyFile('big_file.py', 500) });
    const lc = report.longContext;
    expect(lc?.lines).toBe(500);
    expect(lc?.outcome === 'fit' || lc?.outcome === 'clamped').toBe(true);
    expect(lc?.status).not.toBe('fail');
    expect(lc?.promptTokens).toBeGreaterThan(1000);
    expect(lc?.contextSize).toBeGreaterThan(lc?.promptTokens ?? 0);
  });

  it('--long-context: a file larger than the context is refused with "prompt is too long", reported, not a crash', async () => {
    const report = await runProbe({ ...options(), longContext: pyFile('huge.py', 6000) });
    const lc = report.longContext;
    expect(lc?.outcome).toBe('refused');
    expect(lc?.status).toBe('pass');
    expect(lc?.refusal).toMatch(/^prompt is too long: \d+ tokens > \d+ maximum$/);
    expect(report.ok).toBe(true);
  });

  it('--load with --compare-direct prints both latency tables and the added latency', async () => {
    const report = await runProbe({
      ...options(),
      load: { requests: 20, concurrency: 4 },
      compareDirect: true,
    });
    expect(report.load?.status).toBe('pass');
    expect(report.load?.bridge.stats).toMatchObject({ requests: 20, failures: 0 });
    expect(report.load?.direct?.stats).toMatchObject({ requests: 20, failures: 0 });
    expect(report.load?.direct?.url).toBe(`${bridge.upstreams[0]}/v1/chat/completions`);
    expect(typeof report.load?.addedLatencyMs?.p50).toBe('number');
  });
});
