// Issue #14's scenarios of test/e2e/claude-window.test.ts against the REAL llama-server at -c 65536
// (DSB_LLAMA_SERVER_DIR) behind the bridge: the real Claude Code CLI's `claude -p "/context"`
// reports 65.5k after `dsb init`, and after `dsb doctor --fix` from settings that gave it 1m.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_JS } from '../init/cli.js';
import { claudeAvailable } from '../support/claude-cli.js';
import {
  claudeContextWindow,
  doctorFix,
  dsbInit,
  startWindowScenario,
  type WindowScenario,
  writeOldReadmeSettings,
} from '../support/claude-window-scenario.js';
import { SKIP_REASON, startRealLlama } from '../support/real-llama.js';

const built = existsSync(path.join(path.dirname(RUN_JS), '..', 'dist', 'commands', 'doctor.js'));
const skip =
  SKIP_REASON ??
  (!claudeAvailable()
    ? 'skipped: node_modules/.bin/claude is missing'
    : built
      ? undefined
      : 'skipped: dist/ is missing (npm run build)');
if (skip) console.info(`claude-window-real.test: ${skip}`);

const TIMEOUT_MS = 240_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function scenario(): Promise<{ s: WindowScenario; upstreamUrl: string }> {
  const llama = await startRealLlama(['-c', '65536', '--alias', 'deepseek-v4-flash']);
  cleanups.push(() => llama.stop());
  const s = await startWindowScenario(llama.url);
  cleanups.push(() => s.close());
  return { s, upstreamUrl: llama.url };
}

describe.skipIf(Boolean(skip))("real llama-server -c 65536: Claude Code's /context reports 65.5k", () => {
  it(
    'after dsb init',
    async () => {
      const { s, upstreamUrl } = await scenario();
      const init = await dsbInit(s, upstreamUrl, 65536);
      expect(init.exitCode, String(init.stderr)).toBe(0);
      const ctx = await claudeContextWindow(s);
      expect(ctx.line, ctx.run.describe()).toMatch(/ \/ 65\.5k /);
    },
    TIMEOUT_MS,
  );

  it(
    'after dsb doctor --fix (the doctor asks Claude Code before and after)',
    async () => {
      const { s, upstreamUrl } = await scenario();
      await writeOldReadmeSettings(s, 65536);
      expect((await claudeContextWindow(s)).line).toMatch(/ \/ 1m /);
      const report = await doctorFix(s, upstreamUrl);
      const check = report.checks.find((c) => c.id === 'client-context');
      expect(check, JSON.stringify(report.checks)).toMatchObject({
        status: 'pass',
        fixApplied: { ok: true, previousStatus: 'warn' },
      });
      expect((await claudeContextWindow(s)).line).toMatch(/ \/ 65\.5k /);
    },
    TIMEOUT_MS,
  );
});
