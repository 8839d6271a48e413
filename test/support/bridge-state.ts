// A BridgeState for the bridge's http/ steps without a socket: the real router, caches and metrics,
// real Upstream objects (never asked over the network: their model is configured) and run-time
// facts scripted per upstream (context size, token count). A logger that keeps its lines.
import { type BridgeState, createBridgeState } from '../../src/bridge/http/state.js';
import type { BridgeLogger, RequestLogEntry } from '../../src/bridge/log.js';
import { upstreamProfile } from '../../src/bridge/profile.js';
import type { UpstreamRuntime } from '../../src/bridge/runtime.js';
import type { Upstream } from '../../src/bridge/upstream.js';
import { configSchema } from '../../src/config/schema.js';
import type { UpstreamKind } from '../../src/upstreams/kind.js';
import type { UpstreamFacts } from '../../src/upstreams/types.js';

export interface ScriptedFacts {
  contextSize?: number;
  /** The prompt token count every request gets. */
  promptTokens: number;
  kind?: UpstreamKind;
}

/** What prepare, call and the relay use of an UpstreamRuntime, with scripted answers. */
export class ScriptedRuntime {
  truncationWarning: string | undefined;
  invalidations = 0;
  readonly discovery = { invalidate: () => this.invalidations++ };

  constructor(
    readonly upstream: Upstream,
    readonly script: ScriptedFacts,
  ) {}

  async facts(): Promise<UpstreamFacts> {
    return {
      kind: this.script.kind ?? 'llama.cpp',
      contextSize: this.script.contextSize,
      contextSource: 'test',
      discoveredAt: 0,
    };
  }

  kind(): UpstreamKind {
    return this.script.kind ?? 'llama.cpp';
  }

  profile() {
    return upstreamProfile(this.upstream.config, this.kind());
  }

  async count() {
    return { tokens: this.script.promptTokens, method: 'upstream' as const };
  }

  /** No floor from the characters alone: every prompt is counted. */
  refusalByCharacters(): undefined {
    return undefined;
  }

  settled: Array<number | undefined> = [];
  settleCount(_ticket: unknown, serverPromptTokens: number | undefined): undefined {
    this.settled.push(serverPromptTokens);
    return undefined;
  }
}

export interface TestState {
  state: BridgeState;
  lines: Array<{ level: 'info' | 'warn'; message: string; fields?: Record<string, unknown> }>;
  requests: RequestLogEntry[];
  runtime(upstream: Upstream): ScriptedRuntime;
  close(): Promise<void>;
}

/** A state with the given upstreams (config entries) and their scripted facts. */
export function testState(
  upstreams: Array<Record<string, unknown> & { facts?: ScriptedFacts }>,
  extra: Record<string, unknown> = {},
): TestState {
  const config = configSchema.parse({
    server: { host: '127.0.0.1', port: 0 },
    upstreams: upstreams.map(({ facts: _facts, ...u }) => ({ model: 'test-model', ...u })),
    ...extra,
  });
  const lines: TestState['lines'] = [];
  const requests: RequestLogEntry[] = [];
  const logger: BridgeLogger = {
    request: (entry) => requests.push(entry),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
  };
  const state = createBridgeState({
    config,
    upstreamConfigs: config.upstreams,
    demo: false,
    logger,
    redact: (text) => text.replaceAll('sk-test-secret', '[redacted]'),
  });
  state.upstreams.forEach((u, i) => {
    const runtime = new ScriptedRuntime(u, upstreams[i]!.facts ?? { promptTokens: 10 });
    state.runtimes.set(u, runtime as unknown as UpstreamRuntime);
  });
  return {
    state,
    lines,
    requests,
    runtime: (u) => state.runtimes.get(u) as unknown as ScriptedRuntime,
    close: async () => {
      await Promise.all(state.upstreams.map((u) => u.close()));
    },
  };
}
