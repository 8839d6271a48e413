// The overflow scenario: a prompt bigger than the upstream's context must be refused at once with
// HTTP 400 "prompt is too long: N tokens > M maximum", the only wording on which Claude Code
// compacts. Also reads that wording back, for the long-context scenario.
import { isRecord } from '../util/is-record.js';
import { assembleStream } from './answer.js';
import { errorMessageOf } from './bodies.js';
import type { BridgeClient, Exchange } from './bridge-client.js';
import { scenarioResult } from './judge.js';
import { wholeResponseMetrics } from './metrics.js';
import { fillerText, type OverflowScenario } from './scenarios.js';
import type { ScenarioResult, StepResult } from './types.js';

export const PROMPT_TOO_LONG = /prompt is too long: \d+ tokens > \d+ maximum/;

/** `prompt is too long: 61321 tokens > 58270 maximum` → { tokens: 61321, limit: 58270 }. */
export function refusalCounts(message: string): { tokens: number; limit: number } | undefined {
  const m = /prompt is too long: (\d+) tokens > (\d+) maximum/.exec(message);
  return m ? { tokens: Number(m[1]), limit: Number(m[2]) } : undefined;
}

/** How long the probe waits for the refusal before calling the prompt accepted. */
const REFUSAL_WAIT = { maxEvents: 50, maxMs: 20_000 };

export async function runOverflow(client: BridgeClient, scenario: OverflowScenario): Promise<ScenarioResult> {
  const { size: context, source } = await client.context();
  const target = context ? Math.ceil(context * scenario.overshoot) + 1024 : scenario.fallbackTokens;
  const ask = 'Summarize the text above in one sentence.';
  const make = (tokens: number) =>
    client.messagesBody({}, [{ role: 'user', content: `${fillerText(tokens)}\n\n${ask}` }], true);
  let body = make(target);
  let count = await client.countTokens(body);
  // A tokenizer denser than the filler's estimate: grow the prompt once so it really overflows.
  if (count.tokens !== undefined && count.tokens > 0 && count.tokens < target) {
    body = make(Math.ceil((target * target * 1.05) / count.tokens));
    count = await client.countTokens(body);
  }
  const data: Record<string, unknown> = {
    promptTokens: count.tokens,
    contextSize: context,
    contextSource: source,
    bytes: JSON.stringify(body).length,
  };
  const sizeNote = `${count.tokens ?? `~${target}`}-token prompt (${context ? `context ${context}, from ${source}` : 'context size unknown, so above any known window'})`;
  const ex = await client.messages(body, REFUSAL_WAIT);
  const step: StepResult = { title: scenario.title, stream: true, violations: [] };
  if (ex.status !== undefined) step.httpStatus = ex.status;
  step.metrics = wholeResponseMetrics({}, ex.startMs, ex.endMs);
  const verdict = judgeOverflowAnswer(ex, sizeNote);
  if (verdict.refusal !== undefined) data.refusal = verdict.refusal;
  return scenarioResult(scenario, {
    problems: verdict.problems,
    warnings: [],
    steps: [step],
    okSummary: `refused a ${sizeNote}: ${String(data.refusal ?? '')}`,
    data,
  });
}

/**
 * What is wrong with the bridge's answer to an oversized prompt (`sizeNote` describes it), and the
 * refusal's message when it answered with an error status.
 */
export function judgeOverflowAnswer(
  ex: Exchange,
  sizeNote: string,
): { problems: string[]; refusal?: string } {
  const problems: string[] = [];
  if (ex.status === undefined) {
    problems.push(
      ex.abandoned
        ? `no answer within 20 s to a ${sizeNote}: the bridge should refuse it at once with 400 "prompt is too long"`
        : (ex.transportError ?? 'no response'),
    );
    return { problems };
  }
  if (ex.status === 200) {
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
    return { problems };
  }
  const msg = errorMessageOf(ex.json, ex.text);
  const type = isRecord(ex.json) && isRecord(ex.json.error) ? ex.json.error.type : undefined;
  if (ex.status !== 400) problems.push(`HTTP ${ex.status} (expected 400): ${msg}`);
  else if (type !== 'invalid_request_error')
    problems.push(`error type ${JSON.stringify(type)}, expected invalid_request_error`);
  if (!PROMPT_TOO_LONG.test(msg)) {
    problems.push(
      `message "${msg}" is not "prompt is too long: N tokens > M maximum" (Claude Code compacts only on that wording)`,
    );
  }
  return { problems, refusal: msg };
}
