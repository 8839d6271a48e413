// `dsb launch [BACKEND]`: prints the model server command with current, correct flags, or with --run
// starts it, streams its log, waits until it answers and reports the context it really got.
import { Args, Flags } from '@oclif/core';
import { DsbCommand } from '../cli/base.js';
import { configFlag, modelFileFlag, modelFromFlags, modelIdFlag } from '../cli/flags.js';
import { loadConfig } from '../config/load.js';
import type { ProfileConfig } from '../config/schema.js';
import { failCommand } from '../errors.js';
import { detectGpus } from '../init/answers.js';
import { scriptsDir } from '../init/paths.js';
import { generateLaunch, type LaunchPlan } from '../launch/generate.js';
import { resolveModelPath } from '../launch/model-path.js';
import { isModelPlaceholder, resolveLaunchProfile } from '../launch/profile.js';
import { type ReadyReport, startAndWait } from '../launch/run.js';
import { renderCommand } from '../shell/command.js';
import { type ShellKind, shellFor } from '../shell/kind.js';
import { loadTemplates } from '../shell/templates.js';
import { writeFileCommand } from '../shell/write-file.js';
import { createSystemContext } from '../system/node.js';
import { LOCAL_UPSTREAM_KINDS } from '../upstreams/kind.js';

export interface LaunchReport {
  backend: string;
  shell: ShellKind;
  /** The server command, ready to paste into `shell`. */
  command: string;
  server: LaunchPlan['server'];
  afterReady: Array<LaunchPlan['afterReady'][number] & { command: string }>;
  /** Files the commands need, each with the shell command that writes it. */
  files: Array<LaunchPlan['files'][number] & { command: string }>;
  baseUrl: string;
  ctxSize: number;
  notes: string[];
  /** --run only: what the running server reported. */
  ready?: ReadyReport;
  /** --run only: how the server ended. */
  exit?: { exitCode: number | null; signal: string | null; stoppedBy: 'dsb' | 'itself' };
}

export default class Launch extends DsbCommand {
  static override summary = 'Print (or --run) the model server command with current, correct flags.';

  static override description =
    `Generates the command for llama.cpp's llama-server, vLLM, Ollama or SGLang from the profile dsb init saved (flags override it), quoted for sh or PowerShell:
  - llama.cpp: llama-server -m FILE -c N -np 1 --host 127.0.0.1 --port P -ngl 999 --jinja --reasoning-format deepseek
  - vLLM: vllm serve MODEL --max-model-len N --enable-auto-tool-choice --tool-call-parser ... --reasoning-parser ... --tensor-parallel-size G
  - Ollama: OLLAMA_CONTEXT_LENGTH=N ollama serve, then ollama create from a Modelfile with PARAMETER num_ctx N
  - SGLang: python3 -m sglang.launch_server --model-path MODEL --context-length N --tool-call-parser ... --tp G

Tool-call and reasoning parsers follow the DeepSeek generation in the model name (V3, R1, V3.1, V3.2, V4).

With --run it starts the server, streams its log to stderr, waits until it answers (GET /health, Ollama /api/version), then asks it for the context it really serves: less than asked for is a warning. Ctrl-C stops it.`;

  static override examples = [
    { description: 'The command for the profile dsb init saved', command: '<%= config.bin %> launch' },
    {
      description: 'llama.cpp with a GGUF whose path has spaces, for PowerShell',
      command:
        '<%= config.bin %> launch llama.cpp --model-file "C:\\models\\DeepSeek V4 Flash Q4_K_M.gguf" --ctx-size 65536 --shell powershell',
    },
    {
      description: 'vLLM on two GPUs',
      command:
        '<%= config.bin %> launch vllm --model deepseek-ai/DeepSeek-V4-Flash --gpus 2 --ctx-size 131072',
    },
    { description: 'Start it and wait until it is ready', command: '<%= config.bin %> launch --run' },
  ];

  static override enableJsonFlag = true;

  static override args = {
    backend: Args.string({
      description: 'llama.cpp, vllm, ollama or sglang (default: the saved profile).',
      options: [...LOCAL_UPSTREAM_KINDS],
    }),
  };

  static override flags = {
    'model-file': modelFileFlag('The GGUF file llama-server loads (llama.cpp).'),
    model: modelIdFlag('The model to serve: Hugging Face id or path (vLLM, SGLang), tag (Ollama).'),
    'ctx-size': Flags.integer({ summary: 'Context per request, in tokens.', min: 1 }),
    gpus: Flags.integer({
      summary: 'GPUs: llama.cpp offloads all layers when > 0; vLLM/SGLang tensor parallel size.',
      min: 0,
    }),
    port: Flags.integer({
      summary: "Port of the model server (default: the backend's usual one).",
      min: 1,
      max: 65535,
    }),
    host: Flags.string({ summary: 'Address the model server binds (default 127.0.0.1).' }),
    bin: Flags.string({
      summary: 'The server executable (or Python for SGLang) when it is not on PATH.',
      helpValue: 'PATH',
    }),
    'tool-call-parser': Flags.string({
      summary: 'vLLM/SGLang tool-call parser (default: from the model name).',
    }),
    'reasoning-parser': Flags.string({
      summary: 'vLLM/SGLang reasoning parser (default: from the model name).',
    }),
    shell: Flags.option({
      options: ['sh', 'powershell'] as const,
      summary: 'Quote the command for this shell (default: PowerShell on Windows, else sh).',
    })(),
    run: Flags.boolean({
      summary: 'Start the server, stream its log, wait for readiness and report its real context.',
      default: false,
    }),
    timeout: Flags.integer({
      summary: 'With --run: seconds to wait for the server to answer.',
      min: 1,
      default: 900,
    }),
    config: configFlag(),
  };

