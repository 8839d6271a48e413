// The port to suggest for `dsb serve` when the configured one is taken by another program. The
// loopback and bridge checks both use it, so doctor never suggests two different ports.
import type { CheckContext } from './types.js';

/** How far past a taken port to look for a free one. */
const SEARCH = 20;

export async function suggestBridgePort(ctx: CheckContext, host: string, port: number): Promise<number> {
  const bindHost = host === 'localhost' ? '127.0.0.1' : host;
  if (await ctx.system.portFree(bindHost, port)) return port;
  for (let p = port + 1; p <= Math.min(65535, port + SEARCH); p++) {
    if (await ctx.system.portFree(bindHost, p)) return p;
  }
  return port + 1;
}
