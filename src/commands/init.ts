// `dsb init`: asks (or takes flags), plans every file change, shows it, then applies it safely.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { confirm } from '@inquirer/prompts';
import { Flags } from '@oclif/core';
import { DsbCommand } from '../cli/base.js';
import { configFlag, modelFileFlag, modelFromFlags, modelIdFlag, upstreamFlag } from '../cli/flags.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { exitCodeFor, failCommand } from '../errors.js';
import { defaultsAsker, type InitFlags, resolveAnswers } from '../init/answers.js';
import { type ApplyResult, applyPlan, fileDiff, gatherFacts, redact } from '../init/apply.js';
import { MergeError } from '../init/jsonc-merge.js';
import { buildPlan } from '../init/plan.js';
import { confirmApply, confirmFirewall, confirmGitignore, interactiveAsker } from '../init/questions.js';
import { renderPlan, renderResult } from '../init/render.js';
import { type SavedAnswers, savedAnswers } from '../init/saved.js';
import type { InitAnswers } from '../init/types.js';
import { REDACTED } from '../redact.js';
import { loadTemplates } from '../shell/templates.js';
import { createSystemContext } from '../system/node.js';
import { UPSTREAM_KINDS } from '../upstreams/kind.js';

export interface InitReport {
  dryRun: boolean;
  changed: boolean;
  answers: Omit<InitAnswers, 'apiKey'> & { apiKey?: string };
  claudeModel: string;
  files: Array<ApplyResult['files'][number] & { diff?: string }>;
  firewall?: ApplyResult['firewall'];
  notes: string[];
  nextSteps: string[];
}

export default class Init extends DsbCommand {
  protected override cancelledMessage = 'Cancelled: nothing was written.';

  static override summary =
    'Write a working setup: dsb config, Claude Code and VS Code settings, launch scripts, firewall rules.';

  static override description =
    `Asks a few questions (every one is also a flag), then plans every change and shows it before writing:
  - dsb's config (the upstream, the bridge port, the model-server profile for dsb launch)
  - Claude Code's settings.json "env" (user: ~/.claude or $CLAUDE_CONFIG_DIR; project: ./.claude), with ANTHROPIC_BASE_URL=http://127.0.0.1:<port> and CLAUDE_CODE_MAX_CONTEXT_TOKENS = the real context
  - VS Code user settings (claudeCode.environmentVariables, claudeCode.disableLoginPrompt) for Code, Insiders and VSCodium as installed
  - launch scripts (sh and PowerShell) for the model server and the bridge, a systemd user unit or a Windows scheduled task, and firewall rule scripts for the bridge port (loopback/private only)

Existing files are merged, not replaced: unknown keys and comments survive, each changed file is backed up (<file>.bak-<timestamp>) and written atomically. Running it again changes nothing. A file that does not parse stops everything before anything is written. Firewall rules are applied only when confirmed (or --yes) and with admin rights; otherwise the exact command to run is printed.

The context defaults to what the running upstream reports (llama.cpp /props, vLLM /v1/models, Ollama /api/show); when it is not running yet, 65536. Without a terminal (CI), pass --yes or --dry-run.`;

  static override examples = [
    { description: 'The wizard', command: '<%= config.bin %> init' },
    {
      description: 'llama.cpp with a GGUF, no questions',
      command:
        '<%= config.bin %> init --yes --backend llama.cpp --model-file ~/models/DeepSeek-V4-Flash-Q4_K_M.gguf --ctx-size 65536',
    },
    {
      description: 'See every change as a diff, write nothing',
      command: '<%= config.bin %> init --dry-run --backend vllm --model deepseek-ai/DeepSeek-V4-Flash',
    },
    {
      description: 'DeepSeek API (key from DEEPSEEK_API_KEY), this project only',
      command: '<%= config.bin %> init --yes --backend deepseek-api --scope project',
    },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    backend: Flags.option({ options: UPSTREAM_KINDS, summary: 'What serves the model.' })(),
    upstream: upstreamFlag("Base URL of the model server or API (default: the backend's usual local port)."),
    'model-file': modelFileFlag('The GGUF file llama-server loads (llama.cpp).'),
    model: modelIdFlag('The model: Hugging Face id or path (vLLM, SGLang), tag (Ollama) or API model id.'),
    config: configFlag(
      "Write dsb's config to this file (default: the user config, or ./dsb.config.json with --scope project).",
    ),
    'api-key': Flags.string({
      summary:
        "Upstream API key (DeepSeek API), kept in the user's dsb config (mode 0600; a project config only names it). Default: DEEPSEEK_API_KEY.",
    }),
    'ctx-size': Flags.integer({
      summary: 'Context per request, in tokens (default: what the upstream reports, else 65536).',
      min: 1,
    }),
    'max-output-tokens': Flags.integer({
      summary: 'CLAUDE_CODE_MAX_OUTPUT_TOKENS (default: a quarter of the context, at most 32000).',
      min: 1,
    }),
    gpus: Flags.integer({ summary: 'GPUs for the model server (default: nvidia-smi count).', min: 0 }),
    port: Flags.integer({ char: 'p', summary: 'Bridge port on 127.0.0.1.', min: 1, max: 65535 }),
    scope: Flags.option({
      options: ['user', 'project'] as const,
      summary: "Where Claude Code's settings go.",
    })(),
    vscode: Flags.boolean({ summary: 'Configure the VS Code extension too.', allowNo: true }),
    firewall: Flags.boolean({
      summary: 'Write (and with admin rights apply) firewall rules for the bridge port.',
      allowNo: true,
    }),
    yes: Flags.boolean({
      char: 'y',
      summary: 'No questions: take defaults, apply, and apply firewall rules when admin.',
      default: false,
    }),
    gitignore: Flags.boolean({
      summary: 'With --scope project in a git repository: add dsb.config.json to .gitignore (default: yes).',
      allowNo: true,
    }),
    'dry-run': Flags.boolean({
      summary: 'Print the plan and the diff of every file; write nothing.',
      default: false,
    }),
  };

