// Drives a running bridge the way Claude Code does and turns what comes back into a ProbeReport.
// All I/O is the HTTP client (http.ts) and the injected clock; judging is done by the pure modules
// (invariants.ts, answer.ts, metrics.ts).
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRedactor, redactJson } from '../redact.js';
import { isRecord as isObj } from '../util/is-record.js';
import { type Answer, assembleStream, checkExpectation, checkMessageResponse } from './answer.js';
import { type OpenedResponse, ProbeHttpClient } from './http.js';
import {
  checkStreamInvariants,
  formatViolation,
  type InvariantViolation,
  type SseEvent,
} from './invariants.js';
import { latencyStats, type RequestSample, streamMetrics, wholeResponseMetrics } from './metrics.js';
import {
  CLAUDE_CODE_TOOLS,
  type ContentBlock,
  type CountTokensScenario,
  claudeCodeSystem,
  defaultScenarios,
  type Expectation,
  fillerText,
  longContextMessages,
  type Message,
  type MessagesRequestSpec,
  type MessagesScenario,
  type OverflowScenario,
  SCENARIOS,
  type Scenario,
} from './scenarios.js';
import { runSessionScenario } from './session.js';
import { SseParser } from './sse.js';
import type {
  LoadResult,
  LoadTargetResult,
  LongContextResult,
  ProbeReport,
  ProbeStatus,
  ScenarioResult,
  StepResult,
} from './types.js';

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
  /** Milliseconds clock; default performance.now. */
  now?: () => number;
  /** Called as --load requests finish: (done, total, which target). For a terminal's n/N progress. */
  onLoadProgress?: (done: number, total: number, target: 'bridge' | 'upstream') => void;
}

export const ANTHROPIC_VERSION = '2023-06-01';
/** Betas of the kind Claude Code sends; the bridge must ignore what it does not know (design.md §4.4). */
export const ANTHROPIC_BETAS = [
  'claude-code-20250219',
  'interleaved-thinking-2025-05-14',
  'fine-grained-tool-streaming-2025-05-14',
  'context-management-2025-06-27',
].join(',');
const PROMPT_TOO_LONG = /prompt is too long: \d+ tokens > \d+ maximum/;

/** `prompt is too long: 61321 tokens > 58270 maximum` → { tokens: 61321, limit: 58270 }. */
export function refusalCounts(message: string): { tokens: number; limit: number } | undefined {
  const m = /prompt is too long: (\d+) tokens > (\d+) maximum/.exec(message);
  return m ? { tokens: Number(m[1]), limit: Number(m[2]) } : undefined;
}

export interface HealthInfo {
  status?: number;
  body?: unknown;
  error?: string;
  upstreamUrl?: string;
  upstreamModel?: string;
  /** `upstreams[0].contextSize` of /health: the upstream's per-request context, in tokens. */
  contextSize?: number;
  /** Upstreams whose state the body reports as bad. */
  unhealthy: string[];
}

type Obj = Record<string, unknown>;

/**
 * Reads what the probe needs from the bridge's GET /health body, defensively: `upstreams[0].url`,
 * `.model`, `.contextSize` (else `upstream.*`), and a state from `ok`/`healthy`/`reachable` (false) or
 * `state`/`status` (down, unreachable, error, unhealthy).
 */
export function readHealthBody(body: unknown): Omit<HealthInfo, 'status' | 'body' | 'error'> {
  const info: Omit<HealthInfo, 'status' | 'body' | 'error'> = { unhealthy: [] };
  if (!isObj(body)) return info;
  const list: unknown[] = Array.isArray(body.upstreams)
    ? body.upstreams
    : isObj(body.upstream)
      ? [body.upstream]
      : [];
  const first = list[0];
  if (isObj(first)) {
    if (typeof first.url === 'string') info.upstreamUrl = first.url;
    if (typeof first.model === 'string') info.upstreamModel = first.model;
    if (typeof first.contextSize === 'number' && first.contextSize > 0) info.contextSize = first.contextSize;
  } else if (typeof body.upstream === 'string') {
    info.upstreamUrl = body.upstream;
  }
  for (const u of list) {
    if (!isObj(u)) continue;
    const state = String(u.state ?? u.status ?? '').toLowerCase();
    if (
      u.ok === false ||
      u.healthy === false ||
      u.reachable === false ||
      ['down', 'unreachable', 'error', 'unhealthy'].includes(state)
    ) {
      info.unhealthy.push(String(u.name ?? u.url ?? '?'));
    }
  }
  return info;
}

