// The client-context check asks Claude Code itself (`claude -p "/context"`) through the check
// context. Here the command is scripted: any other command, or the same one with other arguments
// or environment, throws and fails the test. The real CLI runs in test/e2e/claude-window.test.ts.
import { describe, expect, it } from 'vitest';
import { claudeContextArgs, clientContextCheck } from '../../src/checks/client-context.js';
import { applyFixes } from '../../src/checks/doctor.js';
import type { CheckContext, CheckResult } from '../../src/checks/types.js';
import type { ExecOptions, ExecResult } from '../../src/system/context.js';
import {
  type FakeSystem,
  fakeContext,
  fakeSystem,
  llamaWithContext,
  nothingListensAt,
} from './fake-system.js';

const BRIDGE = 'http://127.0.0.1:3000';
const SETTINGS = '/home/dev/.claude/settings.json';

/** What Claude Code 2.1.331 prints for /context (recorded), with the window in place. */
function contextOutput(window: string, model = 'claude-opus-5-5'): string {
  return `## Context Usage\n\n**Model:** ${model}  \n**Tokens:** 12.9k / ${window} (1%)\n\n### Estimated usage by category\n\n| Category | Tokens | Percentage |\n|----------|--------|------------|\n| System prompt | 2.3k | 0.2% |\n`;
}

interface Scripted {
  calls: Array<{ args: string[]; options: ExecOptions | undefined }>;
}

/**
 * Replaces the fake's exec: only `claude` with exactly the check's arguments is answered (by
 * `answer`, from the settings file as it is now); anything else throws.
 */
function scriptClaude(
  system: FakeSystem,
  answer: (settings: string | undefined) => Partial<ExecResult>,
): Scripted {
  const scripted: Scripted = { calls: [] };
  system.exec = async (file, args, options) => {
    const expected = claudeContextArgs(BRIDGE);
    if (file !== 'claude' || JSON.stringify(args) !== JSON.stringify(expected))
      throw new Error(`unscripted command: ${file} ${args.join(' ')}`);
    scripted.calls.push({ args, options });
    const settings = system.written[SETTINGS] ?? (await system.readFile(SETTINGS));
    return { exitCode: 0, stdout: '', stderr: '', notFound: false, timedOut: false, ...answer(settings) };
  };
  return scripted;
}

/** Claude Code's answer, following its rules on the settings file (as the real CLI would). */
function realisticAnswer(settings: string | undefined): Partial<ExecResult> {
  const env = settings ? (JSON.parse(settings).env ?? {}) : {};
  if (env.ANTHROPIC_MODEL && env.CLAUDE_CODE_MAX_CONTEXT_TOKENS === '65536')
    return { stdout: contextOutput('65.5k', env.ANTHROPIC_MODEL) };
  return { stdout: contextOutput('1m') };
}

function context(system: FakeSystem): CheckContext {
  return fakeContext(system, { bridgeUrl: BRIDGE });
}

