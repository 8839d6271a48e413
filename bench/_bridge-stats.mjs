import v8 from 'node:v8';
import { appendFileSync } from 'node:fs';
const out = process.env.STATS_FILE ?? '/tmp/stats.txt';
setInterval(() => {
  const s = Object.fromEntries(v8.getHeapSpaceStatistics().map((x) => [x.space_name.replace('_space',''), (x.space_size / 2 ** 20).toFixed(1)]));
  const m = process.memoryUsage();
  appendFileSync(out, `${(m.rss/2**20).toFixed(0)} heapT ${(m.heapTotal/2**20).toFixed(0)} ext ${(m.external/2**20).toFixed(0)} ab ${(m.arrayBuffers/2**20).toFixed(0)} ${JSON.stringify(s)}\n`);
}, 500).unref();
await import('./bridge-child.mjs');