/** The message of an Anthropic (or OpenAI) error body, else the start of the raw text. */
export function errorMessageOf(json: unknown, text: string): string {
  if (isObj(json) && isObj(json.error) && typeof json.error.message === 'string') return json.error.message;
  const t = text.trim();
  return t.length > 200 ? `${t.slice(0, 197)}...` : t || '(empty body)';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface Exchange {
  status?: number;
  headers: Record<string, string>;
  events: SseEvent[];
  times: number[];
  json?: unknown;
  text: string;
  transportError?: string;
  /** The probe stopped reading on purpose (see ProbeSession.messages `limit`). */
  abandoned?: boolean;
  startMs: number;
  endMs: number;
}

export interface ProbeTask {
  id: string;
  title: string;
  run(): Promise<ScenarioResult>;
  /** Records the task as not run (status skip) with the reason, e.g. no bridge to run it against. */
  skip(reason: string): ScenarioResult;
}

export interface Probe {
  tasks: ProbeTask[];
  /** The report of every task run so far. */
  report(): ProbeReport;
  close(): Promise<void>;
}

export function unknownScenarioIds(ids: readonly string[]): string[] {
  const known = new Set(SCENARIOS.map((s) => s.id));
  return ids.filter((id) => !known.has(id));
}

export function createProbe(options: ProbeOptions): Probe {
  const session = new ProbeSession(options);
  // What the probe shows quotes the bridge's and the upstream's answers: one redactor for all of it.
  const redact = createRedactor([options.token, options.upstream?.apiKey]);
  const results: ScenarioResult[] = [];
  let longContext: LongContextResult | undefined;
  let load: LoadResult | undefined;

  const ids =
    options.scenarioIds && options.scenarioIds.length > 0
      ? options.scenarioIds
      : options.longContext || options.load
        ? ['health']
        : defaultScenarios().map((s) => s.id);
  const selected = SCENARIOS.filter((s) => ids.includes(s.id));

  const skipped = (id: string, title: string, reason: string): ScenarioResult => {
    const result: ScenarioResult = {
      id,
      title,
      status: 'skip',
      summary: reason,
      problems: [],
      warnings: [],
      violations: [],
      steps: [],
      durationMs: 0,
    };
    results.push(result);
    return result;
  };
  const tasks: ProbeTask[] = selected.map((scenario) => ({
    id: scenario.id,
    title: scenario.title,
    run: async () => {
      const result = redactJson(await timed(() => runScenario(session, scenario)), redact);
      results.push(result);
      return result;
    },
    skip: (reason) => skipped(scenario.id, scenario.title, reason),
  }));
  if (options.longContext) {
    const lc = options.longContext;
    tasks.push({
      id: 'long-context',
      title: `Long context: ${basename(lc.path)}`,
      run: async () => {
        longContext = redactJson(await timed(() => runLongContext(session, lc.path, lc.content)), redact);
        return longContext;
      },
      skip: (reason) => skipped('long-context', `Long context: ${basename(lc.path)}`, reason),
    });
  }
  if (options.load) {
    const { requests, concurrency } = options.load;
    tasks.push({
      id: 'load',
      title: `Load: ${requests} requests, ${concurrency} at a time${options.compareDirect ? ', and direct to the upstream' : ''}`,
      run: async () => {
        load = redactJson(await timed(() => runLoad(session, requests, concurrency)), redact);
        return load;
      },
      skip: (reason) => skipped('load', `Load: ${requests} requests`, reason),
    });
  }

  return {
    tasks,
    report() {
      const all: ScenarioResult[] = [
        ...results,
        ...(longContext ? [longContext] : []),
        ...(load ? [load] : []),
      ];
      const tally: Record<ProbeStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
      for (const r of all) tally[r.status]++;
      return {
        url: redact(options.url),
        model: options.model,
        ok: tally.fail === 0,
        scenarios: results,
        ...(longContext ? { longContext } : {}),
        ...(load ? { load } : {}),
        tally,
      };
    },
    close: () => session.client.close(),
  };
}

/** Runs every task in order (no progress display) and returns the report. */
export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const probe = createProbe(options);
  try {
    for (const task of probe.tasks) await task.run();
    return probe.report();
  } finally {
    await probe.close();
  }
}

async function timed<T extends ScenarioResult>(fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  result.durationMs = Math.round(performance.now() - start);
  return result;
}

class ProbeSession {
  readonly client: ProbeHttpClient;
  readonly now: () => number;
  private healthPromise: Promise<HealthInfo> | undefined;
  private contextPromise: Promise<{ size?: number; source?: string }> | undefined;

  constructor(readonly options: ProbeOptions) {
    this.client = new ProbeHttpClient(options.timeoutMs);
    this.now = options.now ?? (() => performance.now());
  }

  endpoint(path: string): string {
    return `${this.options.url.replace(/\/+$/, '')}${path}`;
  }

