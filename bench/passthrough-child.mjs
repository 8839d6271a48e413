// A calibration proxy, not part of dsb: forwards each request body to the upstream and pipes the
// answer back byte for byte, with the same libraries the bridge uses (node:http in front, an
// undici Pool behind) and no parsing or translation at all. Whatever it adds over the direct path is
// what any extra Node process in the path costs on this machine; the bridge cannot do better.
import http from 'node:http';
import { Pool } from 'undici';

const upstream = process.env.BENCH_UPSTREAM;
if (!upstream || !process.send) {
  console.error('passthrough-child: run by bench/run.mjs (needs BENCH_UPSTREAM and an IPC channel)');
  process.exit(2);
}
const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const up = await pool.request({
        method: 'POST',
        path: req.url ?? '/',
        headers: { 'content-type': 'application/json' },
        body: Buffer.concat(chunks),
      });
      res.writeHead(up.statusCode, { 'content-type': up.headers['content-type'] ?? 'application/json' });
      up.body.on('data', (c) => {
        if (!res.write(c)) {
          up.body.pause();
          res.once('drain', () => up.body.resume());
        }
      });
      up.body.on('end', () => res.end());
      up.body.on('error', () => res.destroy());
      res.on('close', () => up.body.destroy());
    } catch {
      res.destroy();
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}`, pid: process.pid });
});
process.on('message', (msg) => {
  if (msg?.type === 'memory') process.send({ type: 'memory', usage: process.memoryUsage() });
  if (msg?.type === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
