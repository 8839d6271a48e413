import { Flags } from '@oclif/core';
import { createLogger } from '../bridge/log.js';
import { startBridge } from '../bridge/server.js';
import type { ShutdownResult } from '../bridge/shutdown.js';
import { claudeCodeCommand } from '../checks/claude-window.js';
import { DsbCommand } from '../cli/base.js';
import { configFlag } from '../cli/flags.js';
import { loadConfig } from '../config/load.js';
import { exitCodeFor, failCommand } from '../errors.js';

export default class Serve extends DsbCommand {
  static override summary =
    'Run the bridge: Anthropic Messages API for Claude Code, OpenAI chat completions upstream.';

  static override description =
    `Claude Code talks to the bridge as if it were Anthropic's API; the bridge translates every request to OpenAI /v1/chat/completions for llama-server, vLLM, Ollama, SGLang or the DeepSeek API, and streams the answer back (text, tool calls, thinking, images).

Point Claude Code at it with ANTHROPIC_BASE_URL=http://127.0.0.1:3000 (use 127.0.0.1, not localhost), and give it the server's window: a non-Claude ANTHROPIC_MODEL plus CLAUDE_CODE_MAX_CONTEXT_TOKENS (with a Claude model name Claude Code assumes 200K or 1M). serve prints the line once it knows the context; dsb init writes it into settings.json; dsb doctor checks it. Settings come from flags, then DSB_* environment variables, then ./dsb.config.json, then the user config. Binding anything but loopback requires an auth token (DSB_AUTH_TOKEN).

Environment: DSB_PORT, DSB_HOST, DSB_UPSTREAM, DSB_UPSTREAM_MODEL and DSB_LOG_FORMAT stand for the flags; DSB_AUTH_TOKEN is the token clients must send (x-api-key or Authorization: Bearer); DSB_UPSTREAM_API_KEY is sent upstream as Authorization: Bearer (never logged); DSB_BODY_LIMIT_BYTES caps a request body; DSB_SEMI_SPACE_MB sets the V8 young-generation size (default 8, 0: Node's); DSB_CONFIG_DIR moves the user config.

On SIGINT (Ctrl-C) or SIGTERM it stops accepting connections and gives the requests in flight the grace period to finish; the ones still running then end with an \`error\` event (streams) or a 503 overloaded_error, which Claude Code retries. A second signal ends them at once; a third exits at once.`;

  static override examples = [
    {
      description: 'Try it without a model: a built-in demo upstream answers',
      command: '<%= config.bin %> serve --demo',
    },
    {
      description: 'Bridge to llama-server on its usual port',
      command: '<%= config.bin %> serve --upstream http://127.0.0.1:8080',
    },
    {
      description: 'Give long generations up to 60 s to finish when stopped (0 ends them at once)',
      command: '<%= config.bin %> serve --upstream http://127.0.0.1:8080 --grace-period 60',
    },
    {
      description: 'Two vLLM replicas, JSON logs',
      command:
        '<%= config.bin %> serve --upstream http://10.0.0.5:8000 --upstream http://10.0.0.6:8000 --log-format json',
    },
  ];

