// The probe's HTTP edge against a real loopback server (port 0): headers, text chunks, and the
// one-line explanations of undici's failures.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeHttpClient, ProbeHttpError } from '../../src/probe/http.js';

let server: http.Server;
let base: string;
/** Requests parked by /hang and /stall, answered (cut) when the test ends. */
const parked: http.ServerResponse[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/text') {
      res.writeHead(201, { 'content-type': 'text/plain', 'x-multi': ['a', 'b'] });
      const check = Buffer.from('✓', 'utf8');
      // A three-byte character split over two writes.
      res.write(Buffer.concat([Buffer.from('ok '), check.subarray(0, 1)]));
      setImmediate(() => res.end(Buffer.concat([check.subarray(1), Buffer.from(' done')])));
    } else if (req.url === '/echo') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => res.end(`${req.method} ${req.headers['x-probe']} ${body}`));
    } else if (req.url === '/hang') {
      parked.push(res);
    } else if (req.url === '/stall') {
      res.writeHead(200);
      res.write('partial');
      parked.push(res);
    } else if (req.url === '/reset') {
      res.writeHead(200);
      res.write('x');
      setImmediate(() => req.socket.destroy());
    } else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of parked) res.socket?.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The ProbeHttpError a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<ProbeHttpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProbeHttpError);
  return err as ProbeHttpError;
}

describe('ProbeHttpClient', () => {
  it('hands over status, joined multi-value headers and the body as whole UTF-8 characters', async () => {
    const client = new ProbeHttpClient(60_000);
    try {
      const res = await client.open(`${base}/text`);
      expect(res.status).toBe(201);
      expect(res.headers['x-multi']).toBe('a, b');
      let text = '';
      for await (const chunk of res.chunks()) {
        expect(chunk).not.toContain('\uFFFD');
        text += chunk;
      }
      expect(text).toBe('ok ✓ done');
    } finally {
      await client.close();
    }
  });

  it('sends method, headers and body; text() reads the whole answer; dump() frees it', async () => {
    const client = new ProbeHttpClient(60_000);
    try {
      const res = await client.open(`${base}/echo`, {
        method: 'POST',
        headers: { 'x-probe': 'yes' },
        body: 'hello',
      });
      expect(await res.text()).toBe('POST yes hello');
      const again = await client.open(`${base}/text`);
      await again.dump();
      await again.dump(); // twice is harmless
    } finally {
      await client.close();
    }
  });

  it('a refused connection says so, with the origin only', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new ProbeHttpClient(60_000);
    try {
      const err = await failure(client.open(`http://127.0.0.1:${port}/v1/messages?secret=1`));
      expect(err.code).toBe('ECONNREFUSED');
      expect(err.message).toBe(
        `cannot connect to http://127.0.0.1:${port}: connection refused (is it running?)`,
      );
    } finally {
      await client.close();
    }
  });

  it('no headers within the timeout, and silence inside the body, are named', async () => {
    // Hang-catching only: the short timeout is what is tested, not how long anything took.
    const client = new ProbeHttpClient(200);
    try {
      const headers = await failure(client.open(`${base}/hang`));
      expect(headers.code).toBe('UND_ERR_HEADERS_TIMEOUT');
      expect(headers.message).toBe(`${base} sent no response headers in time`);
      const res = await client.open(`${base}/stall`);
      const body = await failure(
        (async () => {
          for await (const _ of res.chunks()) {
            // read until the body goes silent
          }
        })(),
      );
      expect(body.code).toBe('UND_ERR_BODY_TIMEOUT');
      expect(body.message).toBe(`${base} went silent in the middle of the response body`);
    } finally {
      await client.close();
    }
  });

  it('a connection cut mid-body is "closed the connection unexpectedly", from chunks() and text()', async () => {
    const client = new ProbeHttpClient(60_000);
    try {
      for (const read of [
        async (r: Awaited<ReturnType<ProbeHttpClient['open']>>) => {
          for await (const _ of r.chunks()) {
            // drain
          }
        },
        (r: Awaited<ReturnType<ProbeHttpClient['open']>>) => r.text(),
      ]) {
        const res = await client.open(`${base}/reset`);
        const err = await failure(read(res));
        expect(err.message).toBe(`${base} closed the connection unexpectedly`);
      }
    } finally {
      await client.close();
    }
  });

  it('any other failure names the whole URL and the cause', async () => {
    const client = new ProbeHttpClient(60_000);
    try {
      const err = await failure(client.open('not a url'));
      expect(err.message).toMatch(/^request to not a url failed: /);
    } finally {
      await client.close();
    }
  });
});
