// The bridge under bench/counting.mjs, in its own process (so the load generator's JSON and SSE work
// does not run on the bridge's event loop): the built startBridge() with the config given in
// BENCH_CONFIG (JSON). Reports its event loop's longest block over IPC:
//   → {type:'ready', url}   ← {type:'loop-reset'}   ← {type:'loop'} → {type:'loop', maxMs, p99Ms}   ← {type:'stop'}
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { silentLogger } from '../dist/bridge/log.js';
import { startBridge } from '../dist/bridge/server.js';
import { configSchema } from '../dist/config/schema.js';

if (!process.env.BENCH_CONFIG || !process.send) {
  console.error('counting-child: run by bench/counting.mjs (needs BENCH_CONFIG and an IPC channel)');
  process.exit(2);
}
const config = configSchema.parse(JSON.parse(process.env.BENCH_CONFIG));
const bridge = await startBridge({ config, logger: silentLogger });
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
process.send({ type: 'ready', url: bridge.url });
process.on('message', async (msg) => {
  if (msg?.type === 'loop-reset') loop.reset();
  else if (msg?.type === 'loop') {
    process.send({ type: 'loop', maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 });
  } else if (msg?.type === 'stop') {
    await bridge.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