describe('client-context', () => {
  it("runs the user's claude with their environment, pointed at the bridge, and nothing else", async () => {
    const system = fakeSystem({ http: llamaWithContext(65536), env: { HOME: '/home/dev', FOO: 'bar' } });
    const scripted = scriptClaude(system, realisticAnswer);
    const r = await clientContextCheck.run(context(system), new Map());
    expect(scripted.calls).toHaveLength(1);
    const { options } = scripted.calls[0]!;
    expect(options?.extendEnv).toBe(false);
    expect(options?.env).toEqual({
      HOME: '/home/dev',
      FOO: 'bar',
      ANTHROPIC_BASE_URL: BRIDGE,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    });
    expect(options?.cwd).toBe('/work/app');
    const settingsArg = JSON.parse(scripted.calls[0]!.args.at(-1)!);
    expect(settingsArg).toEqual({
      env: { ANTHROPIC_BASE_URL: BRIDGE, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
    });
    expect(r.status).toBe('warn');
    expect(r.summary).toBe(
      'Claude Code reports a 1M (1000000) window, the upstream has 64K (65536) per request: it will not compact before requests overflow',
    );
    expect(r.details).toContain('claude -p "/context": **Tokens:** 12.9k / 1m (1%) (model claude-opus-5-5)');
  });

  it("passes when the reported window is the upstream's (within /context's rounding)", async () => {
    const system = fakeSystem({
      http: llamaWithContext(65536),
      files: {
        [SETTINGS]: JSON.stringify({
          env: { ANTHROPIC_MODEL: 'deepseek', CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536' },
        }),
      },
    });
    scriptClaude(system, realisticAnswer);
    const r = await clientContextCheck.run(context(system), new Map());
    expect(r).toMatchObject({
      status: 'pass',
      summary: "Claude Code reports the upstream's 64K (65536) window",
      data: { reportedWindow: 65_500, upstreamWindow: 65_536, reportedModel: 'deepseek' },
    });
  });

  it('--fix writes the settings and re-runs claude, which then reports the upstream window', async () => {
    const system = fakeSystem({ http: llamaWithContext(65536) });
    const scripted = scriptClaude(system, realisticAnswer);
    const ctx = context(system);
    const outcome = await clientContextCheck.run(ctx, new Map());
    const before: CheckResult = {
      id: clientContextCheck.id,
      title: clientContextCheck.title,
      required: false,
      status: outcome.status,
      summary: outcome.summary,
      details: outcome.details ?? [],
      data: outcome.data ?? {},
      fix: outcome.fix,
      durationMs: 0,
    };
    const [after] = await applyFixes([clientContextCheck], [before], ctx, { yes: true, dryRun: false });
    expect(scripted.calls).toHaveLength(2);
    expect(after).toMatchObject({
      status: 'pass',
      fixApplied: { ok: true, previousStatus: 'warn' },
      details: ['claude -p "/context": **Tokens:** 12.9k / 65.5k (1%) (model tiny-random-F32)'],
    });
    expect(JSON.parse(system.written[SETTINGS]!).env.CLAUDE_CODE_MAX_CONTEXT_TOKENS).toBe('65536');
  });

  it('skips without running anything when the upstream context is unknown or claude is not installed', async () => {
    const noUpstream = fakeSystem({ http: nothingListensAt('http://127.0.0.1:8080') });
    noUpstream.exec = async (file, args) => {
      throw new Error(`unscripted command: ${file} ${args.join(' ')}`);
    };
    expect(await clientContextCheck.run(context(noUpstream), new Map())).toMatchObject({ status: 'skip' });

    const noClaude = fakeSystem({ http: llamaWithContext(65536) });
    scriptClaude(noClaude, () => ({ notFound: true, exitCode: null }));
    expect(await clientContextCheck.run(context(noClaude), new Map())).toMatchObject({
      status: 'skip',
      summary: 'the claude CLI is not on PATH: nothing to ask',
    });
  });

  it('a failing or silent claude is a warning with what it said', async () => {
    const system = fakeSystem({ http: llamaWithContext(65536) });
    scriptClaude(system, () => ({ exitCode: 1, stderr: 'Error: settings.json is not valid JSON\n' }));
    const r = await clientContextCheck.run(context(system), new Map());
    expect(r).toMatchObject({
      status: 'warn',
      summary:
        'claude -p "/context" did not report a window (exit 1: Error: settings.json is not valid JSON)',
    });
    scriptClaude(system, () => ({ exitCode: null, timedOut: true }));
    expect((await clientContextCheck.run(context(system), new Map())).summary).toMatch(
      /timed out after 45 s/,
    );
  });

  it('passes on the claude warning about an unknown model to the report', async () => {
    const system = fakeSystem({ http: llamaWithContext(65536) });
    const warning =
      'Claude Code doesn\'t recognize the model "deepseek", so it assumes a context window of 1m tokens.';
    scriptClaude(system, () => ({ stdout: `${warning}\n${contextOutput('1m', 'deepseek')}` }));
    const r = await clientContextCheck.run(context(system), new Map());
    expect(r.details).toContain(warning);
  });
});