  headers(): Record<string, string> {
    const h: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
      'anthropic-beta': ANTHROPIC_BETAS,
      'user-agent': 'dsb-probe (claude-cli compatible)',
      'x-app': 'cli',
    };
    if (this.options.token) h.authorization = `Bearer ${this.options.token}`;
    return h;
  }

  health(): Promise<HealthInfo> {
    this.healthPromise ??= (async () => {
      try {
        const res = await this.client.open(this.endpoint('/health'), { headers: this.headers() });
        const text = await res.text();
        const body = parseJson(text) ?? text;
        return { status: res.status, body, ...readHealthBody(body) };
      } catch (err) {
        return { error: (err as Error).message, unhealthy: [] };
      }
    })();
    return this.healthPromise;
  }

  /**
   * The upstream's per-request context: GET /health `upstreams[0].contextSize` first; else asked of
   * the upstream itself (llama.cpp `/props` default_generation_settings.n_ctx, `/v1/models`
   * data[0].meta.n_ctx or vLLM's max_model_len). Undefined when nobody says.
   */
  context(): Promise<{ size?: number; source?: string }> {
    this.contextPromise ??= (async () => {
      const health = await this.health();
      if (health.contextSize) return { size: health.contextSize, source: 'bridge GET /health' };
      const base = (this.options.upstream?.url ?? health.upstreamUrl)
        ?.replace(/\/+$/, '')
        .replace(/\/v1$/, '');
      if (!base) return {};
      const headers: Record<string, string> = this.options.upstream?.apiKey
        ? { authorization: `Bearer ${this.options.upstream.apiKey}` }
        : {};
      const props = await this.getJson(`${base}/props`, headers);
      const settings = isObj(props) ? props.default_generation_settings : undefined;
      if (isObj(settings) && typeof settings.n_ctx === 'number' && settings.n_ctx > 0) {
        return { size: settings.n_ctx, source: 'upstream GET /props' };
      }
      const models = await this.getJson(`${base}/v1/models`, headers);
      const first = isObj(models) && Array.isArray(models.data) ? models.data[0] : undefined;
      if (isObj(first)) {
        const n = isObj(first.meta) ? first.meta.n_ctx : first.max_model_len;
        if (typeof n === 'number' && n > 0) return { size: n, source: 'upstream GET /v1/models' };
      }
      return {};
    })();
    return this.contextPromise;
  }

  private async getJson(url: string, headers: Record<string, string>): Promise<unknown> {
    try {
      const res = await this.client.open(url, { headers });
      const text = await res.text();
      return res.status === 200 ? parseJson(text) : undefined;
    } catch {
      return undefined;
    }
  }

  messagesBody(
    spec: Pick<MessagesRequestSpec, 'tools' | 'toolChoice' | 'thinking' | 'effort'>,
    messages: Message[],
    stream: boolean,
  ): Obj {
    const body: Obj = {
      model: this.options.model,
      max_tokens: this.options.maxTokens,
      system: claudeCodeSystem(),
      messages,
      metadata: { user_id: 'dsb-probe' },
    };
    if (spec.tools === 'claude-code') body.tools = CLAUDE_CODE_TOOLS;
    if (spec.toolChoice) body.tool_choice = spec.toolChoice;
    if (spec.thinking) body.thinking = spec.thinking;
    if (spec.effort) body.output_config = { effort: spec.effort };
    body.stream = stream;
    return body;
  }

  /** POST /v1/messages/count_tokens; `kind` is the bridge's `x-dsb-token-count` header (exact / estimate). */
  async countTokens(body: Obj): Promise<{ tokens?: number; kind?: string; error?: string }> {
    const countBody: Obj = { model: body.model, messages: body.messages, system: body.system };
    if (body.tools) countBody.tools = body.tools;
    if (body.thinking) countBody.thinking = body.thinking;
    try {
      const res = await this.client.open(this.endpoint('/v1/messages/count_tokens?beta=true'), {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(countBody),
      });
      const text = await res.text();
      const json = parseJson(text);
      if (res.status !== 200) return { error: `HTTP ${res.status}: ${errorMessageOf(json, text)}` };
      if (
        !isObj(json) ||
        typeof json.input_tokens !== 'number' ||
        !Number.isInteger(json.input_tokens) ||
        json.input_tokens < 0
      ) {
        return { error: `the answer has no integer input_tokens: ${text.slice(0, 120)}` };
      }
      const kind = res.headers['x-dsb-token-count'];
      return { tokens: json.input_tokens, ...(kind ? { kind } : {}) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /**
   * POST /v1/messages?beta=true, recording each SSE event's arrival time. With `limit`, a stream is
   * abandoned after that many events or milliseconds (`ex.abandoned`): the overflow scenario only
   * needs to see that an oversized prompt was accepted, not wait for a long answer to it.
   */
  async messages(body: Obj, limit?: { maxEvents: number; maxMs: number }): Promise<Exchange> {
    const ex: Exchange = { headers: {}, events: [], times: [], text: '', startMs: this.now(), endMs: 0 };
    const abort = limit ? new AbortController() : undefined;
    const timer = limit ? setTimeout(() => abort?.abort(), limit.maxMs) : undefined;
    try {
      return await this.exchange(body, ex, limit?.maxEvents, abort);
    } finally {
      clearTimeout(timer);
    }
  }

  private async exchange(
    body: Obj,
    ex: Exchange,
    maxEvents: number | undefined,
    abort: AbortController | undefined,
  ): Promise<Exchange> {
    let res: OpenedResponse;
    try {
      res = await this.client.open(this.endpoint('/v1/messages?beta=true'), {
        method: 'POST',
        headers: { ...this.headers(), ...(body.stream ? { accept: 'text/event-stream' } : {}) },
        body: JSON.stringify(body),
        ...(abort ? { signal: abort.signal } : {}),
      });
    } catch (err) {
      if (abort?.signal.aborted) {
        ex.abandoned = true;
        ex.transportError = 'no response within the time allowed';
      } else ex.transportError = (err as Error).message;
      ex.endMs = this.now();
      return ex;
    }
    ex.status = res.status;
    ex.headers = res.headers;
    const isSse = (res.headers['content-type'] ?? '').includes('text/event-stream');
    try {
      if (res.status === 200 && (body.stream || isSse)) {
        const parser = new SseParser();
        for await (const chunk of res.chunks()) {
          const at = this.now();
          for (const e of parser.push(chunk)) {
            ex.events.push(e);
            ex.times.push(at);
          }
          if (maxEvents !== undefined && ex.events.length >= maxEvents) {
            ex.abandoned = true;
            break; // returning from the iterator destroys the body: the connection is freed
          }
        }
        const at = this.now();
        for (const e of parser.end()) {
          ex.events.push(e);
          ex.times.push(at);
        }
      } else {
        ex.text = await res.text();
        ex.json = parseJson(ex.text);
      }
    } catch (err) {
      if (abort?.signal.aborted) ex.abandoned = true;
      else ex.transportError = (err as Error).message;
    }
    ex.endMs = this.now();
    return ex;
  }
}

/** Claude Code tolerates 10-15 s without a byte (design.md §4.3). */
const MAX_SILENCE_MS = 15_000;

/** The longest gap between two consecutive events of a stream. */
export function longestSilence(times: readonly number[]): { ms: number; after: number } | undefined {
  let best: { ms: number; after: number } | undefined;
  for (let i = 1; i < times.length; i++) {
    const gap = (times[i] as number) - (times[i - 1] as number);
    if (!best || gap > best.ms) best = { ms: gap, after: i - 1 };
  }
  return best;
}

interface StepOutcome {
  step: StepResult;
  answer?: Answer;
  problems: string[];
  warnings: string[];
}

/** Judges one /v1/messages exchange against the invariants and the expectation. */
function evaluateExchange(
  title: string,
  ex: Exchange,
  stream: boolean,
  expect: Expectation | undefined,
): StepOutcome {
  const problems: string[] = [];
  const warnings: string[] = [];
  const step: StepResult = { title, stream, violations: [] };
  if (ex.status !== undefined) step.httpStatus = ex.status;
  if (ex.status === undefined) {
    problems.push(ex.transportError ?? 'no response');
    return { step, problems, warnings };
  }
  if (ex.status !== 200) {
    const msg = errorMessageOf(ex.json, ex.text);
    problems.push(`HTTP ${ex.status}: ${msg}`);
    if (!isObj(ex.json) || ex.json.type !== 'error' || !isObj(ex.json.error)) {
      problems.push(
        'the error body is not in the Anthropic shape {"type":"error","error":{"type","message"}}',
      );
    }
    step.metrics = wholeResponseMetrics({}, ex.startMs, ex.endMs);
    return { step, problems, warnings };
  }
  let answer: Answer;
  if (stream) {
    const ct = ex.headers['content-type'] ?? '';
    if (!ct.includes('text/event-stream')) {
      problems.push(`content-type is "${ct}", not text/event-stream: the bridge ignored stream: true`);
    }
    step.events = ex.events.length;
    step.violations = checkStreamInvariants(ex.events);
    answer = assembleStream(ex.events);
    step.metrics = streamMetrics(ex.events, ex.times, ex.startMs, ex.endMs);
    if (answer.error) problems.push(`the stream ended in an error event: ${answer.error}`);
    const silence = longestSilence(ex.times);
    if (silence && silence.ms > MAX_SILENCE_MS) {
      warnings.push(
        `the stream went silent for ${(silence.ms / 1000).toFixed(1)} s between events #${silence.after} and #${silence.after + 1} (the bridge should send a ping every 10-15 s while the upstream is silent)`,
      );
    }
  } else {
    const checked = checkMessageResponse(ex.json);
    step.violations = checked.violations;
    answer = checked.answer;
    step.metrics = wholeResponseMetrics(answer, ex.startMs, ex.endMs);
  }
  if (ex.transportError) problems.push(ex.transportError);
  if (answer.stopReason) step.stopReason = answer.stopReason;
  if (expect && !answer.error && !ex.transportError) {
    const verdict = checkExpectation(answer, expect);
    problems.push(...verdict.problems);
    warnings.push(...verdict.warnings);
  }
  return { step, answer, problems, warnings };
}

function finish(
  base: { id: string; title: string },
  parts: {
    problems: string[];
    warnings: string[];
    steps: StepResult[];
    okSummary: string;
    data?: Record<string, unknown>;
  },
): ScenarioResult {
  const violations: InvariantViolation[] = parts.steps.flatMap((s) => s.violations);
  const status: ProbeStatus =
    parts.problems.length > 0 || violations.length > 0 ? 'fail' : parts.warnings.length > 0 ? 'warn' : 'pass';
  const firstViolation = violations[0];
  const summary =
    status === 'fail'
      ? (parts.problems[0] ??
        (firstViolation
          ? `${formatViolation(firstViolation)}${violations.length > 1 ? ` (+${violations.length - 1} more)` : ''}`
          : ''))
      : status === 'warn'
        ? `${parts.okSummary}; ${parts.warnings[0]}`
        : parts.okSummary;
  const metrics = parts.steps[0]?.metrics;
  return {
    id: base.id,
    title: base.title,
    status,
    summary,
    problems: parts.problems,
    warnings: parts.warnings,
    violations,
    steps: parts.steps,
    ...(metrics ? { metrics } : {}),
    durationMs: 0,
    ...(parts.data ? { data: parts.data } : {}),
  };
}

async function runScenario(session: ProbeSession, scenario: Scenario): Promise<ScenarioResult> {
  switch (scenario.kind) {
    case 'health':
      return runHealth(session, scenario);
    case 'count-tokens':
      return runCountTokens(session, scenario);
    case 'messages':
      return runMessagesScenario(session, scenario);
    case 'overflow':
      return runOverflow(session, scenario);
    case 'session':
      return runSessionScenario(
        {
          model: session.options.model,
          maxTokens: session.options.maxTokens,
          messages: (b) => session.messages(b),
        },
        scenario,
      );
  }
}

async function runHealth(session: ProbeSession, scenario: Scenario): Promise<ScenarioResult> {
  const h = await session.health();
  const problems: string[] = [];
  const warnings: string[] = [];
  if (h.error) problems.push(`${h.error}; start the bridge with \`dsb serve\` or pass --url`);
  else if (h.status !== 200) problems.push(`GET /health answered HTTP ${h.status}`);
  else if (!isObj(h.body)) problems.push('GET /health did not answer a JSON object');
  for (const name of h.unhealthy)
    warnings.push(`upstream ${name} is reported unhealthy (run \`dsb doctor\`)`);
  const facts = [
    h.upstreamUrl ? `upstream ${h.upstreamUrl}` : 'upstream not reported',
    h.contextSize ? `context ${h.contextSize} tokens` : 'context size not reported',
  ];
  return finish(scenario, {
    problems,
    warnings,
    steps: [],
    okSummary: facts.join(', '),
    data: {
      // Nothing answered at all: the other scenarios cannot run either (the command skips them).
      unreachable: Boolean(h.error),
      upstreamUrl: h.upstreamUrl,
      upstreamModel: h.upstreamModel,
      contextSize: h.contextSize,
      body: h.body,
    },
  });
}

async function runCountTokens(session: ProbeSession, scenario: CountTokensScenario): Promise<ScenarioResult> {
  const body = session.messagesBody({ tools: 'claude-code' }, scenario.messages, false);
  const count = await session.countTokens(body);
  const problems = count.error ? [count.error] : [];
  if (count.tokens === 0) problems.push('input_tokens is 0 for a non-empty prompt');
  return finish(scenario, {
    problems,
    warnings: [],
    steps: [],
    okSummary: `${count.tokens} input tokens`,
    data: { inputTokens: count.tokens },
  });
}

function describeAnswer(step: StepResult): string {
  const bits = [step.stopReason ?? 'no stop_reason'];
  if (step.events !== undefined) bits.push(`${step.events} events`);
  if (step.metrics?.outputTokens !== undefined) bits.push(`${step.metrics.outputTokens} output tokens`);
  return bits.join(', ');
}

function toolResultsFor(answer: Answer, results: Record<string, string>): ContentBlock[] {
  return answer.content
    .filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use')
    .map((t) => ({
      type: 'tool_result' as const,
      tool_use_id: t.id,
      content: results[t.name] ?? results['*'] ?? 'ok',
    }));
}

async function runMessagesScenario(
  session: ProbeSession,
  scenario: MessagesScenario,
): Promise<ScenarioResult> {
  const spec = scenario.request;
  const first = evaluateExchange(
    scenario.title,
    await session.messages(session.messagesBody(spec, spec.messages, spec.stream)),
    spec.stream,
    scenario.expect,
  );
  const problems = [...first.problems];
  const warnings = [...first.warnings];
  const steps = [first.step];
  let okSummary = describeAnswer(first.step);
  const toolResults =
    first.answer && scenario.followUp ? toolResultsFor(first.answer, scenario.followUp.toolResults) : [];
  if (scenario.followUp && first.answer && toolResults.length > 0) {
    const follow = scenario.followUp;
    const messages: Message[] = [
      ...spec.messages,
      { role: 'assistant', content: first.answer.content },
      { role: 'user', content: toolResults },
    ];
    // The round trip is what Claude Code does next: no forced tool_choice, tools still offered.
    const second = evaluateExchange(
      follow.title,
      await session.messages(session.messagesBody({ tools: spec.tools }, messages, follow.stream)),
      follow.stream,
      follow.expect,
    );
    steps.push(second.step);
    problems.push(...second.problems.map((p) => `${follow.title}: ${p}`));
    warnings.push(...second.warnings.map((w) => `${follow.title}: ${w}`));
    okSummary += `; ${toolResults.length} tool_result(s) → ${describeAnswer(second.step)}`;
  }
  return finish(scenario, { problems, warnings, steps, okSummary });
}

async function runOverflow(session: ProbeSession, scenario: OverflowScenario): Promise<ScenarioResult> {
  const { size: context, source } = await session.context();
  const target = context ? Math.ceil(context * scenario.overshoot) + 1024 : scenario.fallbackTokens;
  const ask = 'Summarize the text above in one sentence.';
  const make = (tokens: number) =>
    session.messagesBody({}, [{ role: 'user', content: `${fillerText(tokens)}\n\n${ask}` }], true);
  let body = make(target);
  let count = await session.countTokens(body);
  // A tokenizer denser than the filler's estimate: grow the prompt once so it really overflows.
  if (count.tokens !== undefined && count.tokens > 0 && count.tokens < target) {
    body = make(Math.ceil((target * target * 1.05) / count.tokens));
    count = await session.countTokens(body);
  }
  const data: Record<string, unknown> = {
    promptTokens: count.tokens,
    contextSize: context,
    contextSource: source,
    bytes: JSON.stringify(body).length,
  };
  const sizeNote = `${count.tokens ?? `~${target}`}-token prompt (${context ? `context ${context}, from ${source}` : 'context size unknown, so above any known window'})`;
  const ex = await session.messages(body, { maxEvents: 50, maxMs: 20_000 });
  const problems: string[] = [];
  const step: StepResult = { title: scenario.title, stream: true, violations: [] };
  if (ex.status !== undefined) step.httpStatus = ex.status;
  step.metrics = wholeResponseMetrics({}, ex.startMs, ex.endMs);
  if (ex.status === undefined) {
    problems.push(
      ex.abandoned
        ? `no answer within 20 s to a ${sizeNote}: the bridge should refuse it at once with 400 "prompt is too long"`
        : (ex.transportError ?? 'no response'),
    );
  } else if (ex.status === 200) {
    const answer = assembleStream(ex.events);
    if (answer.error && PROMPT_TOO_LONG.test(answer.error)) {
      problems.push(
        `the refusal came as an error event after HTTP 200; it must be HTTP 400 before the stream starts (${answer.error})`,
      );
    } else {
      problems.push(
        `the bridge did not refuse a ${sizeNote}: HTTP 200${answer.error ? ` then error "${answer.error}"` : ''}. It must answer 400 "prompt is too long: N tokens > M maximum" (Claude Code compacts only on that)`,
      );
    }
  } else {
    const msg = errorMessageOf(ex.json, ex.text);
    const type = isObj(ex.json) && isObj(ex.json.error) ? ex.json.error.type : undefined;
    if (ex.status !== 400) problems.push(`HTTP ${ex.status} (expected 400): ${msg}`);
    else if (type !== 'invalid_request_error')
      problems.push(`error type ${JSON.stringify(type)}, expected invalid_request_error`);
    if (!PROMPT_TOO_LONG.test(msg)) {
      problems.push(
        `message "${msg}" is not "prompt is too long: N tokens > M maximum" (Claude Code compacts only on that wording)`,
      );
    }
    data.refusal = msg;
  }
  return finish(scenario, {
    problems,
    warnings: [],
    steps: [step],
    okSummary: `refused a ${sizeNote}: ${String(data.refusal ?? '')}`,
    data,
  });
}

async function runLongContext(
  session: ProbeSession,
  path: string,
  content: string,
): Promise<LongContextResult> {
  const messages = longContextMessages(basename(path), content);
  const body = session.messagesBody({ tools: 'claude-code' }, messages, true);
  const [count, ctx] = await Promise.all([session.countTokens(body), session.context()]);
  const tokens = count.tokens;
  const context = ctx.size;
  const warnings: string[] = [];
  const problems: string[] = [];
  if (count.error) warnings.push(`could not count the prompt's tokens: ${count.error}`);
  if (context === undefined) {
    warnings.push(
      'the upstream context size is unknown (not in GET /health upstreams[0].contextSize, nor from the upstream)',
    );
  }
  const lines = content === '' ? 0 : content.split(/\r\n|\r|\n/).length - (content.endsWith('\n') ? 1 : 0);
  const base = {
    id: 'long-context' as const,
    title: `Long context: ${basename(path)}`,
    file: path,
    lines,
    bytes: Buffer.byteLength(content),
    ...(tokens !== undefined
      ? { promptTokens: tokens, ...(count.kind ? { promptTokensKind: count.kind } : {}) }
      : {}),
    ...(context !== undefined ? { contextSize: context, contextSource: ctx.source } : {}),
  };
  let sizeNote = `${tokens ?? '?'} prompt tokens / ${context ?? '?'} context`;
  const ex = await session.messages(body);
  let outcome: LongContextResult['outcome'] = 'error';
  let refusal: string | undefined;
  let step: StepResult;
  let okSummary = '';
  if (ex.status === 400 && PROMPT_TOO_LONG.test(errorMessageOf(ex.json, ex.text))) {
    outcome = 'refused';
    refusal = errorMessageOf(ex.json, ex.text);
    // Report the count the bridge refused at, so the figures agree with its message.
    const refused = refusalCounts(refusal);
    if (refused) {
      if (tokens !== undefined && tokens !== refused.tokens)
        warnings.push(
          `count_tokens said ${tokens}; the bridge counted ${refused.tokens} for the request itself`,
        );
      Object.assign(base, { promptTokens: refused.tokens, promptLimit: refused.limit });
      sizeNote = `${refused.tokens} prompt tokens > ${refused.limit} allowed for the prompt (context ${context ?? '?'})`;
    }
    step = {
      title: base.title,
      stream: true,
      httpStatus: 400,
      violations: [],
      metrics: wholeResponseMetrics({}, ex.startMs, ex.endMs),
    };
    okSummary = `refused (${sizeNote}): ${refusal}. Claude Code would compact; the file does not fit`;
    if (tokens !== undefined && context !== undefined && tokens < context * 0.75) {
      warnings.push(`refused although the count (${tokens}) is well under the context (${context})`);
    }
  } else {
    const evaluated = evaluateExchange(base.title, ex, true, {
      text: true,
      stopReasonOneOf: ['end_turn', 'max_tokens'],
    });
    step = evaluated.step;
    problems.push(...evaluated.problems);
    warnings.push(...evaluated.warnings.filter((w) => !w.includes('cut by max_tokens')));
    if (evaluated.problems.length === 0 && evaluated.answer) {
      const out = evaluated.answer.outputTokens;
      const cut = evaluated.answer.stopReason === 'max_tokens';
      const needsClamp =
        tokens !== undefined && context !== undefined && tokens + session.options.maxTokens > context;
      outcome = cut || needsClamp ? 'clamped' : 'fit';
      okSummary =
        outcome === 'fit'
          ? `fit (${sizeNote}), answered in ${out ?? '?'} tokens`
          : cut
            ? `clamped (${sizeNote}): the answer stopped at max_tokens after ${out ?? '?'} tokens`
            : `fit with max_tokens clamped (${sizeNote}: prompt + max_tokens ${session.options.maxTokens} > context)`;
      if (tokens !== undefined && context !== undefined && tokens > context) {
        warnings.push(
          `answered although the prompt (${tokens}) exceeds the context (${context}): the upstream may have truncated it silently (Ollama does)`,
        );
      }
    }
  }
  const result = finish(base, { problems, warnings, steps: [step], okSummary });
  return { ...result, ...base, outcome, ...(refusal ? { refusal } : {}) };
}

const LOAD_PROMPT = 'Say hello in one short sentence.';

async function runPool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
}

function countErrors(messages: string[]): Array<{ message: string; count: number }> {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m, (counts.get(m) ?? 0) + 1);
  return [...counts].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count);
}

