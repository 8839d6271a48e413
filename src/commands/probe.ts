// `dsb probe`: drives a running bridge the way Claude Code does, checks every stream event against
// the invariants of design.md §4.3 and measures TTFT, inter-token latency and throughput.
import { Flags } from '@oclif/core';
import { Listr } from 'listr2';
import { DsbCommand } from '../cli/base.js';
import { configFlag, upstreamFlag } from '../cli/flags.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { type DsbConfig, httpUrlProblem } from '../config/schema.js';
import { bridgeUrl, bridgeUrlProblem, probeOptionsFrom } from '../probe/command-options.js';
import { renderProbeReport } from '../probe/render.js';
import { createProbe, type ProbeOptions, type ProbeTask, skippingWhenUnreachable } from '../probe/run.js';
import { SCENARIOS, scenarioIds } from '../probe/scenarios.js';
import type { ProbeReport, ScenarioResult } from '../probe/types.js';
import type { SystemContext } from '../system/context.js';
import { createSystemContext } from '../system/node.js';

export default class Probe extends DsbCommand {
  static override summary = 'Verify the bridge the way Claude Code uses it, and measure it.';

  static override description =
    `Sends Claude Code-shaped requests (POST /v1/messages?beta=true, streaming, its headers, system blocks and tools) to a running bridge, checks every SSE event against the stream invariants Claude Code relies on (event: lines, block order and pairing, tool input JSON, stop_reason, message_stop), and measures time to first token, inter-token latency, output and prompt tokens/s.

Scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}.

--long-context FILE sends a file plus "Explain what this code does in 3 bullet points.", counts its tokens first and reports whether it fit, had its output clamped, or was refused with "prompt is too long" (an expected outcome for a file larger than the context, not a failure).

--load N --concurrency C sends N streamed requests, C at a time, and prints latency p50/p90/p99, failure rate and requests/s; --compare-direct runs the same load against the upstream directly and reports the latency the bridge adds.

With --long-context or --load, only those (and health) run unless --scenario is given too.
Exit status: 0 when everything passed (warnings allowed), 1 when a scenario or invariant failed, 2 on a usage error.`;

  static override examples = [
    {
      description: 'Run every scenario against the bridge from your config',
      command: '<%= config.bin %> probe',
    },
    {
      description: 'Probe a bridge elsewhere, streaming scenarios only',
      command:
        '<%= config.bin %> probe --url http://127.0.0.1:3000 --scenario text-stream --scenario tool-call',
    },
    { description: 'Will my big file fit?', command: '<%= config.bin %> probe --long-context big_file.py' },
    {
      description: "The guide's load table, and what the bridge adds over the upstream",
      command: '<%= config.bin %> probe --load 100 --concurrency 10 --compare-direct',
    },
    {
      description: 'Machine-readable report (exit 1 on failure)',
      command: '<%= config.bin %> probe --json > probe.json',
    },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    url: Flags.string({
      summary: 'Base URL of the bridge (default: http://<server.host>:<server.port> from the dsb config).',
      helpValue: 'URL',
    }),
    token: Flags.string({
      summary:
        'Auth token for the bridge, sent as Authorization: Bearer (else server.authToken from the config).',
      env: 'DSB_AUTH_TOKEN',
    }),
    scenario: Flags.string({
      summary: 'Run only this scenario (repeatable).',
      multiple: true,
      options: scenarioIds(),
      helpValue: 'ID',
    }),
    'long-context': Flags.string({
      summary:
        'Send this file plus "Explain what this code does in 3 bullet points." and report how it fits.',
      helpValue: 'FILE',
    }),
    load: Flags.integer({
      summary: 'Send N streamed requests and report the latency distribution.',
      min: 1,
      helpValue: 'N',
    }),
    concurrency: Flags.integer({
      summary: 'How many --load requests run at once.',
      min: 1,
      default: 4,
      helpValue: 'C',
    }),
    'compare-direct': Flags.boolean({
      summary: 'Also run the --load against the upstream directly and report the latency the bridge adds.',
      dependsOn: ['load'],
    }),
    upstream: upstreamFlag(
      'The upstream behind the bridge, for --compare-direct and context discovery (default: from GET /health).',
    ),
    'client-model': Flags.string({
      summary:
        'The model name Claude Code would send (ANTHROPIC_MODEL); the bridge maps it to the upstream model.',
      default: 'claude-sonnet-4-5',
      helpValue: 'NAME',
      aliases: ['model'],
      deprecateAliases: true,
    }),
    'max-tokens': Flags.integer({
      summary: 'max_tokens of each request (Claude Code sends 32000 for non-Claude model names).',
      min: 1,
      default: 32_000,
    }),
    timeout: Flags.integer({
      summary: 'Seconds to wait for response headers, and longest silence inside a stream.',
      min: 1,
      default: 600,
    }),
    config: configFlag(),
  };

