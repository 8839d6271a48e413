// A SystemContext that replays recorded command outputs, files and HTTP answers: the doctor checks are
// tested as if on Windows, WSL1, WSL2 (NAT, mirrored), Linux and macOS without touching this machine.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { createCheckContext } from '../../src/checks/runner.js';
import type { CheckContext } from '../../src/checks/types.js';
import { configSchema, type DsbConfigInput } from '../../src/config/schema.js';
import type { DnsAddress, ExecResult, HttpResponse, SystemContext } from '../../src/system/context.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.join(here, '..', 'fixtures');

export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, 'doctor', name), 'utf8');
}

/** A recorded llama-server response body from test/fixtures/llama-server. */
export function llamaFixture(name: string): string {
  return readFileSync(path.join(FIXTURES, 'llama-server', `${name}.body`), 'utf8');
}

export type CommandReply = { stdout?: string; stderr?: string; exitCode?: number } | 'notfound';
export type HttpReply =
  | { status?: number; body: string | object; headers?: Record<string, string> }
  | 'refused'
  | 'timeout'
  | ((body: string | undefined) => {
      status?: number;
      body: string | object;
      headers?: Record<string, string>;
    });

export interface FakeSystemOptions {
  platform?: NodeJS.Platform;
  osRelease?: string;
  env?: Record<string, string>;
  homedir?: string;
  cwd?: string;
  files?: Record<string, string | Buffer>;
  /**
   * Keyed by "file arg1 arg2…" (exact) or by "file" (any arguments); `'notfound'` scripts a command
   * that is not installed. A command not scripted here fails the test (UnscriptedCommandError).
   */
  commands?: Record<string, CommandReply>;
  /** A test that scripts more than one scenario's commands: do not fail when some never ran. */
  allowUnusedCommands?: boolean;
  /**
   * Keyed by "METHOD url"; `'refused'` scripts a port nobody listens on, `'timeout'` one that never
   * answers. Keyed by an origin alone ("http://127.0.0.1:8080"), `'refused'` or `'timeout'` answers
   * every request to it (nothing listens on that port, whatever the path). A request not scripted
   * here fails the test (UnscriptedHttpError).
   */
  http?: Record<string, HttpReply>;
  /** A test that scripts a whole server (or several scenarios): do not fail when some URL was never asked. */
  allowUnusedHttp?: boolean;
  /** Host → its addresses (`[]`: it does not resolve). A lookup not scripted fails the test. */
  dns?: Record<string, DnsAddress[]>;
  /** "host:port" → whether a TCP connect succeeds. A connect not scripted fails the test. */
  tcp?: Record<string, boolean>;
  /** "host:port" → whether it is free to listen on. A port not scripted fails the test. */
  portFree?: Record<string, boolean>;
  memory?: { total: number; free: number };
  nodeVersion?: string;
}

export interface FakeSystem extends SystemContext {
  calls: { exec: string[]; http: string[] };
  written: Record<string, string>;
  files: Map<string, string | Buffer>;
  /** Commands run that no script answered (each also threw UnscriptedCommandError where it ran). */
  unscripted: string[];
  /** "METHOD url" asked that no script answered (each also threw UnscriptedHttpError where asked). */
  unscriptedHttp: string[];
  /** "dnsLookup host", "tcpConnect host:port", "portFree host:port" no script answered (UnscriptedNetError). */
  unscriptedNet: string[];
  /** Fails unless every scripted command ran at least once (a check that skips one is caught too). */
  assertAllCommandsRan(): void;
  /** Fails unless every scripted "METHOD url" was asked at least once. */
  assertAllHttpAsked(): void;
  /** Both of the above. */
  assertAllUsed(): void;
}

/**
 * A check ran a command the test did not script. Thrown where the command runs, and again when the
 * test finishes (the check runner turns a thrown error into an `error` result, which a test that
 * looks at another field would not notice).
 */
export class UnscriptedCommandError extends Error {
  readonly code = 'UNSCRIPTED_COMMAND';
  constructor(
    /** Every unscripted command line, in the order they ran. */
    readonly commands: readonly string[],
    scripted: readonly string[],
  ) {
    super(
      `fakeSystem: unscripted command${commands.length > 1 ? 's' : ''} ${commands.map((k) => `"${k}"`).join(', ')}; scripted: ${scripted.length ? scripted.map((k) => `"${k}"`).join(', ') : '(none)'} (script it, as 'notfound' if the test means it is not installed)`,
    );
    this.name = 'UnscriptedCommandError';
  }
}

/**
 * A check asked a URL (with this method) the test did not script. Thrown where it is asked, and
 * again when the test finishes, as UnscriptedCommandError is. A test that means "nothing listens
 * there" scripts `'refused'`.
 */
