// Probe as a new user meets it: no bridge → one failure that says to start `dsb serve`, the rest
// not run; --long-context reports the count the bridge refused at; --load shows n/N progress on a
// terminal only.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { refusalCounts } from '../../src/probe/overflow.js';
import { renderProbeReport } from '../../src/probe/render.js';
import { runProbe } from '../../src/probe/run.js';
import type { ProbeReport } from '../../src/probe/types.js';
import { quoteSh } from '../../src/shell/quote.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RUN = join(ROOT, 'bin', 'run.js');
let bridge: RunningBridge;
let dir: string;
beforeAll(async () => {
  bridge = await startBridge({
    config: configSchema.parse({ server: { port: 0 } }),
    demo: true,
    logger: silentLogger,
  });
  dir = mkdtempSync(join(tmpdir(), 'dsb-probe-ux-'));
});
afterAll(async () => {
  await bridge?.close();
  rmSync(dir, { recursive: true, force: true });
});

const probeCli = (args: string[]) =>
  execa(process.execPath, [RUN, 'probe', ...args], {
    cwd: dir,
    reject: false,
    timeout: 60_000,
    env: { DSB_CONFIG_DIR: join(dir, 'config'), NO_COLOR: '1', DSB_AUTH_TOKEN: '' },
  });

describe('no bridge running', () => {
  it('one failure that says to start `dsb serve`, the other scenarios not run', async () => {
    const human = await probeCli(['--url', 'http://127.0.0.1:9']);
    expect(human.exitCode).toBe(1);
    expect(human.stdout.match(/dsb serve/g)).toHaveLength(1);
    expect(human.stdout.match(/connection refused/g)).toHaveLength(1);
    expect(human.stdout).toMatch(/- 10 checks not run: no bridge answers at http:\/\/127\.0\.0\.1:9/);
    expect(human.stdout).toMatch(/0 passed, 0 warned, 1 failed, 10 skipped/);
    const json = await probeCli(['--url', 'http://127.0.0.1:9', '--json']);
    const report = JSON.parse(json.stdout) as ProbeReport;
    expect(report.scenarios[0]).toMatchObject({ id: 'health', status: 'fail' });
    expect(new Set(report.scenarios.slice(1).map((s) => s.status))).toEqual(new Set(['skip']));
  });
});

describe('--long-context', () => {
  it('a refused file reports the count the bridge refused at', async () => {
    const path = join(dir, 'huge.py');
    const content = `${Array.from({ length: 6000 }, (_, i) => `    value_${i} = compute(${i})  # step ${i}`).join('\n')}\n`;
    writeFileSync(path, content);
    const report = await runProbe({
      url: bridge.url,
      model: 'claude-sonnet-4-5',
      maxTokens: 32_000,
      timeoutMs: 20_000,
      longContext: { path, content },
    });
    const lc = report.longContext!;
    expect(lc.outcome).toBe('refused');
    const refused = refusalCounts(lc.refusal!)!;
    expect(lc.promptTokens).toBe(refused.tokens);
    expect(lc.promptLimit).toBe(refused.limit);
    const text = renderProbeReport(report, { color: false });
    expect(text).toContain(`${refused.tokens} (`);
    expect(text).toContain(`of the ${refused.limit} the bridge allows for the prompt`);
    expect(lc.summary).toContain(`${refused.tokens} prompt tokens > ${refused.limit}`);
  });
});

describe('--load progress', () => {
  it('reports n/N as requests finish', async () => {
    const seen: string[] = [];
    await runProbe({
      url: bridge.url,
      model: 'claude-sonnet-4-5',
      maxTokens: 256,
      timeoutMs: 20_000,
      load: { requests: 6, concurrency: 2 },
      onLoadProgress: (done, total, target) => seen.push(`${target} ${done}/${total}`),
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6].map((n) => `bridge ${n}/6`));
  });

  it('the CLI shows no progress with --json or into a pipe', async () => {
    const json = await probeCli(['--url', bridge.url, '--load', '3', '--json']);
    expect(json.exitCode).toBe(0);
    expect(`${json.stdout}${json.stderr}`).not.toMatch(/\d\/3 requests/);
    JSON.parse(json.stdout);
    const piped = await probeCli(['--url', bridge.url, '--load', '3']);
    expect(`${piped.stdout}${piped.stderr}`).not.toMatch(/\d\/3 requests/);
  });

  const hasScript =
    process.platform === 'linux' && spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasScript)(
    'on a terminal it shows n/N',
    async () => {
      const cmd = [process.execPath, RUN, 'probe', '--url', bridge.url, '--load', '40', '--concurrency', '1']
        .map(quoteSh)
        .join(' ');
      // A pseudo-terminal with no size of its own: give it one, as a real terminal has.
      const child = spawn('script', ['-q', '-e', '-c', `stty cols 200 rows 50; ${cmd}`, '/dev/null'], {
        cwd: dir,
        env: {
          ...process.env,
          DSB_CONFIG_DIR: join(dir, 'config'),
          TERM: 'xterm-256color',
          COLUMNS: '200',
          LINES: '50',
          NO_COLOR: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let screen = '';
      child.stdout.on('data', (c) => {
        screen += String(c);
      });
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code, screen).toBe(0);
      expect(screen).toMatch(/\d+\/40 requests/);
    },
    120_000,
  );
});