  static override flags = {
    port: Flags.integer({
      char: 'p',
      summary: 'Port to listen on (0 picks a free one).',
      min: 0,
      max: 65535,
      env: 'DSB_PORT',
      defaultHelp: async () => '3000',
    }),
    host: Flags.string({
      summary: 'Address to bind; anything but loopback needs DSB_AUTH_TOKEN.',
      env: 'DSB_HOST',
      defaultHelp: async () => '127.0.0.1',
    }),
    upstream: Flags.string({
      char: 'u',
      summary: 'OpenAI-compatible upstream base URL (repeatable; DSB_UPSTREAM takes a comma-separated list).',
      multiple: true,
      delimiter: ',',
      env: 'DSB_UPSTREAM',
      helpValue: 'URL',
      defaultHelp: async () => 'http://127.0.0.1:8080',
    }),
    model: Flags.string({
      summary: 'Model id to send upstream (default: the first one the upstream lists).',
      env: 'DSB_UPSTREAM_MODEL',
      helpValue: 'ID',
    }),
    config: configFlag(),
    'log-format': Flags.option({
      options: ['text', 'json'] as const,
      summary: 'Request log format.',
      env: 'DSB_LOG_FORMAT',
      defaultHelp: async () => 'text',
    })(),
    'grace-period': Flags.string({
      summary: 'Seconds the requests in flight get to finish on SIGINT/SIGTERM (0 ends them at once).',
      helpValue: '<seconds>',
      defaultHelp: async () => '8',
    }),
    demo: Flags.boolean({
      summary: 'Use the built-in deterministic demo upstream (no model needed).',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    let loaded: ReturnType<typeof loadConfig>;
    try {
      const server: Record<string, unknown> = {};
      if (flags.port !== undefined) server.port = flags.port;
      if (flags.host !== undefined) server.host = flags.host;
      if (flags['log-format'] !== undefined) server.logFormat = flags['log-format'];
      const grace = flags['grace-period'];
      if (grace !== undefined) {
        const seconds = grace.trim() === '' ? Number.NaN : Number(grace);
        if (!Number.isFinite(seconds) || seconds < 0)
          this.error(`--grace-period ${grace}: expected a number of seconds, 0 or more (e.g. 10 or 0.5)`, {
            exit: 2,
          });
        server.shutdownGraceMs = Math.round(seconds * 1000);
      }
      const overrides: Record<string, unknown> = { server };
      // oclif hands a multiple flag's env value (DSB_UPSTREAM) over as one unsplit string.
      const upstreamUrls = upstreamList(flags.upstream);
      if (upstreamUrls.length) {
        // DSB_UPSTREAM_API_KEY goes with the upstreams given here as it goes with DSB_UPSTREAM's.
        const apiKey = process.env.DSB_UPSTREAM_API_KEY || undefined;
        overrides.upstreams = upstreamUrls.map((url) => ({ url, model: flags.model, apiKey }));
      }
      loaded = loadConfig({ configFile: flags.config, overrides });
      if (flags.model && !upstreamUrls.length) {
        loaded.config.upstreams = loaded.config.upstreams.map((u) => ({ ...u, model: flags.model }));
      }
    } catch (err) {
      failCommand(this, err);
    }
    const { config } = loaded;
    const logger = createLogger(config.server.logFormat);
    let bridge: Awaited<ReturnType<typeof startBridge>>;
    try {
      bridge = await startBridge({ config, demo: flags.demo, logger, warmUp: true });
    } catch (err) {
      if (exitCodeFor(err) !== undefined) failCommand(this, err);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        this.error(
          `port ${config.server.port} on ${config.server.host} is already in use: stop what listens there or pass --port`,
          { exit: 1 },
        );
      }
      throw err;
    }
    logger.info(`dsb bridge listening on ${bridge.url}`, {
      upstreams: bridge.upstreams.join(','),
      demo: flags.demo || undefined,
    });
    // Once the upstream's context is known: warn about one too small for Claude Code, and say how to
    // start Claude Code with that window (its own default would be 1M: window-advice.ts, §6).
    void bridge.contextAdvice().then((all) => {
      for (const advice of all) if (advice.message) logger.warn(advice.message, { fix: advice.fix });
      if (config.server.logFormat !== 'text') return;
      const command = claudeCodeCommand({
        bridgeUrl: bridge.url,
        upstreamModel: config.upstreams[0]?.model,
        contextSize: all[0]?.contextSize,
        authToken: Boolean(config.server.authToken),
      });
      this.logToStderr(`Point Claude Code at it (dsb init writes this into settings.json):\n  ${command}`);
    });
    const graceMs = config.server.shutdownGraceMs;
    let signals = 0;
    let onSignal: (signal: NodeJS.Signals) => void = () => {};
    const result = await new Promise<ShutdownResult>((resolve) => {
      onSignal = (signal) => {
        signals++;
        if (signals === 1) {
          logger.info(
            `received ${signal}: shutting down; ${bridge.activeRequests} request(s) in flight get up to ${graceMs / 1000} s to finish (${signal} again ends them now)`,
          );
          void bridge.close(graceMs).then(resolve);
        } else if (signals === 2) {
          logger.info(`received ${signal} again: ending ${bridge.activeRequests} request(s) now`);
          void bridge.close();
        } else {
          // Ending the requests is bounded, but a user who insists gets out whatever is stuck.
          process.exit(1);
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    logger.info(
      `shutdown complete: ${result.finished} request(s) finished, ${result.ended} ended by the shutdown`,
    );
  }
}

/** The upstream URLs of `--upstream` (repeatable) or DSB_UPSTREAM (comma-separated), trimmed. */
export function upstreamList(value: string | string[] | undefined): string[] {
  return [value ?? []]
    .flat()
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
