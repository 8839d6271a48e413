// dsb's errors: one class with a stable string code, so control flow and exit codes depend on what
// went wrong, never on the wording of a message (which may change, and is redacted on the way out).

/** Every code a DsbError can carry. Codes are stable: tests, scripts and exit codes depend on them. */
export type DsbErrorCode =
  // Input the user gave: config, flags, answers (exit 2).
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'UNKNOWN_CHECK'
  | 'LAUNCH_USAGE'
  // Things that failed while doing the work (exit 1).
  | 'LAUNCH_FAILED'
  | 'MERGE_FAILED'
  | 'INIT_REFUSED'
  | 'GGUF_INVALID'
  | 'CHECK_TIMEOUT'
  // The bridge: an answer in the Anthropic error shape (BridgeError), and what its parts throw.
  | 'BRIDGE_ERROR'
  | 'BRIDGE_UNSAFE_LISTEN'
  | 'PROMPT_TOO_LONG'
  | 'BODY_TOO_LARGE'
  | 'SSE_LINE_TOO_LONG'
  | 'STREAM_ERROR_EVENT';

export interface DsbErrorOptions {
  cause?: unknown;
  /** Facts about the failure for programs (`--json` output, logs); never secrets. */
  details?: Record<string, unknown>;
}

export class DsbError extends Error {
  readonly code: DsbErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: DsbErrorCode, message: string, options: DsbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DsbError';
    this.code = code;
    this.details = options.details;
  }
}

/** Whether `error` is a DsbError, with one of `codes` when given. */
export function isDsbError(error: unknown, ...codes: DsbErrorCode[]): error is DsbError {
  return error instanceof DsbError && (codes.length === 0 || codes.includes(error.code));
}

/** Codes that mean the user's input was wrong: the command exits 2 (usage), as oclif does for flags. */
const USAGE_CODES: ReadonlySet<DsbErrorCode> = new Set([
  'CONFIG_INVALID',
  'USAGE',
  'UNKNOWN_CHECK',
  'LAUNCH_USAGE',
  'BRIDGE_UNSAFE_LISTEN',
]);

/**
 * The process exit code for an error a command could not recover from: the one place that maps
 * codes to exit codes. Undefined for errors that are not dsb's own (bugs: let them surface).
 */
export function exitCodeFor(error: unknown): number | undefined {
  if (!(error instanceof DsbError)) return undefined;
  return USAGE_CODES.has(error.code) ? 2 : 1;
}

/** What a command needs to end itself with a message and an exit code (oclif's `this.error`). */
export interface FailingCommand {
  error(message: string, options: { exit: number }): never;
}

/**
 * For a command's catch blocks: ends the command with the message and the exit code of a DsbError
 * (exitCodeFor), and rethrows anything else (a bug: oclif shows its stack).
 */
export function failCommand(command: FailingCommand, error: unknown): never {
  const exit = exitCodeFor(error);
  if (exit !== undefined) command.error((error as Error).message, { exit });
  throw error;
}
