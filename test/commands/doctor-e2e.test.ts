// Runs the built CLI (`node bin/run.js doctor`, built by `npm run build` / the pretest step) with a
// temporary HOME and config dirs, a fake llama-server on port 0 and the real bridge (startBridge with
// its demo upstream), and checks exit codes and the JSON report against its schema. How long doctor
// takes is measured by `npm run bench`, not asserted (a busy machine must not fail the suite).
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from '../../src/bridge/server.js';
import { CHECK_IDS } from '../../src/checks/registry.js';
import { doctorReportSchema } from '../../src/checks/types.js';
import { configSchema } from '../../src/config/schema.js';
import { type FakeUpstream, startFakeLlama } from '../support/fake-upstream/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'run.js');

let tmp: string;
let env: NodeJS.ProcessEnv;

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function doctor(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  return execa('node', [bin, 'doctor', ...args], {
    cwd: tmp,
    env: { ...env, ...extraEnv },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dsb-doctor-e2e-'));
  env = {
    PATH: process.env.PATH,
    HOME: tmp,
    USERPROFILE: tmp,
    CLAUDE_CONFIG_DIR: path.join(tmp, '.claude'),
    DSB_CONFIG_DIR: path.join(tmp, 'dsb-config'),
    XDG_CONFIG_HOME: path.join(tmp, '.config'),
    NO_COLOR: '1',
  };
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dsb doctor (built CLI)', () => {
  it('with no upstream running: exit 1, upstream checks fail with the launch command', async () => {
    const upstream = `http://127.0.0.1:${await closedPort()}`;
    const bridge = `http://127.0.0.1:${await closedPort()}`;
    const r = await doctor(['--upstream', upstream, '--bridge', bridge]);
    expect(r.exitCode, r.stderr).toBe(1);
    for (const title of ['Upstream speaks OpenAI', 'Upstream context window', 'Upstream tool calls']) {
      expect(r.stdout).toContain(`[✗] ${title} (nothing answers at ${upstream}: connection refused`);
    }
    const port = new URL(upstream).port;
    expect(r.stdout).toContain(
      `llama-server -m MODEL.gguf -c 65536 -np 1 --host 127.0.0.1 --port ${port} -ngl 999 --jinja --reasoning-format deepseek`,
    );
    expect(r.stdout).toMatch(/✗ Doctor found issues\./);
  });

  it('--json matches the schema and contains every check id', async () => {
    const r = await doctor([
      '--json',
      '--upstream',
      `http://127.0.0.1:${await closedPort()}`,
      '--bridge',
      `http://127.0.0.1:${await closedPort()}`,
    ]);
    expect(r.exitCode).toBe(1);
    const report = doctorReportSchema.parse(JSON.parse(r.stdout));
    expect(report.checks.map((c) => c.id)).toEqual(CHECK_IDS);
    expect(report.exitCode).toBe(1);
    expect(report.checks.find((c) => c.id === 'upstream-openai')).toMatchObject({
      status: 'fail',
      fix: { automatic: false },
    });
    expect(report.checks.find((c) => c.id === 'client-config')).toMatchObject({
      status: 'fail',
      fix: { automatic: true },
    });
  });

  describe('with a fake llama-server and dsb serve --demo running', () => {
    let llama: FakeUpstream;
    let bridge: { url: string; close(): Promise<unknown> };
    beforeAll(async () => {
      llama = await startFakeLlama({ nCtx: 65536, nCtxTrain: 163840, countsTokens: false });
      bridge = await startBridge({
        config: configSchema.parse({ server: { port: 0, host: '127.0.0.1' } }),
        demo: true,
        logger: { request() {}, info() {}, warn() {} },
      });
    });
    afterAll(async () => {
      await bridge?.close();
      await llama?.close();
    });

    it('the upstream checks and the bridge check pass', async () => {
      const r = await doctor(
        [
          '--json',
          '--upstream',
          llama.url,
          '--bridge',
          bridge.url,
          'upstream-openai',
          'upstream-context',
          'upstream-tools',
          'bridge',
        ],
        {
          ANTHROPIC_MODEL: 'deepseek',
          CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
        },
      );
      const report = doctorReportSchema.parse(JSON.parse(r.stdout));
      const status = Object.fromEntries(report.checks.map((c) => [c.id, `${c.status}: ${c.summary}`]));
      expect(status['upstream-openai']).toMatch(/^pass: llama\.cpp llama-server b10587/);
      expect(status['upstream-context']).toBe('pass: 64K (65536) tokens per request');
      expect(status['upstream-tools']).toMatch(/^pass: .* returns structured tool calls/);
      expect(status.bridge).toMatch(
        /^pass: answers at http:\/\/127\.0\.0\.1:\d+; a streamed \/v1\/messages went through/,
      );
      expect(r.exitCode).toBe(0);
      expect(llama.requests.map((r) => r.route)).toContain('POST /v1/chat/completions');
    });

    it('an 8K llama-server context fails upstream-context with the -c 65536 fix (text output)', async () => {
      const small = await startFakeLlama({ nCtx: 8192, nCtxTrain: 163840, countsTokens: false });
      try {
        const r = await doctor(['upstream-context', '--upstream', small.url]);
        expect(r.exitCode).toBe(1);
        expect(r.stdout).toContain('[✗] Upstream context window (8K (8192) tokens per request');
        expect(r.stdout).toContain(
          `llama-server -m models/tiny-random-F32.gguf -c 65536 -np 1 --host 127.0.0.1 --port ${new URL(small.url).port}`,
        );
      } finally {
        await small.close();
      }
    });
  });

  it('exit codes: 2 for usage errors (also with --json), 0 for --list-checks and a clean selection, 1 with --strict on a warning', async () => {
    const unknown = await doctor(['no-such-check']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown check id: no-such-check/);
    const badUrl = await doctor(['--json', '--upstream', 'not a url']);
    expect(badUrl.exitCode).toBe(2);
    expect((await doctor(['--fix', '--yes', '--dry-run', '--upstream', 'ftp://x'])).exitCode).toBe(2);

    const list = await doctor(['--list-checks', '--json']);
    expect(list.exitCode).toBe(0);
    expect(JSON.parse(list.stdout).checks.map((c: { id: string }) => c.id)).toEqual(CHECK_IDS);

    expect((await doctor(['proxy-env'])).exitCode).toBe(0);
    const warn = await doctor(['loopback', '--upstream', 'http://localhost:9']);
    expect(warn.stdout).toMatch(/\[!\] Loopback and ports/);
    expect(warn.exitCode).toBe(0);
    expect((await doctor(['loopback', '--strict', '--upstream', 'http://localhost:9'])).exitCode).toBe(1);
  });

  it('--fix --yes writes ~/.claude/settings.json and re-runs the check', async () => {
    const bridgeUrl = `http://127.0.0.1:${await closedPort()}`;
    const r = await doctor(['client-config', '--fix', '--yes', '--json', '--bridge', bridgeUrl]);
    const report = doctorReportSchema.parse(JSON.parse(r.stdout));
    const check = report.checks[0]!;
    expect(check.fixApplied).toMatchObject({ ok: true, previousStatus: 'fail', dryRun: false });
    // The base URL is fixed; with no upstream running, the window Claude Code should use is unknown.
    expect(check.status).toBe('warn');
    expect(check.summary).toMatch(/^Claude Code uses a 1M \(1000000\) window, not the upstream's:/);
    expect(r.exitCode).toBe(0);
    const { readFileSync } = await import('node:fs');
    const settings = JSON.parse(readFileSync(path.join(tmp, '.claude', 'settings.json'), 'utf8'));
    expect(settings.env.ANTHROPIC_BASE_URL).toBe(bridgeUrl);
  });
});
