// `dsb serve` runs with a young-generation cap. Node sizes V8's young generation from the machine's
// RAM (semi-spaces up to 64 MB each on a 24 GB machine), and a bridge holding hundreds of streams
// fills it: measured with 200 streams open (npm run bench), 230 MB RSS with Node's defaults, under
// 150 MB with 8 MB semi-spaces, at the same rate and latency (with the CPU saturated, ~7 % fewer
// requests/s: more scavenges). The size can only be set when the
// process starts (v8.setFlagsFromString does nothing once the heap exists), so bin/run.js replaces
// the process with itself plus the flag, before anything else loads: the same pid, stdio and
// signals, so systemd units, Docker and terminals see one process. Where process.execve does not
// exist (Windows, Node < 22.15) dsb serves with Node's defaults; NODE_OPTIONS does the same there.

/** Default semi-space size (MB) for `dsb serve`; DSB_SEMI_SPACE_MB overrides, 0 keeps Node's. */
export const SERVE_SEMI_SPACE_MB = 8;

/** Set in the re-executed process, so that it never re-executes again. */
export const REEXEC_MARKER = 'DSB_SERVE_REEXEC';

export interface ServeProcessInput {
  /** process.argv: [node, script, ...args]. */
  argv: readonly string[];
  execArgv: readonly string[];
  execPath: string;
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  /** Whether process.execve exists in this Node. */
  canExecve: boolean;
}

export interface ServeProcessPlan {
  file: string;
  /** Full argv of the new image, argv[0] included. */
  args: string[];
  env: Record<string, string>;
  /** The V8 / Node flags added (for tests and the start line). */
  added: string[];
}

const SEMI_SPACE_FLAG = /^--max-semi-space-size(=|$)/;
const INSPECT_FLAG = /^--inspect(-brk|-wait)?(=|$)/;

/**
 * The exec that gives `dsb serve` its memory flags, or undefined when this process should serve as
 * it is: not `serve`, already re-executed, no execve here, the user chose a semi-space size
 * (execArgv or NODE_OPTIONS), a debugger is on (--inspect), or DSB_SEMI_SPACE_MB=0.
 */
export function planServeProcess(input: ServeProcessInput): ServeProcessPlan | undefined {
  const [, script, command] = input.argv;
  if (command !== 'serve' || script === undefined) return undefined;
  if (!input.canExecve || input.platform === 'win32') return undefined;
  if (input.env[REEXEC_MARKER] === '1') return undefined;
  if (input.execArgv.some((a) => SEMI_SPACE_FLAG.test(a))) return undefined;
  const nodeOptions = (input.env.NODE_OPTIONS ?? '').split(/\s+/);
  if (nodeOptions.some((a) => SEMI_SPACE_FLAG.test(a))) return undefined;
  // A debugger attached to this process would lose it at the exec.
  if ([...input.execArgv, ...nodeOptions].some((a) => INSPECT_FLAG.test(a))) return undefined;

  const requested = input.env.DSB_SEMI_SPACE_MB;
  let semiSpaceMb = SERVE_SEMI_SPACE_MB;
  if (requested !== undefined && requested.trim() !== '') {
    const n = Number(requested);
    // A bad value is not worth refusing to serve over: keep the default (serve reports the env).
    if (Number.isInteger(n) && n >= 0 && n <= 1024) semiSpaceMb = n;
  }
  if (semiSpaceMb === 0) return undefined;

  const added = [`--max-semi-space-size=${semiSpaceMb}`];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.env)) if (v !== undefined) env[k] = v;
  env[REEXEC_MARKER] = '1';
  // glibc gives each thread that allocates its own malloc arena; Node's V8 and libuv threads then
  // hold freed memory in several of them. Two arenas measured ~5 MB less at 200 streams, same speed.
  // Read by glibc only when a process starts; ignored by other C libraries.
  if (env.MALLOC_ARENA_MAX === undefined) env.MALLOC_ARENA_MAX = '2';
  return {
    file: input.execPath,
    args: [input.execPath, ...added, ...input.execArgv, ...input.argv.slice(1)],
    env,
    added,
  };
}

type Execve = (file: string, args: string[], env: Record<string, string>) => never;

/**
 * Called first thing by bin/run.js. Replaces the process when planServeProcess says so; returns
 * (and serves in this process) when it does not, or when the exec fails.
 */
export function execServeProcessIfNeeded(): void {
  const execve = (process as unknown as { execve?: Execve }).execve;
  const plan = planServeProcess({
    argv: process.argv,
    execArgv: process.execArgv,
    execPath: process.execPath,
    env: process.env,
    platform: process.platform,
    canExecve: typeof execve === 'function',
  });
  if (!plan || !execve) return;
  try {
    execve.call(process, plan.file, plan.args, plan.env);
  } catch {
    // e.g. EACCES in a sandbox: serving with Node's default heap beats not serving.
  }
}
