// The real SystemContext against this machine: temp files, child processes (this Node), and
// loopback sockets on port 0. Nothing leaves the machine.
import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemContext } from '../../src/system/node.js';

const ctx = createSystemContext();
const NODE = process.execPath;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dsb-node-ctx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('createSystemContext', () => {
  it('describes this process, and takes overrides', () => {
    expect(ctx.platform).toBe(process.platform);
    expect(ctx.nodeVersion).toBe(process.version);
    expect(ctx.memory().total).toBeGreaterThan(0);
    const fake = createSystemContext({ platform: 'win32', now: () => 7 });
    expect(fake.platform).toBe('win32');
    expect(fake.now()).toBe(7);
    expect(fake.readFile).toBe(ctx.readFile);
  });
});

describe('files', () => {
  it('readFile and readBytes give undefined for a missing file; readBytes stops at the end', async () => {
    const file = path.join(dir, 'bytes.bin');
    await writeFile(file, 'abcdef');
    expect(await ctx.readFile(file)).toBe('abcdef');
    expect(await ctx.readFile(path.join(dir, 'missing'))).toBeUndefined();
    expect(Buffer.from((await ctx.readBytes(file, 2, 3)) ?? []).toString()).toBe('cde');
    expect(Buffer.from((await ctx.readBytes(file, 4, 100)) ?? []).toString()).toBe('ef');
    expect(await ctx.readBytes(path.join(dir, 'missing'), 0, 1)).toBeUndefined();
  });

  it('stat tells files from folders; a missing path is undefined', async () => {
    const file = path.join(dir, 's.txt');
    await writeFile(file, '12345');
    expect(await ctx.stat(file)).toMatchObject({ size: 5, isFile: true, isDirectory: false });
    expect(await ctx.stat(dir)).toMatchObject({ isFile: false, isDirectory: true });
    expect(await ctx.stat(path.join(dir, 'nope'))).toBeUndefined();
  });

  it('writeFileAtomic makes the folders and sets the mode asked for', async () => {
    const file = path.join(dir, 'deep', 'er', 'config.json');
    await ctx.writeFileAtomic(file, '{"a":1}', { mode: 0o600 });
    expect(await readFile(file, 'utf8')).toBe('{"a":1}');
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    await ctx.writeFileAtomic(file, '{"a":2}');
    expect(await readFile(file, 'utf8')).toBe('{"a":2}');
  });

  it('copyFile makes the folders; exclusive refuses to overwrite', async () => {
    const from = path.join(dir, 'from.txt');
    await writeFile(from, 'one');
    const to = path.join(dir, 'copies', 'to.txt');
    await ctx.copyFile(from, to);
    expect(await readFile(to, 'utf8')).toBe('one');
    await expect(ctx.copyFile(from, to, { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
    await writeFile(from, 'two');
    await ctx.copyFile(from, to);
    expect(await readFile(to, 'utf8')).toBe('two');
  });

  it.skipIf(process.platform === 'win32')(
    'inspectFile: symlinks (dangling or not) and write protection',
    async () => {
      const file = path.join(dir, 'target.txt');
      await writeFile(file, 'x');
      expect(await ctx.inspectFile(file)).toEqual({ writable: true });
      expect(await ctx.inspectFile(path.join(dir, 'none'))).toBeUndefined();
      const link = path.join(dir, 'link');
      await symlink(file, link);
      expect(await ctx.inspectFile(link)).toEqual({
        symlink: { target: file, dangling: false },
        writable: true,
      });
      const dangling = path.join(dir, 'dangling');
      await symlink(path.join(dir, 'gone'), dangling);
      expect((await ctx.inspectFile(dangling))?.symlink).toEqual({
        target: path.join(dir, 'gone'),
        dangling: true,
      });
      // The owner's write bit counts even for root, who could write it anyway.
      const locked = path.join(dir, 'locked.txt');
      await writeFile(locked, 'x');
      await chmod(locked, 0o444);
      expect(await ctx.inspectFile(locked)).toEqual({ writable: false });
    },
  );
});

describe('exec and spawn', () => {
  it('exec: output and exit code, input on stdin, a missing program, a timeout', async () => {
    const ok = await ctx.exec(NODE, [
      '-e',
      'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)',
    ]);
    expect(ok).toEqual({ exitCode: 3, stdout: 'out', stderr: 'err', notFound: false, timedOut: false });
    const echoed = await ctx.exec(NODE, ['-e', 'process.stdin.pipe(process.stdout)'], { input: 'piped' });
    expect(echoed.stdout).toBe('piped');
    const missing = await ctx.exec('dsb-no-such-program-xyz', []);
    expect(missing).toMatchObject({ notFound: true, exitCode: null });
    // Hang-catching: the child would wait forever; the timeout is what ends it.
    const slow = await ctx.exec(NODE, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 300 });
    expect(slow.timedOut).toBe(true);
  });

  it('exec: the environment given, with or without the parent one', async () => {
    const script =
      'process.stdout.write(String(process.env.DSB_X) + "," + String(process.env.PATH !== undefined))';
    expect((await ctx.exec(NODE, ['-e', script], { env: { DSB_X: 'y' } })).stdout).toBe('y,true');
    expect((await ctx.exec(NODE, ['-e', script], { env: { DSB_X: 'y' }, extendEnv: false })).stdout).toBe(
      'y,false',
    );
  });

  it('spawn: streams output as it comes, and reports the exit', async () => {
    const seen: Array<[string, string]> = [];
    const child = ctx.spawn!(NODE, ['-e', 'console.log("hi"); console.error("oops"); process.exit(5)'], {
      onOutput: (text, stream) => seen.push([stream, text]),
    });
    expect(child.pid).toBeGreaterThan(0);
    expect(await child.exited).toMatchObject({ exitCode: 5, signal: null, notFound: false });
    expect(seen).toContainEqual(['stdout', 'hi\n']);
    expect(seen).toContainEqual(['stderr', 'oops\n']);
  });

  it('spawn: a missing program, and a kill', async () => {
    expect(await ctx.spawn!('dsb-no-such-program-xyz', []).exited).toMatchObject({
      notFound: true,
      exitCode: null,
    });
    const child = ctx.spawn!(NODE, ['-e', 'setInterval(() => {}, 1000)']);
    child.kill('SIGTERM');
    expect(await child.exited).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
  });
});

describe('network (loopback only)', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.setHeader('x-multi', ['a', 'b']);
        res.end(`${req.method} ${req.headers['x-h']} ${body}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('http: method, headers and body out; status, joined headers and text back', async () => {
    const res = await ctx.http(`http://127.0.0.1:${port}/x`, {
      method: 'POST',
      headers: { 'x-h': 'v' },
      body: 'b',
    });
    expect(res).toMatchObject({ status: 200, body: 'POST v b' });
    expect(res.headers['x-multi']).toBe('a, b');
  });

  it('tcpConnect and portFree tell a listening port from a closed one', async () => {
    const closed = await closedPort();
    expect(await ctx.tcpConnect('127.0.0.1', port, 5_000)).toBe(true);
    expect(await ctx.tcpConnect('127.0.0.1', closed, 5_000)).toBe(false);
    expect(await ctx.portFree('127.0.0.1', port)).toBe(false);
    expect(await ctx.portFree('127.0.0.1', closed)).toBe(true);
  });

  it('dnsLookup resolves an IP literal to itself (no resolver asked)', async () => {
    expect(await ctx.dnsLookup('127.0.0.1')).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(await ctx.dnsLookup('::1')).toEqual([{ address: '::1', family: 6 }]);
  });
});
