// What a probe run is asked to do: the command builds this from its flags, tests build it directly.

export interface ProbeOptions {
  /** The bridge's base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Sent as `Authorization: Bearer` (what Claude Code does with ANTHROPIC_AUTH_TOKEN). */
  token?: string;
  /** The model name sent, as Claude Code would (ANTHROPIC_MODEL). */
  model: string;
  maxTokens: number;
  /** Longest wait for headers, and longest silence inside a body. */
  timeoutMs: number;
  /** Built-in scenarios to run; default: all (or only `health` when long-context/load is asked for). */
  scenarioIds?: string[];
  longContext?: { path: string; content: string };
  load?: { requests: number; concurrency: number };
  /** Run the load against the upstream directly too, and report what the bridge adds. */
  compareDirect?: boolean;
  /** The upstream behind the bridge (`--upstream`; else GET /health's), for --compare-direct and context discovery. */
  upstream?: { url?: string; apiKey?: string; model?: string };
  /** Milliseconds clock for every measurement (TTFT, latency, durations); default performance.now. */
  now?: () => number;
  /** Called as --load requests finish: (done, total, which target). For a terminal's n/N progress. */
  onLoadProgress?: (done: number, total: number, target: 'bridge' | 'upstream') => void;
}
