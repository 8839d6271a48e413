// The real llama-server of /work/shared/llama-server (or wherever DSB_LLAMA_SERVER_DIR points), for
// tests named `real llama-server: …`. Undefined, with the reason, when the folder is not there: a
// fresh clone has no shared folder, and those tests skip saying why.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

export const realLlamaDir = process.env.DSB_LLAMA_SERVER_DIR;
export const realLlamaSkipReason = !realLlamaDir
  ? 'DSB_LLAMA_SERVER_DIR is not set (it names the folder of the real llama-server and its start.sh)'
  : !existsSync(path.join(realLlamaDir, 'start.sh'))
    ? `DSB_LLAMA_SERVER_DIR=${realLlamaDir} has no start.sh`
    : undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface RealLlamaServer {
  url: string;
  stop(): void;
}

/** Starts it on a free loopback port (start.sh waits for /health) with these extra arguments. */
export async function startRealLlamaServer(args: string[]): Promise<RealLlamaServer> {
  if (!realLlamaDir || realLlamaSkipReason) throw new Error(realLlamaSkipReason);
  const port = await freePort();
  const { stdout } = await promisify(execFile)(path.join(realLlamaDir, 'start.sh'), [String(port), ...args]);
  const pid = Number(stdout.trim().split('\n').pop());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`start.sh printed no PID: ${stdout}`);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      try {
        process.kill(pid);
      } catch {
        // already gone
      }
    },
  };
}
