// Issue #14 with the REAL Claude Code CLI: `claude -p "/context"` (which counts locally and prints
// `**Tokens:** 12.8k / 65.5k (20%)`) reports the upstream's per-request window after `dsb init`,
// and after `dsb doctor --fix` starting from settings that gave it 1M. The upstream here is the
// recorded fake llama-server at -c 65536; test/real/claude-window-real.test.ts runs the same
// scenarios against the real llama-server.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reportedWindowIs } from '../../src/checks/claude-window.js';
import { RUN_JS } from '../init/cli.js';
import { claudeAvailable } from '../support/claude-cli.js';
import {
  claudeContextWindow,
  doctorFix,
  dsbInit,
  settingsEnv,
  startWindowScenario,
  type WindowScenario,
  writeOldReadmeSettings,
} from '../support/claude-window-scenario.js';
import { startFakeLlama } from '../support/fake-upstream/index.js';

const built = existsSync(path.join(path.dirname(RUN_JS), '..', 'dist', 'commands', 'doctor.js'));
const skip = !claudeAvailable()
  ? 'skipped: node_modules/.bin/claude is missing'
  : !built
    ? 'skipped: dist/ is missing (npm run build; npm test builds it)'
    : undefined;
if (skip) console.info(`claude-window.test: ${skip}`);

const TIMEOUT_MS = 240_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function scenario(): Promise<{ s: WindowScenario; upstreamUrl: string }> {
  const llama = await startFakeLlama({ nCtx: 65536, nCtxTrain: 163840, countsTokens: false });
  cleanups.push(() => llama.close());
  const s = await startWindowScenario(llama.url);
  cleanups.push(() => s.close());
  return { s, upstreamUrl: llama.url };
}

describe.skipIf(Boolean(skip))(
  "Claude Code's own /context reports the upstream window (fake llama-server, -c 65536)",
  () => {
    it(
      'after dsb init',
      async () => {
        const { s, upstreamUrl } = await scenario();
        const init = await dsbInit(s, upstreamUrl, 65536);
        expect(init.exitCode, String(init.stderr)).toBe(0);
        const ctx = await claudeContextWindow(s);
        expect(ctx.run.exitCode, ctx.run.describe()).toBe(0);
        expect(ctx.line).toMatch(/^\*\*Tokens:\*\* [\d.]+k \/ 65\.5k \(\d+%\)$/);
        expect(reportedWindowIs(ctx.report!, 65536)).toBe(true);
      },
      TIMEOUT_MS,
    );

    it(
      'after dsb doctor --fix, from the settings that gave it 1M; the doctor itself re-asks Claude Code',
      async () => {
        const { s, upstreamUrl } = await scenario();
        await writeOldReadmeSettings(s, 65536);
        const before = await claudeContextWindow(s);
        expect(before.line, before.run.describe()).toMatch(/ \/ 1m /);

        const report = await doctorFix(s, upstreamUrl);
        const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
        expect(byId['upstream-context']).toMatchObject({
          status: 'pass',
          fixApplied: { ok: true, previousStatus: 'warn' },
        });
        // client-context ran the real claude before the fix (1m) and again after it (65.5k).
        expect(byId['client-context'], JSON.stringify(byId['client-context'])).toMatchObject({
          status: 'pass',
          summary: "Claude Code reports the upstream's 64K (65536) window",
          fixApplied: { ok: true, previousStatus: 'warn' },
        });
        expect(byId['client-context']!.details[0]).toMatch(/ \/ 65\.5k /);
        expect(await settingsEnv(s)).toMatchObject({
          ANTHROPIC_MODEL: 'tiny-random-F32',
          ANTHROPIC_DEFAULT_OPUS_MODEL: 'tiny-random-F32',
          CLAUDE_CODE_SUBAGENT_MODEL: 'tiny-random-F32',
          CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
          ANTHROPIC_BASE_URL: s.bridgeUrl,
        });

        const after = await claudeContextWindow(s);
        expect(after.line, after.run.describe()).toMatch(/ \/ 65\.5k /);
      },
      TIMEOUT_MS,
    );
  },
);
