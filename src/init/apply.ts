// The I/O half of init: read every target, plan, then (unless --dry-run) back up and write each
// changed file atomically, and apply firewall rules when confirmed and allowed.
import { createTwoFilesPatch } from 'diff';
import { DsbError } from '../errors.js';
import { createRedactor } from '../redact.js';
import type { Templates } from '../shell/templates.js';
import type { SystemContext } from '../system/context.js';
import { detectWsl } from '../system/platform.js';
import { vscodeTargets } from './paths.js';
import { planTargets } from './plan.js';
import type { FirewallFacts, InitAnswers, InitFacts, Plan, PlannedFile } from './types.js';

export async function detectAdmin(ctx: SystemContext): Promise<boolean> {
  if (ctx.platform === 'win32') {
    // `net session` needs an elevated token: its exit code is the classic, dependency-free test.
    const res = await ctx.exec('net', ['session'], { timeoutMs: 5000 });
    return res.exitCode === 0;
  }
  const res = await ctx.exec('id', ['-u'], { timeoutMs: 5000 });
  return res.exitCode === 0 && res.stdout.trim() === '0';
}

export async function detectFirewall(ctx: SystemContext, wanted: boolean): Promise<FirewallFacts> {
  if (!wanted) return { ufw: false, firewalld: false, admin: false };
  const admin = await detectAdmin(ctx);
  if (ctx.platform !== 'linux') return { ufw: false, firewalld: false, admin };
  const ufw = await ctx.exec('ufw', ['version'], { timeoutMs: 5000 });
  const firewalld = await ctx.exec('firewall-cmd', ['--state'], { timeoutMs: 5000 });
  return { ufw: ufw.exitCode === 0, firewalld: firewalld.exitCode === 0, admin };
}

/** Everything the pure planner needs, read from the machine. */
export async function gatherFacts(
  ctx: SystemContext,
  answers: InitAnswers,
  templates: Templates,
  dsbCommand: string[],
): Promise<InitFacts> {
  const base = { platform: ctx.platform, env: ctx.env, homedir: ctx.homedir, cwd: ctx.cwd };
  const existingDirs: string[] = [];
  for (const target of vscodeTargets(base)) {
    if ((await ctx.stat(target.userDir))?.isDirectory) existingDirs.push(target.userDir);
  }
  const partial = {
    ...base,
    isWsl: detectWsl(ctx) !== null,
    existingDirs,
    dsbCommand,
    firewall: await detectFirewall(ctx, answers.firewall),
    templates,
  };
  const files: Record<string, string | undefined> = {};
  for (const path of planTargets(answers, partial)) {
    const stat = await ctx.stat(path);
    if (stat && !stat.isFile) throw new Error(`${path} exists but is not a file`);
    const text = stat ? await ctx.readFile(path) : undefined;
    if (stat && text === undefined) throw new Error(`cannot read ${path}: check its permissions`);
    files[path] = text;
  }
  return { ...partial, files };
}

/** dsb's one redactor (src/redact.ts): the given secrets, their base64 copies and key shapes. */
export function redact(text: string, secrets: string[]): string {
  return createRedactor(secrets)(text);
}

/** Unified diff of one planned file (secrets redacted). */
export function fileDiff(file: PlannedFile, secrets: string[] = []): string {
  const patch = createTwoFilesPatch(
    file.before === undefined ? '/dev/null' : file.path,
    file.path,
    redact(file.before ?? '', secrets),
    redact(file.after, secrets),
    undefined,
    undefined,
    { context: 3 },
  );
  // Drop the "Index:"/"====" preamble: start at the ---/+++ header.
  return patch.slice(patch.indexOf('--- '));
}

export function backupStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export interface FileResult {
  path: string;
  description: string;
  action: 'created' | 'updated' | 'unchanged';
  backup?: string;
}

export interface FirewallResult {
  summary: string;
  applied: boolean;
  /** Why not applied, or what each command said. */
  messages: string[];
  manual: string[];
}

export interface ApplyResult {
  dryRun: boolean;
  changed: boolean;
  files: FileResult[];
  firewall?: FirewallResult;
}

export interface ApplyOptions {
  dryRun: boolean;
  /** The user confirmed applying firewall rules (or passed --yes). */
  applyFirewall: boolean;
  /**
   * Asks whether a read-only file may be replaced anyway (resolves true to replace it). Without
   * it, a read-only target is refused: the user made it so on purpose.
   */
  confirmReadOnly?(path: string): Promise<boolean>;
}

