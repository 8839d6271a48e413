// Runs the real Claude Code CLI (the devDependency @anthropic-ai/claude-code) against a bridge, in a
// throw-away HOME / CLAUDE_CONFIG_DIR / working directory, with nothing inherited that could point it
// elsewhere (ANTHROPIC_*, CLAUDE_*, proxies, CI markers).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** node_modules/.bin: the claude binary, and Node 24 (Claude Code needs Node >= 22). */
export const LOCAL_BIN = path.join(repoRoot, 'node_modules', '.bin');
export const CLAUDE_BIN = path.join(LOCAL_BIN, process.platform === 'win32' ? 'claude.cmd' : 'claude');

export function claudeAvailable(): boolean {
  return existsSync(CLAUDE_BIN);
}

export interface ClaudeSandbox {
  root: string;
  /** HOME of the run. */
  home: string;
  /** CLAUDE_CONFIG_DIR (inside home): settings, sessions and transcripts live here. */
  configDir: string;
  /** The working directory claude runs in. */
  cwd: string;
  /** TMPDIR of the run: Claude Code puts its sockets and scratch files there. */
  tmp: string;
  cleanup(): Promise<void>;
}

export async function createClaudeSandbox(prefix = 'dsb-e2e-'): Promise<ClaudeSandbox> {
  const root = await mkdtemp(path.join(tmpdir(), prefix));
  const home = path.join(root, 'home');
  const configDir = path.join(home, '.claude');
  const cwd = path.join(root, 'work');
  const tmp = path.join(root, 'tmp');
  await mkdir(configDir, { recursive: true });
  await mkdir(cwd, { recursive: true });
  await mkdir(tmp, { recursive: true });
  return { root, home, configDir, cwd, tmp, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/**
 * Only what claude needs, built from scratch rather than filtered from process.env: a CI runner's
 * ANTHROPIC_API_KEY, CLAUDE_CODE_* toggles, HTTPS_PROXY, GITHUB_ACTIONS or NODE_OPTIONS would each
 * change what Claude Code does or where it connects.
 */
export function claudeEnv(
  baseUrl: string,
  sandbox: Pick<ClaudeSandbox, 'home' | 'configDir' | 'tmp'>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: [LOCAL_BIN, '/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter),
    HOME: sandbox.home,
    CLAUDE_CONFIG_DIR: sandbox.configDir,
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_AUTH_TOKEN: 'dsb',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    NO_PROXY: '127.0.0.1,localhost,::1',
    TMPDIR: sandbox.tmp,
    // A bridge error must fail the test in seconds with Claude Code's message, not after its ten
    // retries over ~3 minutes (the variable exists in 2.1.331; verified with a refused connection).
    CLAUDE_CODE_MAX_RETRIES: '2',
  };
  for (const name of ['LANG', 'LC_ALL', 'TZ', 'USER', 'LOGNAME', 'SystemRoot']) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return { ...env, ...extra };
}

export interface RunClaudeOptions {
  baseUrl: string;
  sandbox: ClaudeSandbox;
  prompt: string;
  /** Default `json`. */
  outputFormat?: 'json' | 'stream-json';
  /** Extra CLI arguments, e.g. `['--allowedTools', 'Write']` or `['--continue']`. */
  args?: string[];
  env?: Record<string, string>;
  /** Default 90 s: claude is killed after it (a hang must fail the test, not the suite). */
  timeoutMs?: number;
  /**
   * `--max-turns` (a hidden flag of 2.1.331, verified): a tool loop that never ends stops with
   * `error_max_turns` instead of running until the timeout. Default 8.
   */
  maxTurns?: number;
}

/** What `claude -p --output-format json` prints (the fields the tests use). */
export interface ClaudeJsonResult {
  type: 'result';
  subtype: string;
  is_error: boolean;
  result?: string;
  session_id?: string;
  num_turns?: number;
  [key: string]: unknown;
}

export interface ClaudeRun {
  exitCode: number | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The final result object (json: stdout; stream-json: the `type: "result"` line). */
  result: ClaudeJsonResult | undefined;
  /** stream-json only: every line of output, parsed. */
  events: Array<Record<string, unknown>>;
  /** A one-paragraph description for assertion messages. */
  describe(): string;
}

export async function runClaude(options: RunClaudeOptions): Promise<ClaudeRun> {
  const format = options.outputFormat ?? 'json';
  const args = ['-p', options.prompt, '--output-format', format];
  if (format === 'stream-json') args.push('--verbose');
  args.push('--max-turns', String(options.maxTurns ?? 8), ...(options.args ?? []));
  const started = performance.now();
  const child = await execa(CLAUDE_BIN, args, {
    cwd: options.sandbox.cwd,
    env: claudeEnv(options.baseUrl, options.sandbox, options.env),
    extendEnv: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 90_000,
    forceKillAfterDelay: 2_000,
    reject: false,
    stripFinalNewline: true,
  });
  const durationMs = performance.now() - started;
  const stdout = String(child.stdout ?? '');
  const stderr = String(child.stderr ?? '');
  const events: Array<Record<string, unknown>> = [];
  let result: ClaudeJsonResult | undefined;
  if (format === 'json') {
    try {
      result = JSON.parse(stdout) as ClaudeJsonResult;
    } catch {
      result = undefined;
    }
  } else {
    for (const line of stdout.split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a non-JSON line: kept in stdout for the failure message
      }
    }
    result = events.find((e) => e.type === 'result') as ClaudeJsonResult | undefined;
  }
  return {
    exitCode: child.exitCode,
    timedOut: child.timedOut,
    stdout,
    stderr,
    durationMs,
    result,
    events,
    describe: () =>
      `${child.exitCode === undefined && child.failed ? `${child.shortMessage}\n` : ''}claude ${args.map((a) => JSON.stringify(a)).join(' ')} → exit ${child.exitCode}${child.timedOut ? ' (timed out)' : ''} after ${Math.round(durationMs)} ms\nstdout: ${stdout.slice(0, 3000)}\nstderr: ${stderr.slice(0, 3000)}`,
  };
}