async function loadBridge(session: ProbeSession, n: number, c: number): Promise<LoadTargetResult> {
  const body = session.messagesBody({}, [{ role: 'user', content: LOAD_PROMPT }], true);
  const samples: RequestSample[] = [];
  const errors: string[] = [];
  const start = session.now();
  await runPool(n, c, async () => {
    const ex = await session.messages(body);
    const outcome = evaluateExchange('load', ex, true, undefined);
    const failure =
      outcome.problems[0] ??
      (outcome.step.violations[0] ? formatViolation(outcome.step.violations[0]) : undefined);
    if (failure) errors.push(failure);
    samples.push({ ok: !failure, totalMs: ex.endMs - ex.startMs, ttftMs: outcome.step.metrics?.ttftMs });
    session.options.onLoadProgress?.(samples.length, n, 'bridge');
  });
  const wall = session.now() - start;
  return {
    target: 'bridge',
    url: session.options.url,
    stats: latencyStats(samples, wall),
    errors: countErrors(errors),
  };
}

/** `${base}/v1/chat/completions`, accepting a base that already ends in /v1. */
export function chatCompletionsUrl(base: string): string {
  const b = base.replace(/\/+$/, '');
  return /\/v1$/.test(b) ? `${b}/chat/completions` : `${b}/v1/chat/completions`;
}