export class UnscriptedHttpError extends Error {
  readonly code = 'UNSCRIPTED_HTTP';
  constructor(
    /** Every unscripted "METHOD url", in the order they were asked. */
    readonly requests: readonly string[],
    scripted: readonly string[],
  ) {
    super(
      `fakeSystem: unscripted HTTP request${requests.length > 1 ? 's' : ''} ${requests.map((k) => `"${k}"`).join(', ')}; scripted: ${scripted.length ? scripted.map((k) => `"${k}"`).join(', ') : '(none)'} (script it, as 'refused' if the test means nothing listens there)`,
    );
    this.name = 'UnscriptedHttpError';
  }
}

/**
 * A check looked up a host, connected to a port or asked whether a port is free, and the test did
 * not script it. Thrown where asked, and again when the test finishes.
 */
export class UnscriptedNetError extends Error {
  readonly code = 'UNSCRIPTED_NET';
  constructor(
    /** Every unscripted question ("dnsLookup localhost", "tcpConnect 127.0.0.1:8080", …), in order. */
    readonly questions: readonly string[],
  ) {
    super(
      `fakeSystem: unscripted network question${questions.length > 1 ? 's' : ''} ${questions.map((k) => `"${k}"`).join(', ')} (script it in dns, tcp or portFree)`,
    );
    this.name = 'UnscriptedNetError';
  }
}

/**
 * The checks fakeSystem runs when a test finishes: it fails if `sys` was asked for a command or a
 * URL nobody scripted, and (unless the test opted out) if a scripted one was never used. Exported
 * so that its own tests can call it on a fake without failing themselves.
 */
export function verifyFakeSystem(
  sys: FakeSystem,
  scripted: { commands: readonly string[]; http: readonly string[] },
  optOut: { allowUnusedCommands?: boolean; allowUnusedHttp?: boolean } = {},
): void {
  if (sys.unscripted.length) throw new UnscriptedCommandError(sys.unscripted, scripted.commands);
  if (sys.unscriptedHttp.length) throw new UnscriptedHttpError(sys.unscriptedHttp, scripted.http);
  if (sys.unscriptedNet.length) throw new UnscriptedNetError(sys.unscriptedNet);
  if (!optOut.allowUnusedCommands) sys.assertAllCommandsRan();
  if (!optOut.allowUnusedHttp) sys.assertAllHttpAsked();
}

/**
 * Runs verifyFakeSystem when the running test finishes: a check that stopped running a command or
 * asking a URL is caught too. Outside a test (a fake built at collection time) only the throws
 * where a command runs or a URL is asked are left.
 */
function verifyWhenTestFinishes(
  sys: FakeSystem,
  scripted: { commands: readonly string[]; http: readonly string[] },
  optOut: { allowUnusedCommands?: boolean; allowUnusedHttp?: boolean },
): void {
  try {
    onTestFinished(() => verifyFakeSystem(sys, scripted, optOut));
  } catch {
    // Not inside a test.
  }
}

/**
 * Which script key answers "METHOD url": the exact key, else the URL's origin, which may only be
 * scripted as a dead port ('refused' or 'timeout': no path of a live server answers alike).
 */
function httpScriptKey(
  script: Record<string, HttpReply> | undefined,
  key: string,
  url: string,
): string | undefined {
  if (!script) return undefined;
  if (Object.hasOwn(script, key)) return key;
  const origin = URL.canParse(url) ? new URL(url).origin : undefined;
  if (origin === undefined || !Object.hasOwn(script, origin)) return undefined;
  const reply = script[origin];
  if (reply !== 'refused' && reply !== 'timeout')
    throw new Error(`fakeSystem: an origin key ("${origin}") scripts only 'refused' or 'timeout'`);
  return origin;
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
}

