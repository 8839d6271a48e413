// The real SystemContext, on Node's APIs and execa. Nothing else in dsb touches the OS directly.
import { promises as dns } from 'node:dns';
import { constants as fsConstants } from 'node:fs';
import { access, copyFile, lstat, mkdir, open, readFile, readlink, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { request } from 'undici';
import writeFileAtomic from 'write-file-atomic';
import type { SpawnedProcess, SpawnOptions, SystemContext } from './context.js';

export function createSystemContext(overrides: Partial<SystemContext> = {}): SystemContext {
  const ctx: SystemContext = {
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    homedir: os.homedir(),
    cwd: process.cwd(),
    osRelease: os.release(),
    nodeVersion: process.version,
    memory: () => ({ total: os.totalmem(), free: os.freemem() }),
    exec: execFile,
    readFile: readTextFile,
    readBytes,
    stat: statFile,
    writeFileAtomic: writeTextFileAtomic,
    copyFile: copyFileMakingFolders,
    inspectFile,
    http: httpRequest,
    dnsLookup,
    tcpConnect,
    portFree,
    isTTY: Boolean(process.stdout.isTTY),
    now: () => Date.now(),
    spawn: spawnProcess,
  };
  return { ...ctx, ...overrides };
}

const execFile: SystemContext['exec'] = async (file, args, options = {}) => {
  const result = await execa(file, args, {
    reject: false,
    timeout: options.timeoutMs ?? 10_000,
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.extendEnv ?? true,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
    windowsHide: true,
  });
  const code = (result as { code?: string }).code;
  return {
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    notFound: code === 'ENOENT',
    timedOut: Boolean(result.timedOut),
  };
};

const readTextFile: SystemContext['readFile'] = async (file) => {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
};

const readBytes: SystemContext['readBytes'] = async (file, offset, length) => {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
};

const statFile: SystemContext['stat'] = async (file) => {
  try {
    const s = await stat(file);
    return { size: s.size, isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
};

const writeTextFileAtomic: SystemContext['writeFileAtomic'] = async (file, content, options = {}) => {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, content, options.mode === undefined ? {} : { mode: options.mode });
};

const copyFileMakingFolders: SystemContext['copyFile'] = async (from, to, options = {}) => {
  await mkdir(path.dirname(to), { recursive: true });
  await copyFile(from, to, options.exclusive ? fsConstants.COPYFILE_EXCL : 0);
};

const inspectFile: SystemContext['inspectFile'] = async (file) => {
  const link = await lstat(file).catch(() => undefined);
  if (!link) return undefined;
  let symlink: { target: string; dangling: boolean } | undefined;
  if (link.isSymbolicLink()) {
    const target = await readlink(file);
    const dangling = (await stat(file).catch(() => undefined)) === undefined;
    symlink = { target, dangling };
  }
  // The owner's write bit too: root may write anything, but a chmod a-w file was protected on purpose.
  const mode = (await stat(file).catch(() => link)).mode;
  const writable =
    (mode & 0o200) !== 0 &&
    (await access(file, fsConstants.W_OK).then(
      () => true,
      () => false,
    ));
  return { ...(symlink ? { symlink } : {}), writable };
};

const httpRequest: SystemContext['http'] = async (url, options = {}) => {
  const timeout = options.timeoutMs ?? 5_000;
  const res = await request(url, {
    method: (options.method ?? 'GET') as 'GET',
    headers: options.headers,
    body: options.body,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    signal: AbortSignal.timeout(timeout),
  });
  const body = await res.body.text();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return { status: res.statusCode, headers, body };
};

const dnsLookup: SystemContext['dnsLookup'] = async (host) => {
  try {
    const all = await dns.lookup(host, { all: true });
    return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } catch {
    return [];
  }
};

const tcpConnect: SystemContext['tcpConnect'] = (host, port, timeoutMs) =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

const portFree: SystemContext['portFree'] = (host, port) =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });

function spawnProcess(file: string, args: string[], options: SpawnOptions = {}): SpawnedProcess {
  const child = execa(file, args, {
    reject: false,
    cwd: options.cwd,
    env: options.env,
    stdin: 'ignore',
    buffer: false,
    windowsHide: true,
  });
  const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer) =>
    options.onOutput?.(chunk.toString('utf8'), stream);
  child.stdout?.on('data', forward('stdout'));
  child.stderr?.on('data', forward('stderr'));
  const exited = child.then((result) => {
    const code = (result as { code?: string }).code;
    const failed = (result as { failed?: boolean }).failed && result.exitCode === undefined;
    return {
      exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
      signal: result.signal ?? null,
      notFound: code === 'ENOENT',
      error: failed ? (result as { shortMessage?: string }).shortMessage : undefined,
    };
  });
  return { pid: child.pid, exited, kill: (signal) => child.kill(signal) };
}
