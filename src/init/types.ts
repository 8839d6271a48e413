// What init asks (answers) and what it will do (plan).

import type { LaunchPlan } from '../launch/generate.js';
import type { CommandLine } from '../shell/command.js';
import type { Templates } from '../shell/templates.js';
import type { UpstreamKind } from '../upstreams/kind.js';
import type { PathFacts, Scope } from './paths.js';

export interface InitAnswers {
  backend: UpstreamKind;
  /** Base URL of the model server or API (without /v1). */
  upstreamUrl: string;
  /** GGUF path, HF id, Ollama tag or API model id; optional only for `openai`. */
  model?: string;
  /** DeepSeek API / other provider key: stored in dsb's config (mode 0600), never in Claude Code's settings. */
  apiKey?: string;
  /** The upstream's real per-request context, in tokens. */
  ctxSize: number;
  /** Where ctxSize came from (flag, the upstream's report, a default). */
  ctxSource: string;
  maxOutputTokens: number;
  gpus: number;
  bridgePort: number;
  scope: Scope;
  /** --config: where dsb's config goes instead of the scope's usual file. */
  configFile?: string;
  /** Add the project's dsb config to .gitignore (project scope in a git repository). */
  gitignore?: boolean;
  vscode: boolean;
  firewall: boolean;
}

export interface FirewallFacts {
  ufw: boolean;
  firewalld: boolean;
  /** root on Linux, an elevated token on Windows. */
  admin: boolean;
}

export interface InitFacts extends PathFacts {
  isWsl: boolean;
  /** Existing content of every file the plan touches (undefined: it does not exist). */
  files: Record<string, string | undefined>;
  /** VS Code user folders that exist (flavours installed). */
  existingDirs: string[];
  /** How to run dsb itself, e.g. [node, /path/to/bin/run.js]. */
  dsbCommand: string[];
  firewall: FirewallFacts;
  templates: Templates;
}

export type FileRole = 'dsb-config' | 'claude-settings' | 'vscode-settings' | 'script' | 'firewall-script';

export interface PlannedFile {
  path: string;
  role: FileRole;
  description: string;
  before: string | undefined;
  after: string;
  changed: boolean;
  mode?: number;
}

export interface FirewallPlan {
  /** Commands that apply the rule here, in order (empty: nothing to apply on this machine). */
  commands: CommandLine[];
  /** Whether dsb may run them (admin rights); otherwise `manual` says what to run. */
  canApply: boolean;
  manual: string[];
  summary: string;
}

export interface Plan {
  answers: InitAnswers;
  /** The model name Claude Code sends (ANTHROPIC_MODEL). */
  claudeModel: string;
  files: PlannedFile[];
  launch?: LaunchPlan;
  firewall?: FirewallPlan;
  notes: string[];
  nextSteps: string[];
  /** Strings never to print (API keys). */
  secrets: string[];
}
