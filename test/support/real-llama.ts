// The real llama-server of the `real` test tier (vitest project `real`, test/real/): llama.cpp's own
// server with a tiny random model, found through DSB_LLAMA_SERVER_DIR (.ci/run sets it to
// ../shared/llama-server when that folder exists). Without it the tier is skipped (one line, printed
// by test/real/setup.ts); set but wrong, it fails.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Json } from './recording-proxy.js';

const dirFromEnv = process.env.DSB_LLAMA_SERVER_DIR;
/** The llama-server folder (start.sh, bin/llama-server, tiny.gguf), or undefined: the tier is skipped. */
export const LLAMA_DIR = dirFromEnv ? path.resolve(dirFromEnv) : undefined;
export const SKIP_REASON = LLAMA_DIR
  ? undefined
  : 'real llama-server: tier skipped: DSB_LLAMA_SERVER_DIR is not set (.ci/run sets it when ../shared/llama-server exists)';

export function llamaPaths(): { dir: string; startSh: string; bin: string; model: string } {
  if (!LLAMA_DIR) throw new Error(SKIP_REASON);
  const paths = {
    dir: LLAMA_DIR,
    startSh: path.join(LLAMA_DIR, 'start.sh'),
    bin: path.join(LLAMA_DIR, 'bin', 'llama-server'),
    model: path.join(LLAMA_DIR, 'tiny.gguf'),
  };
  for (const p of [paths.startSh, paths.bin, paths.model]) {
    if (!existsSync(p)) throw new Error(`DSB_LLAMA_SERVER_DIR=${dirFromEnv}: ${p} is missing`);
  }
  return paths;
}

/** A port that was free a moment ago (bound on port 0, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RealLlama {
  url: string;
  port: number;
  pid: number;
  /** The server's log file (its `prompt eval time = … / N tokens` lines among others). */
  logFile: string;
  log(): string;
  stop(): Promise<void>;
}

const START_ATTEMPTS = 4;

/**
 * Starts the real llama-server through its start.sh on a free loopback port with `-t 1` (tests run
 * beside it) and `extraArgs`; another process taking the port in between is retried on a new one.
 */
export async function startRealLlama(extraArgs: string[] = []): Promise<RealLlama> {
  const { startSh } = llamaPaths();
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'dsb-real-llama-'));
  let lastError = '';
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const started = await new Promise<{ pid?: number; error?: string }>((resolve) => {
      execFile(
        startSh,
        [String(port), '-t', '1', ...extraArgs],
        { env: { ...process.env, LLAMA_LOG_DIR: logDir }, timeout: 120_000 },
        (err, stdout, stderr) => {
          const pid = Number(stdout.trim());
          if (err || !Number.isInteger(pid) || pid <= 0)
            resolve({ error: `${err?.message ?? ''} ${stderr}` });
          else resolve({ pid });
        },
      );
    });
    if (started.pid === undefined) {
      lastError = started.error ?? 'no pid';
      continue;
    }
    const pid = started.pid;
    const logFile = path.join(logDir, `llama-server-${port}.log`);
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      pid,
      logFile,
      log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
      stop: () => stopPid(pid),
    };
  }
  throw new Error(`llama-server did not start in ${START_ATTEMPTS} attempts: ${lastError}`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM, then waits for the process to be gone (SIGKILL after a hang-catching deadline). */
export async function stopPid(pid: number, deadlineMs = 15_000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const until = performance.now() + deadlineMs;
  while (alive(pid)) {
    if (performance.now() > until) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** POST JSON to the server (or the bridge) and parse the answer. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}
