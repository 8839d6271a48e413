// The bridge under test, in its own process so that its memory and CPU are its own: the built
// startBridge() from dist/, with the same text request logger `dsb serve` uses (one line per request
// to stderr, which the bench points at /dev/null). Talks to the bench over IPC:
//   → {type:'ready', url, pid}     ← {type:'memory', gc?}  → {type:'memory', usage}     ← {type:'stop'}

import { createLogger } from '../dist/bridge/log.js';
import { startBridge } from '../dist/bridge/server.js';
import { configSchema } from '../dist/config/schema.js';

const upstream = process.env.BENCH_UPSTREAM;
if (!upstream || !process.send) {
  console.error('bridge-child: run by bench/run.mjs (needs BENCH_UPSTREAM and an IPC channel)');
  process.exit(2);
}

const config = configSchema.parse({
  server: { host: '127.0.0.1', port: 0 },
  upstreams: [{ url: upstream, model: 'models/bench-model.gguf' }],
});
const bridge = await startBridge({ config, logger: createLogger('text') });
process.send({ type: 'ready', url: bridge.url, pid: process.pid });

process.on('message', async (msg) => {
  if (msg?.type === 'memory') {
    if (msg.gc && typeof globalThis.gc === 'function') {
      // Twice: the first pass may only schedule finalizers that free more on the second.
      globalThis.gc();
      globalThis.gc();
    }
    process.send({ type: 'memory', usage: process.memoryUsage() });
  } else if (msg?.type === 'stop') {
    await bridge.close();
    // Exit explicitly: with --cpu-prof the profile is written on a normal exit.
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
