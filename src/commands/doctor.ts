import { confirm } from '@inquirer/prompts';
import { Args, Flags } from '@oclif/core';
import { Listr } from 'listr2';
import { applyFixes, buildReport, runDoctor, runDoctorChecks } from '../checks/doctor.js';
import { CHECK_IDS, CHECKS, selectChecks } from '../checks/registry.js';
import { renderCheckList, renderReport, STATUS_MARK } from '../checks/render.js';
import { createCheckContext } from '../checks/runner.js';
import type { CheckResult, DoctorReport } from '../checks/types.js';
import { normalizeBaseUrl } from '../checks/util.js';
import { DsbCommand } from '../cli/base.js';
import { configFlag, upstreamFlag } from '../cli/flags.js';
import { bridgeUrlFor } from '../config/bridge-url.js';
import { loadConfig } from '../config/load.js';
import { httpUrlProblem } from '../config/schema.js';
import { failCommand } from '../errors.js';
import { createSystemContext } from '../system/node.js';

export default class Doctor extends DsbCommand {
  static override summary = 'Find every pitfall in the setup and say exactly how to fix it.';

  static override description = [
    'Runs concurrent checks against the live setup: the upstream model server (OpenAI API, context window, tool calls, quantization), Claude Code (version, settings, auth variables), the network (localhost vs 127.0.0.1, ports, firewall, proxies, WSL) and the bridge (dsb serve). Each problem comes with the exact command that fixes it; --fix applies the safe ones (edits to ~/.claude/settings.json, atomic and backed up) after asking.',
    'Pass check ids to run only those (and the checks they depend on); --list-checks shows them.',
    'Exit code: 0 no failures (warnings allowed), 1 a check failed (or warned, with --strict) or broke, 2 usage error.',
  ].join('\n\n');

  static override examples = [
    { description: 'Check everything', command: '<%= config.bin %> doctor' },
    {
      description: 'Check a vLLM server on another port',
      command: '<%= config.bin %> doctor --upstream http://127.0.0.1:8000',
    },
    {
      description: 'Only the upstream checks, as JSON for a script',
      command: '<%= config.bin %> doctor upstream-openai upstream-context upstream-tools --json',
    },
    {
      description: "Read a GGUF file's quantization before launching it",
      command:
        '<%= config.bin %> doctor quantization --model-file ~/models/DeepSeek-V3-Q4_K_M-00001-of-00009.gguf',
    },
    { description: 'Apply the safe fixes without asking', command: '<%= config.bin %> doctor --fix --yes' },
    { description: 'In CI: warnings fail too', command: '<%= config.bin %> doctor --strict' },
  ];

  static override enableJsonFlag = true;
  static override strict = false;

  static override args = {
    checks: Args.string({
      description: `check ids to run (default: all): ${CHECK_IDS.join(', ')}`,
      required: false,
    }),
  };

  static override flags = {
    'list-checks': Flags.boolean({ summary: 'List the checks and exit.', default: false }),
    verbose: Flags.boolean({
      char: 'v',
      summary: 'Show details, fixes and timings of every check, passing ones too.',
      default: false,
    }),
    strict: Flags.boolean({ summary: 'Warnings fail too (exit 1).', default: false }),
    upstream: upstreamFlag('Upstream base URL to check (default: upstreams[0].url of the config).'),
    bridge: Flags.string({
      summary: 'Bridge base URL to check (default: http://<server.host>:<server.port> of the config).',
    }),
    'model-file': Flags.string({
      summary: 'A GGUF model file whose header the quantization check reads.',
      helpValue: 'FILE',
      aliases: ['model'],
      deprecateAliases: true,
    }),
    config: configFlag(),
    fix: Flags.boolean({
      summary:
        'Apply the safe fixes (Claude Code settings edits) after confirmation, then re-run those checks.',
      default: false,
    }),
    yes: Flags.boolean({ char: 'y', summary: 'With --fix: apply without asking.', default: false }),
    'dry-run': Flags.boolean({
      summary: 'With --fix: show what would change, change nothing.',
      default: false,
    }),
  };

