// The one object through which dsb touches the OS (design.md §3): commands build the real one,
// tests pass fakes that replay recorded outputs for Windows, WSL1/2, Linux and macOS.

export interface ExecResult {
  /** null when the command could not be started at all (see `notFound`). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The executable does not exist on PATH. */
  notFound: boolean;
  timedOut: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** false: the command sees only `env`; default true: the current environment plus `env`. */
  extendEnv?: boolean;
  input?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export interface DnsAddress {
  address: string;
  family: 4 | 6;
}

export interface FileStat {
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  mtimeMs: number;
}

/** What `dsb init` must know before it replaces a file (issue 13): a link it must not break, a file the user protected. */
export interface FileInspection {
  /** Set when the path is a symbolic link: where it points, and whether that exists. */
  symlink?: { target: string; dangling: boolean };
  /** The current user may write the file (false: read-only, e.g. chmod a-w). */
  writable: boolean;
}

export interface SpawnOptions {
  cwd?: string;
  /** Added to the current environment. */
  env?: NodeJS.ProcessEnv;
  /** Called with every chunk the process writes (decoded as UTF-8). */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export interface SpawnExit {
  exitCode: number | null;
  signal: string | null;
  /** The executable does not exist on PATH. */
  notFound: boolean;
  /** Why it could not start, when it could not. */
  error?: string;
}

/** A long-running child process (a model server started by `dsb launch --run`). */
export interface SpawnedProcess {
  pid: number | undefined;
  exited: Promise<SpawnExit>;
  kill(signal?: NodeJS.Signals): void;
}

export interface SystemContext {
  platform: NodeJS.Platform;
  arch: string;
  env: NodeJS.ProcessEnv;
  homedir: string;
  cwd: string;
  /** Kernel release (`uname -r`), e.g. `5.15.167.4-microsoft-standard-WSL2`. */
  osRelease: string;
  /** Node version running dsb, e.g. `v24.11.0`. */
  nodeVersion: string;
  /** Total and free memory in bytes. */
  memory(): { total: number; free: number };
  exec(file: string, args: string[], options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<string | undefined>;
  /** Reads at most `length` bytes from `offset`: for headers of multi-GB files (GGUF). */
  readBytes(path: string, offset: number, length: number): Promise<Buffer | undefined>;
  stat(path: string): Promise<FileStat | undefined>;
  /** Atomic write (temp file + rename), creating parent folders. */
  writeFileAtomic(path: string, content: string, options?: { mode?: number }): Promise<void>;
  /** Copies a file; `exclusive` fails with code EEXIST instead of replacing an existing `to`. */
  copyFile(from: string, to: string, options?: { exclusive?: boolean }): Promise<void>;
  /** Symbolic link and write permission of an existing path (undefined: nothing there, not even a link). */
  inspectFile(path: string): Promise<FileInspection | undefined>;
  http(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  dnsLookup(host: string): Promise<DnsAddress[]>;
  /** Resolves true when a TCP connection to host:port opens within the timeout. */
  tcpConnect(host: string, port: number, timeoutMs: number): Promise<boolean>;
  /** Whether host:port can be bound right now (false: something already listens there). */
  portFree(host: string, port: number): Promise<boolean>;
  isTTY: boolean;
  now(): number;
  /** Starts a long-running process and streams its output (optional: fakes may leave it out). */
  spawn?(file: string, args: string[], options?: SpawnOptions): SpawnedProcess;
}