export function fakeSystem(o: FakeSystemOptions = {}): FakeSystem {
  const files = new Map(Object.entries(o.files ?? {}));
  const calls = { exec: [] as string[], http: [] as string[] };
  const written: Record<string, string> = {};
  const scripted = Object.keys(o.commands ?? {});
  const scriptedHttp = Object.keys(o.http ?? {});
  const usedCommands = new Set<string>();
  const askedHttp = new Set<string>();
  const unscripted: string[] = [];
  const unscriptedHttp: string[] = [];
  const unscriptedNet: string[] = [];
  /** The scripted answer to a network question, or UnscriptedNetError. */
  const netAnswer = <T>(script: Record<string, T> | undefined, key: string, question: string): T => {
    if (script && Object.hasOwn(script, key)) return script[key] as T;
    unscriptedNet.push(`${question} ${key}`);
    throw new UnscriptedNetError([`${question} ${key}`]);
  };
  let clock = 1_760_000_000_000;
  const sys: FakeSystem = {
    platform: o.platform ?? 'linux',
    arch: 'x64',
    env: o.env ?? {},
    homedir:
      o.homedir ??
      (o.platform === 'win32' ? 'C:\\Users\\dev' : o.platform === 'darwin' ? '/Users/dev' : '/home/dev'),
    cwd: o.cwd ?? (o.platform === 'win32' ? 'C:\\work\\app' : '/work/app'),
    osRelease:
      o.osRelease ??
      (o.platform === 'darwin' ? '24.6.0' : o.platform === 'win32' ? '10.0.22631' : '6.8.0-49-generic'),
    nodeVersion: o.nodeVersion ?? 'v24.11.0',
    memory: () => o.memory ?? { total: 64 * 1024 ** 3, free: 48 * 1024 ** 3 },
    calls,
    written,
    files,
    unscripted,
    unscriptedHttp,
    unscriptedNet,
    assertAllCommandsRan() {
      const unused = scripted.filter((k) => !usedCommands.has(k));
      if (unused.length)
        throw new Error(
          `fakeSystem: scripted commands never ran: ${unused.map((k) => `"${k}"`).join(', ')}; ran: ${calls.exec.length ? calls.exec.map((k) => `"${k}"`).join(', ') : '(none)'}`,
        );
    },
    assertAllHttpAsked() {
      const unused = scriptedHttp.filter((k) => !askedHttp.has(k));
      if (unused.length)
        throw new Error(
          `fakeSystem: scripted HTTP requests never asked: ${unused.map((k) => `"${k}"`).join(', ')}; asked: ${calls.http.length ? calls.http.map((k) => `"${k}"`).join(', ') : '(none)'} (allowUnusedHttp: a test that scripts a whole server)`,
        );
    },
    assertAllUsed() {
      sys.assertAllCommandsRan();
      sys.assertAllHttpAsked();
    },
    async exec(file, args): Promise<ExecResult> {
      const key = [file, ...args].join(' ');
      calls.exec.push(key);
      const matched = o.commands && Object.hasOwn(o.commands, key) ? key : file;
      const reply = o.commands && Object.hasOwn(o.commands, matched) ? o.commands[matched] : undefined;
      if (reply === undefined) {
        unscripted.push(key);
        throw new UnscriptedCommandError([key], scripted);
      }
      usedCommands.add(matched);
      if (reply === 'notfound')
        return { exitCode: null, stdout: '', stderr: '', notFound: true, timedOut: false };
      return {
        exitCode: reply.exitCode ?? 0,
        stdout: reply.stdout ?? '',
        stderr: reply.stderr ?? '',
        notFound: false,
        timedOut: false,
      };
    },
    async readFile(file) {
      const v = files.get(file);
      return v === undefined ? undefined : v.toString();
    },
    async readBytes(file, offset, length) {
      const v = files.get(file);
      if (v === undefined) return undefined;
      const buf = Buffer.isBuffer(v) ? v : Buffer.from(v);
      return buf.subarray(offset, offset + length);
    },
    async stat(file) {
      const v = files.get(file);
      if (v !== undefined)
        return { size: Buffer.byteLength(v), isFile: true, isDirectory: false, mtimeMs: 0 };
      const prefix =
        file.endsWith('/') || file.endsWith('\\') ? file : `${file}${o.platform === 'win32' ? '\\' : '/'}`;
      if ([...files.keys()].some((k) => k.startsWith(prefix)))
        return { size: 0, isFile: false, isDirectory: true, mtimeMs: 0 };
      return undefined;
    },
    async writeFileAtomic(file, content) {
      written[file] = content;
      files.set(file, content);
    },
    async inspectFile(file) {
      // The fakes script plain files only: no links, all writable.
      return files.has(file) ? { writable: true } : undefined;
    },
    async copyFile(from, to, options = {}) {
      const v = files.get(from);
      if (v === undefined) throw new Error(`ENOENT ${from}`);
      if (options.exclusive && files.has(to))
        throw Object.assign(new Error(`EEXIST ${to}`), { code: 'EEXIST' });
      files.set(to, v);
      written[to] = v.toString();
    },
    async http(url, options = {}): Promise<HttpResponse> {
      const key = `${options.method ?? 'GET'} ${url}`;
      calls.http.push(key);
      const scriptedKey = httpScriptKey(o.http, key, url);
      const reply = scriptedKey === undefined ? undefined : o.http?.[scriptedKey];
      if (reply === undefined || scriptedKey === undefined) {
        unscriptedHttp.push(key);
        throw new UnscriptedHttpError([key], scriptedHttp);
      }
      askedHttp.add(scriptedKey);
      if (reply === 'refused') throw refused();
      if (reply === 'timeout')
        throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
      const r = typeof reply === 'function' ? reply(options.body) : reply;
      return {
        status: r.status ?? 200,
        headers: { 'content-type': 'application/json', ...r.headers },
        body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body),
      };
    },
    async dnsLookup(host) {
      return netAnswer(o.dns, host, 'dnsLookup');
    },
    async tcpConnect(host, port) {
      return netAnswer(o.tcp, `${host}:${port}`, 'tcpConnect');
    },
    async portFree(host, port) {
      return netAnswer(o.portFree, `${host}:${port}`, 'portFree');
    },
    isTTY: false,
    now: () => (clock += 5),
  };
  verifyWhenTestFinishes(
    sys,
    { commands: scripted, http: scriptedHttp },
    { allowUnusedCommands: o.allowUnusedCommands, allowUnusedHttp: o.allowUnusedHttp },
  );
  return sys;
}