  async run(): Promise<
    DoctorReport | { checks: Array<{ id: string; title: string; required: boolean; description: string }> }
  > {
    const { flags, argv } = await this.parse(Doctor);
    const ids = (argv as string[]).filter(Boolean);
    try {
      selectChecks(ids);
    } catch (err) {
      failCommand(this, err);
    }
    const system = createSystemContext();
    const color = system.isTTY && !system.env.NO_COLOR;

    if (flags['list-checks']) {
      const list = (ids.length ? selectChecks(ids) : CHECKS).map((c) => ({
        id: c.id,
        title: c.title,
        required: c.required,
        description: c.description,
      }));
      if (!this.jsonEnabled()) this.log(renderCheckList(ids.length ? selectChecks(ids) : CHECKS, { color }));
      return { checks: list };
    }
    for (const [name, value] of [
      ['--upstream', flags.upstream],
      ['--bridge', flags.bridge],
    ] as const) {
      const problem = value === undefined ? undefined : httpUrlProblem(value);
      if (problem) this.error(`${name} ${value}: ${problem}`, { exit: 2 });
    }
    if ((flags.yes || flags['dry-run']) && !flags.fix)
      this.error('--yes and --dry-run only apply with --fix', { exit: 2 });

    let config: ReturnType<typeof loadConfig>['config'];
    try {
      config = loadConfig({ configFile: flags.config }).config;
    } catch (err) {
      failCommand(this, err);
    }
    const upstreamUrl = normalizeBaseUrl(
      flags.upstream ?? config.upstreams[0]?.url ?? 'http://127.0.0.1:8080',
    );
    const bridgeUrl = normalizeBaseUrl(flags.bridge ?? bridgeUrlFor(config.server));
    const ctx = createCheckContext({
      system,
      config,
      upstreamUrl,
      bridgeUrl,
      modelFile: flags['model-file'],
      verbose: flags.verbose,
    });

    const interactive = system.isTTY && !this.jsonEnabled();
    const fix = flags.fix
      ? {
          yes: flags.yes,
          dryRun: flags['dry-run'],
          confirm: interactive
            ? (result: CheckResult, f: { description: string }) =>
                confirm({ message: `${result.title}: ${f.description}. Apply?`, default: true })
            : undefined,
        }
      : undefined;

    const options = { ids, strict: flags.strict };
    let report: DoctorReport;
    if (interactive) {
      // Live progress on a terminal only; it is cleared before the full report prints.
      const selected = selectChecks(ids);
      const resolvers = new Map<string, (r: CheckResult) => void>();
      const waits = new Map(
        selected.map((c) => [c.id, new Promise<CheckResult>((resolve) => resolvers.set(c.id, resolve))]),
      );
      const progress = new Listr(
        selected.map((c) => ({
          title: c.title,
          task: async (_: unknown, task: { title: string }) => {
            const r = await waits.get(c.id)!;
            task.title = `${STATUS_MARK[r.status]} ${c.title} (${r.summary})`;
          },
        })),
        { concurrent: true, exitOnError: false, rendererOptions: { clearOutput: true } },
      );
      const [, run] = await Promise.all([
        progress.run(),
        runDoctorChecks(ctx, { ...options, onResult: (r) => resolvers.get(r.id)?.(r) }),
      ]);
      // Fixes ask questions: only after the live progress has finished.
      if (fix) run.results = await applyFixes(run.checks, run.results, ctx, fix);
      report = buildReport(ctx, run, flags.strict);
    } else {
      report = await runDoctor(ctx, { ...options, fix });
    }

    if (!this.jsonEnabled()) this.log(renderReport(report, { color, verbose: flags.verbose }));
    process.exitCode = report.exitCode;
    return report;
  }
}
