// The real Claude Code CLI → `dsb serve` (the built CLI, its own process) → the REAL llama-server
// at a 64K context. The model is a tiny random one, so the answer is gibberish; what counts is that
// Claude Code's real first turn (~14K tokens, its tools and system prompt) goes through the bridge,
// is prefilled and answered by the real server, and Claude Code accepts the answer.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, RUN_JS } from '../init/cli.js';
import { claudeAvailable, createClaudeSandbox, runClaude } from '../support/claude-cli.js';
import { type RealLlama, SKIP_REASON, startRealLlama, stopPid } from '../support/real-llama.js';
import { type RecordingProxy, serverFigures, startRecordingProxy } from '../support/recording-proxy.js';

const CONTEXT = 65_536;
/** Hang-catching deadline for `dsb serve` to print where it listens. */
const START_DEADLINE_MS = 60_000;

let llama: RealLlama | undefined;
let proxy: RecordingProxy | undefined;
let serve: ChildProcess | undefined;
let serveUrl = '';
let serveOutput = '';
let dir = '';

beforeAll(async () => {
  if (SKIP_REASON || !claudeAvailable()) return;
  llama = await startRealLlama(['-c', String(CONTEXT), '-np', '1']);
  proxy = await startRecordingProxy(llama.url);
  dir = await mkdtemp(path.join(tmpdir(), 'dsb-real-claude-'));
  const config = path.join(dir, 'dsb.config.json');
  await writeFile(config, JSON.stringify({ upstreams: [{ url: proxy.url, kind: 'llama.cpp' }] }));
  serve = spawn(process.execPath, [RUN_JS, 'serve', '--port', '0', '--config', config], {
    cwd: dir,
    env: cleanEnv({ HOME: dir, NO_COLOR: '1', XDG_CONFIG_HOME: path.join(dir, '.config') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serve.stdout!.on('data', (d) => (serveOutput += d));
  serve.stderr!.on('data', (d) => (serveOutput += d));
  const until = performance.now() + START_DEADLINE_MS;
  for (;;) {
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(serveOutput);
    if (m) {
      serveUrl = m[1]!;
      break;
    }
    if (serve.exitCode !== null || performance.now() > until)
      throw new Error(`dsb serve did not start:\n${serveOutput}`);
    await new Promise((r) => setTimeout(r, 25));
  }
});
afterAll(async () => {
  if (serve?.pid && serve.exitCode === null) await stopPid(serve.pid);
  await proxy?.close();
  await llama?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(SKIP_REASON || !claudeAvailable())('real llama-server: Claude Code', () => {
  it('real llama-server: the real Claude Code CLI answers a turn through dsb serve at a 64K context', async () => {
    const sandbox = await createClaudeSandbox('dsb-real-claude-');
    try {
      const run = await runClaude({ baseUrl: serveUrl, sandbox, prompt: 'Say hi.', timeoutMs: 150_000 });
      expect(run.exitCode, `${run.describe()}\n--- dsb serve ---\n${serveOutput}`).toBe(0);
      expect(run.result?.is_error, run.describe()).toBe(false);
      expect(typeof run.result?.result).toBe('string');
      // The real server prefilled Claude Code's real first turn, inside the 64K context, and answered.
      const turns = proxy!.exchanges.filter((e) => e.path === '/v1/chat/completions' && e.status === 200);
      const prompts = turns.map((e) => serverFigures(e.answer).promptTokens);
      expect(Math.max(...prompts), JSON.stringify(prompts)).toBeGreaterThan(8_000);
      expect(Math.max(...prompts)).toBeLessThan(CONTEXT);
      for (const e of turns) {
        const sent = e.body as { max_tokens?: number; max_completion_tokens?: number };
        const max = sent.max_tokens ?? sent.max_completion_tokens;
        if (max !== undefined)
          expect(max + serverFigures(e.answer).promptTokens).toBeLessThanOrEqual(CONTEXT);
      }
    } finally {
      await sandbox.cleanup();
    }
  });
});