async function upstreamModel(
  session: ProbeSession,
  base: string,
  headers: Record<string, string>,
): Promise<string | undefined> {
  try {
    const b = base.replace(/\/+$/, '');
    const res = await session.client.open(/\/v1$/.test(b) ? `${b}/models` : `${b}/v1/models`, { headers });
    const json = parseJson(await res.text());
    if (
      res.status === 200 &&
      isObj(json) &&
      Array.isArray(json.data) &&
      isObj(json.data[0]) &&
      typeof json.data[0].id === 'string'
    ) {
      return json.data[0].id;
    }
  } catch {
    // The chat request will report the upstream's problem.
  }
  return undefined;
}

async function loadDirect(session: ProbeSession, n: number, c: number): Promise<LoadTargetResult | string> {
  const direct = session.options.upstream ?? {};
  const health = await session.health();
  const base = direct.url ?? health.upstreamUrl;
  if (!base) return 'no upstream URL: pass --upstream URL (GET /health does not report one)';
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (direct.apiKey) headers.authorization = `Bearer ${direct.apiKey}`;
  const model =
    direct.model ??
    health.upstreamModel ??
    (await upstreamModel(session, base, headers)) ??
    session.options.model;
  const { size: context } = await session.context();
  // vLLM refuses max_tokens beyond what the context leaves; the bridge clamps, so must the direct request.
  const maxTokens = context
    ? Math.min(session.options.maxTokens, Math.floor(context / 2))
    : session.options.maxTokens;
  const body = JSON.stringify({
    model,
    messages: [{ role: 'user', content: LOAD_PROMPT }],
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  });
  const url = chatCompletionsUrl(base);
  const samples: RequestSample[] = [];
  const errors: string[] = [];
  const start = session.now();
  await runPool(n, c, async () => {
    const t0 = session.now();
    let ttft: number | undefined;
    let failure: string | undefined;
    try {
      const res = await session.client.open(url, { method: 'POST', headers, body });
      if (res.status !== 200) {
        const text = await res.text();
        failure = `HTTP ${res.status}: ${errorMessageOf(parseJson(text), text)}`;
      } else {
        const parser = new SseParser();
        let finished = false;
        const see = (events: SseEvent[]) => {
          for (const e of events) {
            if (e.data === '[DONE]') finished = true;
            if (!isObj(e.data) || !Array.isArray(e.data.choices)) continue;
            const choice = e.data.choices[0];
            if (!isObj(choice)) continue;
            if (typeof choice.finish_reason === 'string') finished = true;
            const d = choice.delta;
            if (
              ttft === undefined &&
              isObj(d) &&
              (d.content || d.reasoning_content || Array.isArray(d.tool_calls))
            ) {
              ttft = session.now() - t0;
            }
          }
        };
        for await (const chunk of res.chunks()) see(parser.push(chunk));
        see(parser.end());
        if (!finished) failure = 'the stream ended without finish_reason or [DONE]';
      }
    } catch (err) {
      failure = (err as Error).message;
    }
    if (failure) errors.push(failure);
    samples.push({ ok: !failure, totalMs: session.now() - t0, ttftMs: ttft });
    session.options.onLoadProgress?.(samples.length, n, 'upstream');
  });
  const wall = session.now() - start;
  return { target: 'upstream', url, stats: latencyStats(samples, wall), errors: countErrors(errors) };
}

