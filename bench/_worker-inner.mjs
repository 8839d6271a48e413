import { parentPort } from 'node:worker_threads';
import { createLogger } from '../dist/bridge/log.js';
import { startBridge } from '../dist/bridge/server.js';
import { configSchema } from '../dist/config/schema.js';
const config = configSchema.parse({ server: { host: '127.0.0.1', port: 0 }, upstreams: [{ url: process.env.BENCH_UPSTREAM, model: 'models/bench-model.gguf' }] });
const bridge = await startBridge({ config, logger: createLogger('text') });
parentPort.postMessage({ type: 'ready', url: bridge.url });