  async run(): Promise<InitReport> {
    const { flags } = await this.parse(Init);
    const ctx = createSystemContext();
    const json = this.jsonEnabled();
    const interactive =
      !flags.yes && !json && Boolean(process.stdin.isTTY) && ctx.isTTY && ctx.env.CI !== 'true';
    if (!interactive && !flags.yes && !flags['dry-run']) {
      this.error(
        'no terminal to ask questions on: pass --yes to take the defaults (or --dry-run to see the plan)',
        { exit: 2 },
      );
    }
    const color = ctx.isTTY && !ctx.env.NO_COLOR && !json;

    let model: string | undefined;
    try {
      model = modelFromFlags(flags, (m) => this.warn(m));
    } catch (err) {
      failCommand(this, err);
    }
    const initFlags: InitFlags = {
      backend: flags.backend,
      upstream: flags.upstream,
      model,
      configFile: flags.config ? path.resolve(ctx.cwd, flags.config) : undefined,
      apiKey: flags['api-key'],
      ctxSize: flags['ctx-size'],
      maxOutputTokens: flags['max-output-tokens'],
      gpus: flags.gpus,
      port: flags.port,
      scope: flags.scope,
      vscode: flags.vscode,
      firewall: flags.firewall,
    };
    try {
      const resolved = await resolveAnswers(
        ctx,
        initFlags,
        interactive ? interactiveAsker() : defaultsAsker,
        this.saved(flags.config, ctx),
      );
      resolved.answers.gitignore = await this.gitignoreAnswer(
        ctx,
        resolved.answers,
        flags.gitignore,
        interactive,
      );
      const templates = await loadTemplates(ctx);
      const dsbCommand = [process.execPath, fileURLToPath(new URL('../../bin/run.js', import.meta.url))];
      const facts = await gatherFacts(ctx, resolved.answers, templates, dsbCommand);
      const plan = buildPlan(resolved.answers, facts);
      plan.notes.unshift(...resolved.notes);
      const changes = plan.files.filter((f) => f.changed).length;

      if (!json) this.log(renderPlan(plan, { color, diffs: flags['dry-run'] }));
      let proceed = true;
      if (interactive && !flags['dry-run'] && changes > 0) proceed = await confirmApply(changes);
      if (!proceed) {
        this.log('Nothing written.');
        return this.report(plan, { dryRun: true, changed: false, files: [] }, false);
      }
      let applyFirewall = flags.yes;
      if (interactive && !flags['dry-run'] && plan.firewall?.canApply && plan.firewall.commands.length) {
        applyFirewall = await confirmFirewall(plan.firewall.summary);
      }
      const result = await applyPlan(ctx, plan, {
        dryRun: flags['dry-run'],
        applyFirewall,
        // A read-only file is replaced only when the user says so at the terminal.
        confirmReadOnly:
          interactive && !flags['dry-run']
            ? (file) => confirm({ message: `${file} is read-only. Overwrite it anyway?`, default: false })
            : undefined,
      });
      if (!json) this.log(renderResult(plan, result, { color }));
      if (result.firewall && plan.firewall?.canApply && applyFirewall && !result.firewall.applied)
        process.exitCode = 1;
      return this.report(plan, result, flags['dry-run']);
    } catch (err) {
      if (err instanceof MergeError) {
        this.error(
          `${err.message}\nNothing was written. Fix the file (or move it away) and run dsb init again.`,
          { exit: exitCodeFor(err) ?? 1 },
        );
      }
      // Ctrl-C at a prompt is rethrown: DsbCommand.catch exits 130 with cancelledMessage.
      failCommand(this, err);
    }
  }

  /** Project scope in a git repository: offer to keep dsb.config.json out of it (--yes: do). */
  private async gitignoreAnswer(
    ctx: { cwd: string; stat(path: string): Promise<unknown> },
    answers: { scope: string },
    flag: boolean | undefined,
    interactive: boolean,
  ): Promise<boolean> {
    if (answers.scope !== 'project') return false;
    if (flag !== undefined) return flag;
    // .git is a folder, or a file in a worktree or submodule.
    if (!(await ctx.stat(path.join(ctx.cwd, '.git')))) return false;
    return interactive ? confirmGitignore() : true;
  }

  /** The answers a previous run saved (its config), the defaults of this one. */
  private saved(configFile: string | undefined, ctx: { cwd: string; env: NodeJS.ProcessEnv }): SavedAnswers {
    try {
      const loaded = loadConfig({ configFile, cwd: ctx.cwd, env: ctx.env });
      return savedAnswers(loaded.config, loaded.sources);
    } catch (err) {
      // A missing --config file is what init is about to write; an invalid one fails in the plan.
      if (err instanceof ConfigError) return {};
      throw err;
    }
  }

  private report(plan: ReturnType<typeof buildPlan>, result: ApplyResult, withDiffs: boolean): InitReport {
    const { apiKey, ...answers } = plan.answers;
    return {
      dryRun: result.dryRun,
      changed: result.changed,
      answers: apiKey ? { ...answers, apiKey: REDACTED } : answers,
      claudeModel: plan.claudeModel,
      files: result.files.map((f, i) => {
        const planned = plan.files[i]!;
        return withDiffs && planned.changed ? { ...f, diff: fileDiff(planned, plan.secrets) } : f;
      }),
      firewall: result.firewall,
      notes: plan.notes.map((n) => redact(n, plan.secrets)),
      nextSteps: plan.nextSteps,
    };
  }
}