const diff = (a?: number, b?: number) =>
  a !== undefined && b !== undefined ? Math.round((a - b) * 100) / 100 : undefined;

async function runLoad(session: ProbeSession, n: number, c: number): Promise<LoadResult> {
  const bridge = await loadBridge(session, n, c);
  const problems: string[] = [];
  const warnings: string[] = [];
  const s = bridge.stats;
  if (s.failures > 0) {
    problems.push(
      `${s.failures} of ${s.requests} requests failed (${(s.failureRate * 100).toFixed(1)}%): ${bridge.errors[0]?.message ?? ''}`,
    );
  }
  let direct: LoadTargetResult | undefined;
  let added: LoadResult['addedLatencyMs'];
  if (session.options.compareDirect) {
    const d = await loadDirect(session, n, c);
    if (typeof d === 'string') problems.push(`--compare-direct: ${d}`);
    else {
      direct = d;
      if (d.stats.failures > 0) {
        warnings.push(
          `${d.stats.failures} of ${d.stats.requests} direct upstream requests failed: ${d.errors[0]?.message ?? ''}`,
        );
      }
      added = {
        p50: diff(s.latencyMs.p50, d.stats.latencyMs.p50),
        p90: diff(s.latencyMs.p90, d.stats.latencyMs.p90),
        p99: diff(s.latencyMs.p99, d.stats.latencyMs.p99),
        ttftP50: diff(s.ttftMs.p50, d.stats.ttftMs.p50),
      };
    }
  }
  const fmt = (v?: number) => (v === undefined ? '?' : `${v.toFixed(1)} ms`);
  const okSummary = `p50 ${fmt(s.latencyMs.p50)}, p99 ${fmt(s.latencyMs.p99)}, ${s.requestsPerSec.toFixed(1)} req/s${added ? `, bridge adds ${fmt(added.p50)} at p50` : ''}`;
  const result = finish(
    { id: 'load', title: `Load: ${n} requests, ${c} at a time` },
    { problems, warnings, steps: [], okSummary },
  );
  return {
    ...result,
    id: 'load',
    requests: n,
    concurrency: c,
    bridge,
    ...(direct ? { direct } : {}),
    ...(added ? { addedLatencyMs: added } : {}),
  };
}