  async run(): Promise<LaunchReport> {
    const { args, flags } = await this.parse(Launch);
    let model: string | undefined;
    try {
      model = modelFromFlags(flags, (m) => this.warn(m));
    } catch (err) {
      failCommand(this, err);
    }
    const ctx = createSystemContext();
    const shell: ShellKind = flags.shell ?? shellFor(ctx);

    let saved: ProfileConfig | undefined;
    try {
      saved = loadConfig({ configFile: flags.config, cwd: ctx.cwd, env: ctx.env }).config.profile;
    } catch (err) {
      failCommand(this, err);
    }
    let plan: LaunchPlan;
    let notes: string[];
    try {
      const pathFacts = { platform: ctx.platform, env: ctx.env, homedir: ctx.homedir, cwd: ctx.cwd };
      const needsGpuCount = flags.gpus === undefined && saved?.gpus === undefined;
      const resolved = resolveLaunchProfile(
        {
          backend: args.backend,
          model,
          ctxSize: flags['ctx-size'],
          gpus: flags.gpus,
          port: flags.port,
          host: flags.host,
          bin: flags.bin,
          toolCallParser: flags['tool-call-parser'],
          reasoningParser: flags['reasoning-parser'],
        },
        saved,
        {
          platform: ctx.platform,
          scriptsDir: scriptsDir(pathFacts),
          detectedGpus: needsGpuCount ? await detectGpus(ctx) : undefined,
          placeholderModel: !flags.run,
        },
      );
      const isPlaceholder = isModelPlaceholder(resolved.profile.model);
      const modelPath = isPlaceholder
        ? { model: resolved.profile.model, notes: [] }
        : await resolveModelPath(ctx, resolved.profile.backend, resolved.profile.model);
      const templates = await loadTemplates(ctx);
      plan = generateLaunch({ ...resolved.profile, model: modelPath.model }, templates);
      notes = [...modelPath.notes, ...resolved.notes, ...plan.notes];
    } catch (err) {
      failCommand(this, err);
    }

    const report: LaunchReport = {
      backend: plan.backend,
      shell,
      command: renderCommand(plan.server, shell),
      server: plan.server,
      afterReady: plan.afterReady.map((s) => ({ ...s, command: renderCommand(s, shell) })),
      files: plan.files.map((f) => ({ ...f, command: writeFileCommand(f.path, f.content, shell) })),
      baseUrl: plan.baseUrl,
      ctxSize: plan.ctxSize,
      notes,
    };
    const json = this.jsonEnabled();
    if (!flags.run) {
      if (!json) this.log(this.renderPrint(plan, shell, notes));
      return report;
    }

    for (const n of notes) this.logToStderr(`! ${n}`);
    this.logToStderr(`starting: ${renderCommand(plan.server, shell)}`);
    let running: Awaited<ReturnType<typeof startAndWait>>;
    try {
      running = await startAndWait(ctx, plan, {
        readyTimeoutMs: flags.timeout * 1000,
        shell,
        onOutput: (chunk) => process.stderr.write(chunk),
        onProgress: (m) => this.logToStderr(m),
      });
    } catch (err) {
      failCommand(this, err);
    }
    report.ready = running.ready;
    const r = running.ready;
    const ctxLine =
      r.actualCtx === undefined
        ? `it did not report its context (asked for ${r.requestedCtx})`
        : `context ${r.actualCtx} tokens per request (${r.ctxSource})${r.ctxShortfall ? `: LESS than the ${r.requestedCtx} asked for — lower CLAUDE_CODE_MAX_CONTEXT_TOKENS (dsb init --ctx-size ${r.actualCtx}) or free memory` : ''}`;
    const readyMsg = `ready at ${r.baseUrl} after ${(r.readyAfterMs / 1000).toFixed(1)} s; ${ctxLine}`;
    if (json) this.logToStderr(readyMsg);
    else this.log(readyMsg);
    if (r.ctxShortfall) process.exitCode = 1;

    let stoppedBy: 'dsb' | 'itself' = 'itself';
    const stop = () => {
      stoppedBy = 'dsb';
      running.process.kill('SIGTERM');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const exit = await running.process.exited;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    report.exit = { exitCode: exit.exitCode, signal: exit.signal, stoppedBy };
    if (stoppedBy === 'itself' && exit.exitCode !== 0) {
      this.logToStderr(`${plan.server.description} exited with ${exit.signal ?? `code ${exit.exitCode}`}`);
      process.exitCode = 1;
    }
    return report;
  }

  private renderPrint(plan: LaunchPlan, shell: ShellKind, notes: string[]): string {
    const lines: string[] = [];
    const comment = '#';
    lines.push(`${comment} ${plan.server.description}: ${plan.baseUrl}, context ${plan.ctxSize} tokens`);
    lines.push(renderCommand(plan.server, shell, { multiline: true }));
    for (const file of plan.files) {
      // Printed as a command that writes the file, so the commands below it work as printed.
      lines.push('', `${comment} ${file.description}: ${file.path}`);
      lines.push(writeFileCommand(file.path, file.content, shell));
    }
    if (plan.afterReady.length) {
      lines.push('', `${comment} then, once the server answers:`);
      for (const s of plan.afterReady) lines.push(renderCommand(s, shell));
    }
    for (const n of notes) lines.push(`${comment} note: ${n}`);
    return lines.join('\n');
  }
}