/** Why init will not write a file; nothing has been written when it is thrown. */
export class InitRefusedError extends DsbError {
  constructor(
    readonly reason: 'dangling-symlink' | 'read-only',
    readonly path: string,
    message: string,
  ) {
    super('INIT_REFUSED', message, { details: { reason, path } });
    this.name = 'InitRefusedError';
  }
}

/**
 * Refuses, before anything is written, to replace a symbolic link whose target does not exist
 * (the write would put a plain file in place of the user's link), or a read-only file the user has
 * not confirmed (write-file-atomic replaces it by rename, whatever its mode).
 */
async function checkWritable(ctx: SystemContext, plan: Plan, options: ApplyOptions): Promise<void> {
  for (const f of plan.files) {
    if (!f.changed) continue;
    const info = await ctx.inspectFile(f.path);
    if (!info) continue;
    if (info.symlink?.dangling) {
      throw new InitRefusedError(
        'dangling-symlink',
        f.path,
        `${f.path} is a symbolic link to ${info.symlink.target}, which does not exist: dsb init will not replace the link with a plain file. Create the target (or remove the link) and run dsb init again.`,
      );
    }
    if (!info.writable && !(options.confirmReadOnly && (await options.confirmReadOnly(f.path)))) {
      throw new InitRefusedError(
        'read-only',
        f.path,
        `${f.path} is read-only: dsb init will not overwrite it without asking. Make it writable (chmod u+w "${f.path}") or run dsb init in a terminal to confirm.`,
      );
    }
  }
}

/**
 * Copies `file` to a backup name that no other file has: `.bak-<stamp>`, then `-2`, `-3`… Each
 * copy is an exclusive create, so two runs in the same second never overwrite each other's
 * backup (the user's original would be in none). Returns the name used.
 */
async function backUp(ctx: SystemContext, file: string, stamp: string): Promise<string> {
  for (let n = 1; n <= 1000; n++) {
    const name = `${file}.bak-${stamp}${n === 1 ? '' : `-${n}`}`;
    try {
      await ctx.copyFile(file, name, { exclusive: true });
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`cannot find a free backup name for ${file}`);
}

export async function applyPlan(ctx: SystemContext, plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const stamp = backupStamp(ctx.now());
  const files: FileResult[] = plan.files.map((f) => ({
    path: f.path,
    description: f.description,
    action: !f.changed ? 'unchanged' : f.before === undefined ? 'created' : 'updated',
    backup: f.changed && f.before !== undefined ? `${f.path}.bak-${stamp}` : undefined,
  }));
  const changed = plan.files.some((f) => f.changed);
  let firewall: FirewallResult | undefined;
  if (plan.firewall) {
    firewall = { summary: plan.firewall.summary, applied: false, messages: [], manual: plan.firewall.manual };
  }
  await checkWritable(ctx, plan, options);
  if (options.dryRun) return { dryRun: true, changed, files, firewall };

  // Back up everything first, so a failure while writing leaves a copy of every original.
  for (const [i, f] of plan.files.entries()) {
    const result = files[i]!;
    if (result.backup) result.backup = await backUp(ctx, f.path, stamp);
  }
  for (const f of plan.files) {
    if (f.changed)
      await ctx.writeFileAtomic(f.path, f.after, f.mode === undefined ? undefined : { mode: f.mode });
  }

  if (firewall && plan.firewall) {
    if (plan.firewall.commands.length === 0) {
      firewall.messages.push('nothing to apply on this machine');
    } else if (!options.applyFirewall) {
      firewall.messages.push('not applied (not confirmed): run the command below yourself');
    } else if (!plan.firewall.canApply) {
      firewall.messages.push('not applied: needs administrator rights; run the command below as admin');
    } else {
      let ok = true;
      for (const cmd of plan.firewall.commands) {
        const res = await ctx.exec(cmd.program, cmd.args, { timeoutMs: 60_000 });
        const out = (res.stdout || res.stderr).trim();
        firewall.messages.push(
          `${cmd.program} ${cmd.args[0] ?? ''}: ${res.exitCode === 0 ? 'ok' : `failed (${res.notFound ? 'not found' : `exit ${res.exitCode}`})`}${out ? ` — ${out.split('\n')[0]}` : ''}`,
        );
        if (res.exitCode !== 0) {
          ok = false;
          break;
        }
      }
      firewall.applied = ok;
    }
  }
  return { dryRun: false, changed, files, firewall };
}
