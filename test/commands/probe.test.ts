// The built CLI (`node bin/run.js probe`, as users run it) against the real bridge with its demo
// upstream and against a broken fake bridge: --json, the human table, exit codes 0 / 1 / 2.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { defaultScenarios } from '../../src/probe/scenarios.js';
import type { ProbeReport } from '../../src/probe/types.js';
import { type FakeBridge, startFakeBridge } from '../support/broken-bridges.js';

const ROOT = join(import.meta.dirname, '..', '..');
let demo: RunningBridge;
let guarded: RunningBridge;
let broken: FakeBridge;
let dir: string;

/** Runs the built CLI in an empty folder with an empty user config dir, so no real config leaks in. */
const dsb = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [join(ROOT, 'bin', 'run.js'), 'probe', ...args], {
    cwd: dir,
    reject: false,
    timeout: 60_000,
    env: { DSB_CONFIG_DIR: join(dir, 'config'), NO_COLOR: '1', DSB_AUTH_TOKEN: '', ...env },
  });

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'commands', 'probe.js'))) {
    throw new Error('dist/commands/probe.js is missing: run `npm run build` first (npm test does it)');
  }
  dir = mkdtempSync(join(tmpdir(), 'dsb-probe-cli-'));
  demo = await startBridge({
    config: configSchema.parse({ server: { port: 0 } }),
    demo: true,
    logger: silentLogger,
  });
  guarded = await startBridge({
    config: configSchema.parse({ server: { port: 0, authToken: 'probe-token-123' } }),
    demo: true,
    logger: silentLogger,
  });
  broken = await startFakeBridge({ defect: 'no-event-lines' });
});
afterAll(async () => {
  await Promise.all([demo?.close(), guarded?.close(), broken?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('dsb probe (built CLI)', () => {
  it('--json against dsb serve --demo: every scenario passes, exit 0', async () => {
    const r = await dsb(['--url', demo.url, '--json']);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as ProbeReport;
    expect(report.ok).toBe(true);
    expect(report.scenarios.map((s) => [s.id, s.status])).toEqual(
      defaultScenarios().map((s) => [s.id, 'pass']),
    );
  });

  it('prints a table for people, without colour when not a TTY', async () => {
    const r = await dsb(['--url', demo.url, '--scenario', 'text-stream', '--scenario', 'tool-call']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /scenario\s+result\s+TTFT\s+ITL p50 \/ p99\s+out tok\/s\s+prompt tok\/s\s+total/,
    );
    expect(r.stdout).toMatch(/text-stream\s+✓ pass/);
    expect(r.stdout).toMatch(/2 passed, 0 warned, 0 failed/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('a broken bridge: exit 1, naming the invariant and the event index', async () => {
    const json = await dsb(['--url', broken.url, '--scenario', 'text-stream', '--json']);
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout) as ProbeReport;
    expect(report.scenarios[0]?.violations[0]).toMatchObject({
      invariant: 'event-line-matches-type',
      index: 0,
    });
    const human = await dsb(['--url', broken.url, '--scenario', 'text-stream']);
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toMatch(/text-stream\s+✗ FAIL/);
    expect(human.stdout).toContain(
      'event-line-matches-type at event #0: frame of type "message_start" has no "event:" line',
    );
  });

  it('--long-context: a 500-line file fits, a file larger than the context is refused (exit 0 both)', async () => {
    const big = join(dir, 'big_file.py');
    writeFileSync(
      big,
      Array.from({ length: 500 }, (_, i) => `x_${i} = compute(${i})  # line ${i}`).join('\n'),
    );
    const fit = await dsb(['--url', demo.url, '--long-context', big]);
    expect(fit.exitCode).toBe(0);
    expect(fit.stdout).toMatch(/Long context: .*big_file\.py \(500 lines/);
    expect(fit.stdout).toMatch(/outcome\s+fit/);
    const huge = join(dir, 'huge.py');
    writeFileSync(
      huge,
      Array.from({ length: 8000 }, (_, i) => `value_${i} = transform(value_${i - 1}, ${i})`).join('\n'),
    );
    const refused = await dsb(['--url', demo.url, '--long-context', huge, '--json']);
    expect(refused.exitCode).toBe(0);
    const lc = (JSON.parse(refused.stdout) as ProbeReport).longContext;
    expect(lc?.outcome).toBe('refused');
    expect(lc?.refusal).toMatch(/^prompt is too long: \d+ tokens > \d+ maximum$/);
  });

  it('--load with --compare-direct prints the latency table and what the bridge adds', async () => {
    const r = await dsb(['--url', demo.url, '--load', '20', '--concurrency', '4', '--compare-direct']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Load: 20 streamed requests, 4 at a time/);
    expect(r.stdout).toMatch(/p50\s+p90\s+p99\s+mean\s+TTFT p50\s+failed\s+req\/s/);
    expect(r.stdout).toMatch(/bridge\s+\S+ ms/);
    expect(r.stdout).toMatch(/upstream \(direct\)\s+\S+ ms/);
    expect(r.stdout).toMatch(/bridge adds\s+[+-]\d/);
  });

  it('takes the URL from the dsb config and the token from DSB_AUTH_TOKEN', async () => {
    const port = String(new URL(guarded.url).port);
    const denied = await dsb(['--scenario', 'text-stream', '--json'], { DSB_PORT: port });
    expect(denied.exitCode).toBe(1);
    expect(JSON.parse(denied.stdout).scenarios[0].problems[0]).toMatch(/^HTTP 401/);
    const allowed = await dsb(['--scenario', 'text-stream', '--json'], {
      DSB_PORT: port,
      DSB_AUTH_TOKEN: 'probe-token-123',
    });
    expect(allowed.exitCode).toBe(0);
    expect(JSON.parse(allowed.stdout).url).toBe(`http://127.0.0.1:${port}`);
  });

  it('usage errors exit 2 with a clear message', async () => {
    const unknown = await dsb(['--scenario', 'nope']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/Expected --scenario=nope to be one of/);
    const missing = await dsb(['--url', demo.url, '--long-context', join(dir, 'absent.py')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('absent.py: no such file');
    const badUrl = await dsb(['--url', 'not a url']);
    expect(badUrl.exitCode).toBe(2);
    expect(badUrl.stderr).toContain('is not a URL');
    const noLoad = await dsb(['--url', demo.url, '--compare-direct']);
    expect(noLoad.exitCode).toBe(2);
  });

  it('a bridge that is not running: exit 1 and says how to start it', async () => {
    const r = await dsb(['--url', 'http://127.0.0.1:9', '--scenario', 'health']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/connection refused .*dsb serve/);
  });
});
