const mb = () => (process.memoryUsage().rss/2**20).toFixed(1);
const t = (l) => { globalThis.gc?.(); console.log(l, mb(), 'heap', (process.memoryUsage().heapUsed/2**20).toFixed(1)); };
t('start');
await import('undici'); t('undici');
await import('zod'); t('zod');
await import('/work/main/dist/config/schema.js'); t('schema');
await import('/work/main/dist/bridge/log.js'); t('log');
await import('/work/main/dist/bridge/server.js'); t('server');
