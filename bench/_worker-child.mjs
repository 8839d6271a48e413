import { Worker } from 'node:worker_threads';
const mb = Number(process.env.YG ?? 48);
const w = new Worker(new URL('./_worker-inner.mjs', import.meta.url), { env: process.env, resourceLimits: { maxYoungGenerationSizeMb: mb }, stderr: false });
w.on('message', (m) => process.send(m));
process.on('message', (m) => w.postMessage(m));
process.on('disconnect', () => process.exit(0));
