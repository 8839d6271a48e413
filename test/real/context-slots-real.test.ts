// Issue #14 against the REAL llama-server (DSB_LLAMA_SERVER_DIR): `-np 4 -c 65536` gives 16,384-token
// slots. The bridge sends a Claude-Code-sized prompt (~14.3K tokens) that the server takes, instead
// of refusing it above 16384 - 64 - 2048; /health, `dsb serve`'s start-up log and `dsb doctor` name
// the cause (-np splitting -c) and the fix; a context that cannot even hold Claude Code's fixed
// prompt is said to be a dead end that compaction cannot help.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeLogger } from '../../src/bridge/log.js';
import { type RunningBridge, startBridge } from '../../src/bridge/server.js';
import { doctorReportSchema } from '../../src/checks/types.js';
import { configSchema } from '../../src/config/schema.js';
import { cleanEnv, RUN_JS } from '../init/cli.js';
import { type RealLlama, SKIP_REASON, startRealLlama } from '../support/real-llama.js';

const built = existsSync(path.join(path.dirname(RUN_JS), '..', 'dist', 'commands', 'serve.js'));
const skip = SKIP_REASON ?? (built ? undefined : 'skipped: dist/ is missing (npm run build)');
if (skip) console.info(`context-slots-real.test: ${skip}`);

/** Hang-catching only: a 14K-token prefill on a busy machine takes seconds, not minutes. */
const TEST_TIMEOUT_MS = 180_000;

interface Captured {
  warnings: string[];
  logger: BridgeLogger;
}
function capture(): Captured {
  const warnings: string[] = [];
  return { warnings, logger: { request() {}, info() {}, warn: (m) => warnings.push(m) } };
}

async function bridgeFor(llama: RealLlama, logger: BridgeLogger): Promise<RunningBridge> {
  return startBridge({
    config: configSchema.parse({ server: { port: 0 }, upstreams: [{ url: llama.url }] }),
    logger,
  });
}