export function fakeContext(
  system: SystemContext,
  options: { config?: DsbConfigInput; upstreamUrl?: string; bridgeUrl?: string; modelFile?: string } = {},
): CheckContext {
  return createCheckContext({
    system,
    config: configSchema.parse(options.config ?? {}),
    upstreamUrl: options.upstreamUrl ?? 'http://127.0.0.1:8080',
    bridgeUrl: options.bridgeUrl ?? 'http://127.0.0.1:3000',
    modelFile: options.modelFile,
  });
}

/**
 * A test's statement that nothing listens at these origins ("http://127.0.0.1:8080"): every request
 * to them is refused, whatever the path (the fake fails the test if none is ever asked).
 */
export function nothingListensAt(...origins: string[]): Record<string, HttpReply> {
  return Object.fromEntries(origins.map((origin) => [origin, 'refused' as const]));
}

/** Discovery answers of a llama-server at `base` (GET routes), replayed from the recorded fixtures. */
export function llamaServerHttp(
  base = 'http://127.0.0.1:8080',
  overrides: Record<string, HttpReply> = {},
): Record<string, HttpReply> {
  const llamaHeaders = { server: 'llama.cpp' };
  return {
    [`GET ${base}/health`]: { body: llamaFixture('01_health'), headers: llamaHeaders },
    [`GET ${base}/props`]: { body: llamaFixture('02_props'), headers: llamaHeaders },
    [`GET ${base}/v1/models`]: { body: llamaFixture('03_v1_models'), headers: llamaHeaders },
    [`GET ${base}/api/version`]: {
      status: 404,
      body: llamaFixture('26_unknown_route'),
      headers: llamaHeaders,
    },
    [`GET ${base}/version`]: { status: 404, body: llamaFixture('26_unknown_route'), headers: llamaHeaders },
    [`GET ${base}/get_model_info`]: {
      status: 404,
      body: llamaFixture('26_unknown_route'),
      headers: llamaHeaders,
    },
    ...overrides,
  };
}

/**
 * llama-server's POST /v1/chat/completions, replayed (a forced tool call, else a greedy answer): for
 * tests whose checks send a chat request (the discovery answers above do not include it, so that a
 * test that never chats does not script it).
 */
export function llamaChatHttp(base = 'http://127.0.0.1:8080'): Record<string, HttpReply> {
  return {
    [`POST ${base}/v1/chat/completions`]: (body) => {
      const req = JSON.parse(body ?? '{}') as { tools?: unknown; tool_choice?: unknown };
      return {
        body: llamaFixture(req.tools && req.tool_choice ? '10_tools_required' : '05_chat_greedy'),
        headers: { server: 'llama.cpp' },
      };
    },
  };
}

/** llama-server's /props and /v1/models with the context size (and slots) replaced, as `-c N -np S` would. */
export function llamaWithContext(
  nCtx: number,
  slots = 1,
  base = 'http://127.0.0.1:8080',
  more: Record<string, HttpReply> = {},
): Record<string, HttpReply> {
  const props = JSON.parse(llamaFixture('02_props'));
  props.default_generation_settings.n_ctx = nCtx;
  props.total_slots = slots;
  const models = JSON.parse(llamaFixture('03_v1_models'));
  models.data[0].meta.n_ctx = nCtx * slots;
  models.data[0].meta.n_ctx_train = 163840;
  return llamaServerHttp(base, {
    [`GET ${base}/props`]: { body: props, headers: { server: 'llama.cpp' } },
    [`GET ${base}/v1/models`]: { body: models, headers: { server: 'llama.cpp' } },
    ...more,
  });
}
