// The bridge under test, in its own process so that its memory and CPU are its own: the built
// startBridge() from dist/, with the same text request logger `dsb serve` uses (one line per request
// to stderr, which the bench points at /dev/null). Talks to the bench over IPC:
//   → {type:'ready', url, pid}     ← {type:'memory', gc?}  → {type:'memory', usage}     ← {type:'stop'}
//   ← {type:'gc-start'} → {type:'gc-started'}   ← {type:'gc-stop'} → {type:'gc', summary}: V8's GC
//   profile in between, as bytes the young-generation collections promoted to the old generation

import v8 from 'node:v8';
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
  } else if (msg?.type === 'gc-start') {
    gcProfiler = new v8.GCProfiler();
    gcProfiler.start();
    process.send({ type: 'gc-started' });
  } else if (msg?.type === 'gc-stop') {
    process.send({ type: 'gc', summary: summarizeGc(gcProfiler.stop()) });
  } else if (msg?.type === 'stop') {
    await bridge.close();
    // Exit explicitly: with --cpu-prof the profile is written on a normal exit.
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

let gcProfiler;

/**
 * What the young-generation collections (scavenges) of a GC profile moved into the old generation:
 * objects that outlived two of them. Per request, the figure that shows a request's data kept
 * alive longer than its work (which then costs major collections and a larger heap).
 */
function summarizeGc(profile) {
  const oldBytes = (snapshot) =>
    snapshot.heapSpaceStatistics
      .filter((s) => s.spaceName === 'old_space' || s.spaceName === 'large_object_space')
      .reduce((sum, s) => sum + s.spaceUsedSize, 0);
  let promotedBytes = 0;
  let scavenges = 0;
  let fullGcs = 0;
  for (const gc of profile.statistics) {
    if (gc.gcType === 'Scavenge' || gc.gcType === 'MinorMarkSweep') {
      scavenges++;
      promotedBytes += Math.max(0, oldBytes(gc.afterGC) - oldBytes(gc.beforeGC));
    } else if (gc.gcType === 'MarkSweepCompact') fullGcs++;
  }
  return { promotedBytes, scavenges, fullGcs };
}
