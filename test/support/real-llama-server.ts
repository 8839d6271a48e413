// The real llama-server of /work/shared/llama-server (found through DSB_LLAMA_SERVER_DIR; tests that
// need it skip with one line saying why when it is not set). `start.sh PORT [args]` prints its PID
// once GET /health answers; `close()` stops it and waits until its port refuses connections.
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';

export const LLAMA_SERVER_DIR = process.env.DSB_LLAMA_SERVER_DIR;
/** Undefined when the real llama-server is available; else why the test is skipped. */
export const realLlamaSkipReason: string | undefined = LLAMA_SERVER_DIR
  ? undefined
  : 'skipped: DSB_LLAMA_SERVER_DIR is not set (the real llama-server tier; .ci/run sets it)';

export interface RealLlama {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Starts it with `-t 1` (tests run beside it) and the given extra arguments (`-c`, `-np`, `--alias`). */
export async function startRealLlama(args: string[]): Promise<RealLlama> {
  if (!LLAMA_SERVER_DIR) throw new Error(realLlamaSkipReason);
  const port = await freePort();
  const started = await execa(path.join(LLAMA_SERVER_DIR, 'start.sh'), [String(port), '-t', '1', ...args], {
    timeout: 60_000,
    reject: false,
  });
  const pid = Number(started.stdout.trim());
  if (started.exitCode !== 0 || !Number.isInteger(pid))
    throw new Error(`llama-server did not start: ${started.stderr || started.stdout}`);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      // It exits in about a second; wait for the port to close (bounded by the test's own timeout).
      while (!(await refuses(port))) await new Promise((r) => setTimeout(r, 50));
    },
  };
}