async function post(bridge: RunningBridge, route: string, body: unknown) {
  const res = await fetch(`${bridge.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A user message the bridge counts (exactly, through the server) at between `min` and `max` tokens. */
async function promptOfSize(bridge: RunningBridge, min: number, max: number) {
  const unit = 'The quick brown fox jumps over the lazy dog. ';
  const count = async (reps: number) => {
    const messages = [{ role: 'user', content: unit.repeat(reps) }];
    const r = await post(bridge, '/v1/messages/count_tokens', { model: 'deepseek', messages });
    return { messages, tokens: r.json.input_tokens as number };
  };
  const probe = await count(100);
  const perRep = (probe.tokens - (await count(0)).tokens) / 100;
  const reps = Math.floor(((min + max) / 2 - (probe.tokens - perRep * 100)) / perRep);
  const sized = await count(reps);
  expect(sized.tokens).toBeGreaterThan(min);
  expect(sized.tokens).toBeLessThan(max);
  return sized;
}

describe.skipIf(Boolean(skip))('real llama-server -np 4 -c 65536 (16,384-token slots)', () => {
  let llama: RealLlama;
  let bridge: RunningBridge;
  const log = capture();
  beforeAll(async () => {
    llama = await startRealLlama(['-c', '65536', '-np', '4']);
    bridge = await bridgeFor(llama, log.logger);
  });
  afterAll(async () => {
    await bridge?.close();
    await llama?.stop();
  });

  it('/health and the start-up advice name -np splitting -c, and the dsb launch command', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const health = (await (await fetch(`${bridge.url}/health`)).json()) as {
      upstreams: Array<{
        contextSize: number;
        contextAdvice: { level: string; fix: string };
        warnings: string[];
      }>;
    };
    const u = health.upstreams[0]!;
    expect(u.contextSize).toBe(16384);
    expect(u.contextAdvice.level).toBe('small');
    expect(u.warnings[0]).toContain(
      "llama-server's -np 4 (--parallel) splits -c 65536 into 4 slots of 16384 tokens",
    );
    expect(u.warnings[0]).toContain(`dsb launch llama.cpp --ctx-size 65536 --port ${llama.port}`);
    expect((await bridge.contextAdvice())[0]).toEqual(u.contextAdvice);
  });

  it('sends a ~14.3K-token prompt the server takes with 2K to spare (refused before issue 14)', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    // The numbers: 14,314 tokens got "prompt is too long: 14314 tokens > 14272 maximum".
    const { messages, tokens } = await promptOfSize(bridge, 14_272, 15_000);
    const r = await post(bridge, '/v1/messages', {
      model: 'deepseek',
      max_tokens: 32000,
      temperature: 0,
      messages,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect((r.json.usage as { input_tokens: number }).input_tokens).toBe(tokens);
  });

  it('dsb serve warns at start-up (built CLI)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const child = spawn(
      process.execPath,
      [RUN_JS, 'serve', '--upstream', llama.url, '--port', '0', '--log-format', 'json'],
      {
        env: cleanEnv({ NO_COLOR: '1' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    const warning = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`dsb serve exited (${code}) before warning: ${stderr}`)));
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        for (const line of stderr.split('\n')) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.level === 'warn' && String(entry.msg).includes('-np 4')) resolve(entry);
        }
      });
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(warning.msg).toContain('16384 tokens per request is less than Claude Code needs');
    expect(warning.fix).toContain(`dsb launch llama.cpp --ctx-size 65536 --port ${llama.port}`);
  });

  it('dsb doctor upstream-context names the 16,384-token slots and -np (built CLI)', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const r = await execa(
      process.execPath,
      [RUN_JS, 'doctor', 'upstream-context', '--json', '--upstream', llama.url],
      {
        env: cleanEnv({ NO_COLOR: '1', HOME: path.join(path.dirname(RUN_JS), '..', '.no-home') }),
        extendEnv: false,
        reject: false,
      },
    );
    const report = doctorReportSchema.parse(JSON.parse(r.stdout));
    const check = report.checks.find((c) => c.id === 'upstream-context')!;
    expect(check.status).toBe('fail');
    expect(check.summary).toMatch(
      /^16K \(16384\) tokens per request \(-np 4 splits -c 65536 into 4 slots of 16384\)/,
    );
    expect(check.details.join('\n')).toContain(
      '-np 4: llama-server splits -c between 4 slots; each request gets 16K (16384)',
    );
    expect(check.fix?.description).toMatch(/-np 1 \(or -c 262144 to keep 4 slots\)/);
  });
});

describe.skipIf(Boolean(skip))('real llama-server -c 15000: not even the fixed prompt fits', () => {
  let llama: RealLlama;
  let bridge: RunningBridge;
  const log = capture();
  beforeAll(async () => {
    llama = await startRealLlama(['-c', '15000']);
    bridge = await bridgeFor(llama, log.logger);
  });
  afterAll(async () => {
    await bridge?.close();
    await llama?.stop();
  });

  it('/health and the refusal log say compaction cannot help', { timeout: TEST_TIMEOUT_MS }, async () => {
    const health = (await (await fetch(`${bridge.url}/health`)).json()) as {
      upstreams: Array<{ contextSize: number; contextAdvice: { level: string }; warnings: string[] }>;
    };
    // llama-server rounds -c up to a multiple of 256 (15000 → 15104).
    const contextSize = health.upstreams[0]!.contextSize;
    expect(contextSize).toBeGreaterThanOrEqual(15000);
    expect(health.upstreams[0]!.contextAdvice.level).toBe('dead-end');
    expect(health.upstreams[0]!.warnings[0]).toMatch(/compaction cannot help/);

    // A Claude-Code-sized prompt (14,100 tokens and more) leaves less than 1,024 of 15,000.
    const { messages } = await promptOfSize(bridge, 14_100, 14_900);
    const r = await post(bridge, '/v1/messages', { model: 'deepseek', max_tokens: 32000, messages });
    expect(r.status).toBe(400);
    expect((r.json.error as { message: string }).message).toMatch(
      new RegExp(`^prompt is too long: \\d+ tokens > ${contextSize - 1024} maximum$`),
    );
    expect(log.warnings.some((w) => /compaction cannot help/.test(w))).toBe(true);
  });
});
