// What each part of init's plan (plan-*.ts) gets to work with and what it adds: files to write,
// notes and next steps. plan.ts runs the parts in order and builds the Plan from what they add.
import type path from 'node:path';
import type { FileRole, InitAnswers, InitFacts } from './types.js';

/** One file the plan writes. */
export interface Output {
  path: string;
  role: FileRole;
  description: string;
  mode?: number;
  /** The new content, given the current one. Throws MergeError when the current one cannot be merged. */
  produce(before: string | undefined): string;
}

export interface PlanInput {
  answers: InitAnswers;
  facts: Omit<InitFacts, 'files'>;
  /** Path functions of the target platform (Windows paths on Windows, whatever dsb runs on). */
  p: path.PlatformPath;
  /** Where scripts go. */
  scripts: string;
  /** dsb's config file (the scope's, or --config). */
  configPath: string;
  /** The bridge's address, as Claude Code is told. */
  bridgeUrl: string;
}

/** What the parts add, in the order they run: that order is the order the user reads them in. */
export interface Draft {
  outputs: Output[];
  notes: string[];
  /** Steps after the ones every plan starts with (start the server, the bridge, then Claude Code). */
  nextSteps: string[];
}

/** A file whose whole content the plan decides, whatever was there. */
export function wholeFile(
  path: string,
  role: FileRole,
  description: string,
  content: string,
  mode?: number,
): Output {
  return { path, role, description, mode, produce: () => content };
}