  async run(): Promise<ProbeReport> {
    const { flags } = await this.parse(Probe);
    const sys = createSystemContext();
    const config = this.loadConfigUnlessUrl(flags, sys);
    const url = bridgeUrl(flags.url, config);
    const urlProblem = bridgeUrlProblem(url);
    if (urlProblem) this.error(`--url ${url} ${urlProblem}`, { exit: 2 });
    const upstreamProblem = flags.upstream ? httpUrlProblem(flags.upstream) : undefined;
    if (upstreamProblem) this.error(`--upstream ${flags.upstream}: ${upstreamProblem}`, { exit: 2 });
    const longContext = flags['long-context']
      ? await this.readLongContext(flags['long-context'], sys)
      : undefined;
    const options = probeOptionsFrom(
      {
        url: flags.url,
        token: flags.token,
        scenario: flags.scenario,
        load: flags.load,
        concurrency: flags.concurrency,
        compareDirect: flags['compare-direct'],
        upstream: flags.upstream,
        clientModel: flags['client-model'],
        maxTokens: flags['max-tokens'],
        timeout: flags.timeout,
      },
      config,
      longContext,
    );

    const interactive = sys.isTTY && !this.jsonEnabled();
    // n/N as --load requests finish: on a terminal only (never with --json or into a pipe).
    let showLoadProgress: ((text: string) => void) | undefined;
    if (interactive && flags.load) {
      options.onLoadProgress = (done, total, target) =>
        showLoadProgress?.(
          `${target === 'upstream' ? 'direct to the upstream: ' : ''}${done}/${total} requests`,
        );
    }
    const probe = createProbe(options);
    // With no bridge at all, the other scenarios would each fail the same way: run none of them.
    const runTask = skippingWhenUnreachable(options.url);
    try {
      if (interactive) await runWithProgress(probe.tasks, runTask, (show) => (showLoadProgress = show));
      else for (const t of probe.tasks) await runTask(t);
    } finally {
      await probe.close();
    }

    const report = probe.report();
    if (!this.jsonEnabled()) {
      const color = sys.isTTY && !sys.env.NO_COLOR;
      this.log(`${interactive ? '\n' : ''}${renderProbeReport(report, { color })}`);
    }
    // Set, not exit(): with --json oclif prints the returned report after run() resolves.
    if (!report.ok) process.exitCode = 1;
    return report;
  }

  /** The dsb config; when it is broken, an explicit --url (without --config) goes on without it. */
  private loadConfigUnlessUrl(
    flags: { url?: string | undefined; config?: string | undefined },
    sys: SystemContext,
  ): DsbConfig | undefined {
    try {
      return loadConfig({ configFile: flags.config, cwd: sys.cwd, env: sys.env }).config;
    } catch (err) {
      // An explicit --url does not need the config; without one the config is where the URL comes from.
      if (!(err instanceof ConfigError) || !flags.url || flags.config)
        this.error((err as Error).message, { exit: 2 });
      this.warn(`ignoring the dsb config: ${(err as Error).message}`);
      return undefined;
    }
  }

  private async readLongContext(file: string, sys: SystemContext): Promise<ProbeOptions['longContext']> {
    const stat = await sys.stat(file);
    if (!stat?.isFile) this.error(`--long-context ${file}: no such file`, { exit: 2 });
    const content = await sys.readFile(file);
    if (content === undefined) this.error(`--long-context ${file}: cannot read the file`, { exit: 2 });
    return { path: file, content };
  }
}

/** Runs the tasks with a live task list on the terminal; `onLoad` receives the --load task's progress line. */
async function runWithProgress(
  tasks: ProbeTask[],
  runTask: (t: ProbeTask) => Promise<ScenarioResult>,
  onLoad: (show: (text: string) => void) => void,
): Promise<void> {
  await new Listr(
    tasks.map((t) => ({
      title: t.title,
      task: async (_ctx: unknown, task: { title: string; output: string; skip(message: string): void }) => {
        if (t.id === 'load') onLoad((text) => (task.output = text));
        const result = await runTask(t);
        if (result.status === 'skip') return task.skip(`${t.title}: not run`);
        task.title = `${t.title}: ${result.summary}`;
        if (result.status === 'fail') throw new Error(`${t.title}: ${result.summary}`);
      },
    })),
    {
      concurrent: false,
      exitOnError: false,
      collectErrors: false,
      rendererOptions: { collapseErrors: true },
    },
  ).run();
}
