// `dsb launch --run` core with real processes: a stand-in llama-server started from the generated
// command, readiness polling through its 503 "loading" phase, and the context it reports.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLaunch } from '../../src/launch/generate.js';
import { LaunchError, startAndWait } from '../../src/launch/run.js';
import { quoteSh } from '../../src/shell/quote.js';
import { createSystemContext } from '../../src/system/node.js';

const fake = fileURLToPath(new URL('./fixtures/fake-llama-server.mjs', import.meta.url));
let dir: string;
let bin: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dsb-launch-run-'));
  bin = path.join(dir, 'llama-server');
  writeFileSync(bin, `#!/bin/sh\nexec ${quoteSh(process.execPath)} ${quoteSh(fake)} "$@"\n`);
  chmodSync(bin, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port that was free a moment ago (the generated command needs a concrete one). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function plan(env: Record<string, string> = {}, program = bin) {
  const port = await freePort();
  const p = generateLaunch(
    {
      backend: 'llama.cpp',
      model: '/models/a b.gguf',
      ctxSize: 32768,
      gpus: 0,
      host: '127.0.0.1',
      port,
      platform: 'linux',
      bin: program,
    },
    { modelfile: '' },
  );
  return { plan: p, ctx: createSystemContext({ env: { ...process.env, ...env } }) };
}

describe('startAndWait', () => {
  it('waits through the loading phase and reports the context the server got', async () => {
    const { plan: p, ctx } = await plan();
    let log = '';
    const running = await startAndWait(ctx, p, {
      readyTimeoutMs: 15_000,
      pollIntervalMs: 50,
      onOutput: (c) => {
        log += c;
      },
    });
    try {
      expect(running.ready).toMatchObject({
        requestedCtx: 32768,
        actualCtx: 32768,
        ctxShortfall: false,
        ctxSource: 'GET /props default_generation_settings.n_ctx',
      });
      expect(log).toMatch(/server is listening/);
    } finally {
      running.process.kill('SIGTERM');
      expect((await running.process.exited).exitCode).toBe(0);
    }
  });

  it('flags a server that got less context than asked for', async () => {
    const { plan: p } = await plan();
    const ctx = createSystemContext({ env: { ...process.env, FAKE_CTX_DIVISOR: '2' } });
    // spawn passes env additions; the stand-in reads FAKE_CTX_DIVISOR from its environment.
    const running = await startAndWait(
      { ...ctx, spawn: (f, a, o) => ctx.spawn!(f, a, { ...o, env: { FAKE_CTX_DIVISOR: '2' } }) },
      p,
      {
        readyTimeoutMs: 15_000,
        pollIntervalMs: 50,
      },
    );
    try {
      expect(running.ready).toMatchObject({ actualCtx: 16384, ctxShortfall: true });
    } finally {
      running.process.kill('SIGTERM');
      await running.process.exited;
    }
  });

  it('a server that dies while loading is an error naming it, not a hang', async () => {
    const { plan: p, ctx } = await plan();
    const dying = {
      ...ctx,
      spawn: (f: string, a: string[], o?: Parameters<NonNullable<typeof ctx.spawn>>[2]) =>
        ctx.spawn!(f, a, { ...o, env: { FAKE_EXIT: '3' } }),
    };
    await expect(startAndWait(dying, p, { readyTimeoutMs: 15_000, pollIntervalMs: 50 })).rejects.toThrow(
      /exited \(code 3\) before it was ready/,
    );
  });

  it('a missing executable says how to fix it', async () => {
    const { plan: p, ctx } = await plan({}, path.join(dir, 'no-such-llama-server'));
    await expect(startAndWait(ctx, p, { readyTimeoutMs: 15_000, pollIntervalMs: 50 })).rejects.toThrow(
      LaunchError,
    );
    await expect(startAndWait(ctx, p, { readyTimeoutMs: 15_000, pollIntervalMs: 50 })).rejects.toThrow(
      /not found on PATH: install it or pass --bin/,
    );
  });

  it('gives up after the timeout and stops the server', async () => {
    const { plan: p, ctx } = await plan();
    const never = { ...p, readinessPath: '/never-200' };
    await expect(startAndWait(ctx, never, { readyTimeoutMs: 1200, pollIntervalMs: 50 })).rejects.toThrow(
      /did not answer .* within 1 s \(stopped it\)/,
    );
  });
});
