// Graceful shutdown of the real CLI (`node bin/run.js serve`, built by `npm run build`): on SIGTERM
// or SIGINT it stops accepting connections, lets the streams in flight finish within
// server.shutdownGraceMs, ends the ones left with an `error` event (after closing their open
// block), frees their upstream requests, and exits 0. A second signal ends everything at once.
// Also: a malformed request target cannot take the process down, and the token never shows up
// in what the process prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStreamInvariants, formatViolation } from '../../../src/probe/invariants.js';
import { SseParser } from '../../../src/probe/sse.js';
import { type FakeUpstream, faultAnswer, startFakeLlama } from '../../support/fake-upstream/index.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const runJs = path.join(repo, 'bin', 'run.js');
const TOKEN = 'shutdown-test-token-4f9a1c';
/**
 * Hang-catching deadline. Grace periods that must NOT be waited out are set beyond it, so a bridge
 * that sat them out fails; how long the events take is never asserted, only their order.
 */
const HANG_DEADLINE_MS = 20_000;
const UNREACHED_GRACE_MS = 600_000;

let upstream: FakeUpstream;
let dir: string;

beforeAll(async () => {
  if (!existsSync(path.join(repo, 'dist', 'commands', 'serve.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  upstream = await startFakeLlama({
    countsTokens: false,
    keepAliveTimeoutMs: 200,
    answer: faultAnswer('ok'),
  });
  dir = await mkdtemp(path.join(tmpdir(), 'dsb-shutdown-'));
});
afterAll(async () => {
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  url: string;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `dsb serve` with server.shutdownGraceMs in its config file, and any extra flags. */
async function serve(shutdownGraceMs: number, flags: string[] = []): Promise<Served> {
  const config = path.join(dir, `dsb-${shutdownGraceMs}-${Date.now()}.json`);
  await writeFile(
    config,
    JSON.stringify({
      server: { shutdownGraceMs, pingIntervalMs: 100, idleTimeoutMs: 60_000, headersTimeoutMs: 60_000 },
      upstreams: [
        { url: upstream.url, kind: 'llama.cpp', model: 'tiny', tokenCounting: 'estimate', contextSize: 8192 },
      ],
    }),
  );
  // A clean environment: nothing of the developer's own dsb or Claude setup may leak in.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CONFIG_HOME: path.join(dir, '.config'),
    NO_COLOR: '1',
    DSB_AUTH_TOKEN: TOKEN,
  };
  const child = spawn(process.execPath, [runJs, 'serve', '--port', '0', '--config', config, ...flags], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const until = performance.now() + 20_000;
  const listening = () => /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
  let match = listening();
  for (; !match; match = listening()) {
    if (child.exitCode !== null || performance.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`dsb serve did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, url: match[1]!, port: Number(match[2]), output: () => output, exited };
}

/** Starts a streaming request; resolves once `ready(text)` holds, and gives the rest later. */
async function openStream(url: string, ready: (text: string) => boolean) {
  const agent = new Agent({ connections: 1 });
  const res = await request(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TOKEN },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
    dispatcher: agent,
  });
  expect(res.statusCode).toBe(200);
  let text = '';
  let endedAt = 0;
  let readyResolve: () => void = () => {};
  const isReady = new Promise<void>((r) => (readyResolve = r));
  const ended = (async () => {
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (ready(text)) readyResolve();
    }
    endedAt = performance.now();
    await agent.close();
    return { text, endedAt };
  })();
  await Promise.race([isReady, ended]);
  return { ended };
}

const frames = (text: string) => {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
};
const lastType = (text: string) => (frames(text).at(-1)?.data as { type?: string } | undefined)?.type;

/** Resolves when a TCP connect to the port is refused (the listener is gone). */
async function refusedWithin(port: number, ms: number = HANG_DEADLINE_MS): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Resolves once the served process has printed text matching `pattern`. */
async function printed(served: Served, pattern: RegExp): Promise<void> {
  const until = performance.now() + HANG_DEADLINE_MS;
  while (!pattern.test(served.output())) {
    if (performance.now() > until) throw new Error(`hang: no ${pattern} in:\n${served.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('dsb serve: graceful shutdown', () => {
  it('SIGTERM: stops accepting at once, lets a stream in flight finish, then exits 0', async () => {
    // A grace period no test waits out: exiting at all shows it was not sat out once the stream was done.
    const served = await serve(UNREACHED_GRACE_MS);
    try {
      upstream.answer = faultAnswer('held'); // the stream goes on only once the listener is gone
      const stream = await openStream(served.url, (t) => t.includes('event: message_start'));
      served.child.kill('SIGTERM');
      expect(await refusedWithin(served.port)).toBe(true);
      upstream.release();
      const { text } = await stream.ended;
      expect(checkStreamInvariants(frames(text)).map(formatViolation)).toEqual([]);
      expect(lastType(text)).toBe('message_stop');
      const exit = await served.exited;
      expect(exit.code).toBe(0);
      expect(served.output()).toMatch(/received SIGTERM: shutting down; 1 request\(s\) in flight/);
      expect(served.output()).toMatch(/shutdown complete: 1 request\(s\) finished, 0 ended/);
      expect(served.output()).not.toContain(TOKEN);
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('SIGINT: a stream still running when the grace period ends gets an error event; the upstream request is freed', async () => {
    const grace = 600;
    const served = await serve(grace);
    try {
      upstream.answer = faultAnswer('stall-mid-stream');
      const before = upstream.completions.length;
      const stream = await openStream(served.url, (t) => t.includes('event: content_block_delta'));
      const signalAt = performance.now();
      served.child.kill('SIGINT');
      const { text, endedAt } = await stream.ended;
      const all = frames(text);
      expect(checkStreamInvariants(all).map(formatViolation)).toEqual([]);
      const last = all.at(-1)!.data as { type: string; error: { type: string; message: string } };
      expect(last.type).toBe('error');
      expect(last.error.type).toBe('overloaded_error');
      expect(last.error.message).toMatch(/shutting down/);
      // Not before the grace period (a lower bound: a busy machine only makes it later).
      expect(endedAt - signalAt).toBeGreaterThanOrEqual(grace - 50);
      const exit = await served.exited;
      expect(exit.code).toBe(0);
      const record = upstream.completions[before]!;
      await record.closed;
      expect(record.aborted).toBe(true);
      // Freed when the stream was ended, not only when the process went away: seen before its exit.
      expect(record.closedAt!).toBeLessThanOrEqual(exit.at);
      expect(served.output()).toMatch(/shutdown complete: 0 request\(s\) finished, 1 ended/);
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('requests still waiting on the upstream when the grace period ends get a 503 overloaded_error; their upstream requests are freed', async () => {
    const grace = 300;
    // --grace-period (seconds) wins over the config file's minute.
    const served = await serve(60_000, ['--grace-period', String(grace / 1000)]);
    try {
      upstream.answer = faultAnswer('stall-before-headers'); // a prefill that never ends
      const before = upstream.completions.length;
      const send = (stream: boolean) =>
        request(`${served.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': TOKEN },
          body: JSON.stringify({
            model: 'claude-sonnet-4-5',
            max_tokens: 64,
            stream,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        }).then(async (res) => ({
          status: res.statusCode,
          body: (await res.body.json()) as { type: string; error: { type: string; message: string } },
        }));
      const answers = Promise.all([send(false), send(true)]);
      await upstream.waitForCompletions(before + 2);
      expect(upstream.completions.length).toBe(before + 2);
      served.child.kill('SIGTERM');
      for (const answer of await answers) {
        expect(answer.status).toBe(503);
        expect(answer.body.type).toBe('error');
        expect(answer.body.error.type).toBe('overloaded_error');
        expect(answer.body.error.message).toMatch(/shutting down/);
      }
      const exit = await served.exited;
      expect(exit.code).toBe(0);
      const records = upstream.completions.slice(before);
      await Promise.all(records.map((r) => r.closed));
      expect(records.map((r) => r.aborted)).toEqual([true, true]);
      // Freed when the grace period ran out, not only when the process went away: seen before its exit.
      for (const r of records) expect(r.closedAt!).toBeLessThanOrEqual(exit.at);
      expect(served.output()).toMatch(/shutdown complete: 0 request\(s\) finished, 2 ended/);
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('a second signal ends the streams at once instead of waiting out a long grace period', async () => {
    // A grace period beyond the test's timeout: ending at all shows it was not waited out.
    const served = await serve(UNREACHED_GRACE_MS);
    try {
      upstream.answer = faultAnswer('stall-mid-stream');
      const stream = await openStream(served.url, (t) => t.includes('event: content_block_delta'));
      served.child.kill('SIGTERM');
      await printed(served, /received SIGTERM: shutting down/);
      served.child.kill('SIGTERM');
      const { text } = await stream.ended;
      expect(lastType(text)).toBe('error');
      expect((await served.exited).code).toBe(0);
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('--grace-period that is not a number of seconds is a usage error (exit 2)', async () => {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [runJs, 'serve', '--port', '0', '--grace-period', '10 s'], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: path.join(dir, '.config'), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.once('exit', (code) => resolve({ code, output }));
    });
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/--grace-period 10 s: expected a number of seconds/);
  });
});

describe('dsb serve: a malformed request target', () => {
  it('gets a 400 and does not take the process down', async () => {
    const served = await serve(1_000);
    try {
      // The first ones pass Node's parser and break `new URL`; the last ones Node's parser rejects.
      for (const target of ['//[::1', 'http://[', 'http://%zz/', 'http://[bad', '%zz', 'a b']) {
        const reply = await new Promise<string>((resolve) => {
          const socket = net.connect(served.port, '127.0.0.1', () =>
            socket.write(
              `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-api-key: ${TOKEN}\r\n\r\n`,
            ),
          );
          let data = '';
          socket.on('data', (d) => {
            data += d;
          });
          socket.on('close', () => resolve(data));
          setTimeout(() => socket.destroy(), HANG_DEADLINE_MS);
        });
        expect(reply).toMatch(/^HTTP\/1\.1 400/);
        const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as {
          type: string;
          error: { type: string };
        };
        expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      }
      // Still alive and serving.
      upstream.answer = faultAnswer('ok');
      const res = await request(`${served.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TOKEN },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      expect(served.child.exitCode).toBeNull();
      served.child.kill('SIGTERM');
      expect((await served.exited).code).toBe(0);
    } finally {
      served.child.kill('SIGKILL');
    }
  });
});
