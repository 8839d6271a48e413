// The long-context scenario (--long-context FILE): sends a real file the way Claude Code would
// after reading it, and reports whether it fit, was answered with max_tokens clamped, or was refused
// with the "prompt is too long" Claude Code compacts on; with the counts that explain why.
import { basename } from 'node:path';
import type { Answer } from './answer.js';
import { errorMessageOf } from './bodies.js';
import type { BridgeClient, Exchange, TokenCount, UpstreamContext } from './bridge-client.js';
import { evaluateExchange, type ResultParts, scenarioResult } from './judge.js';
import { wholeResponseMetrics } from './metrics.js';
import { PROMPT_TOO_LONG, refusalCounts } from './overflow.js';
import { longContextMessages } from './scenarios.js';
import type { LongContextResult } from './types.js';

/** Lines of a text file as an editor counts them: a final line end does not start another line. */
export function countLines(content: string): number {
  return content === '' ? 0 : content.split(/\r\n|\r|\n/).length - (content.endsWith('\n') ? 1 : 0);
}

type Facts = Pick<
  LongContextResult,
  | 'id'
  | 'title'
  | 'file'
  | 'lines'
  | 'bytes'
  | 'promptTokens'
  | 'promptTokensKind'
  | 'contextSize'
  | 'contextSource'
  | 'promptLimit'
>;

interface Judged {
  outcome: LongContextResult['outcome'];
  refusal?: string;
  parts: ResultParts;
}

export async function runLongContext(
  client: BridgeClient,
  path: string,
  content: string,
): Promise<LongContextResult> {
  const messages = longContextMessages(basename(path), content);
  const body = client.messagesBody({ tools: 'claude-code' }, messages, true);
  const [count, ctx] = await Promise.all([client.countTokens(body), client.context()]);
  const warnings: string[] = [];
  if (count.error) warnings.push(`could not count the prompt's tokens: ${count.error}`);
  if (ctx.size === undefined) {
    warnings.push(
      'the upstream context size is unknown (not in GET /health upstreams[0].contextSize, nor from the upstream)',
    );
  }
  const facts = longContextFacts(path, content, count, ctx);
  const ex = await client.messages(body);
  const judged =
    ex.status === 400 && PROMPT_TOO_LONG.test(errorMessageOf(ex.json, ex.text))
      ? judgeRefused(ex, facts, count.tokens, warnings)
      : judgeAnswered(ex, facts, count.tokens, client.options.maxTokens, warnings);
  const result = scenarioResult(facts, judged.parts);
  return {
    ...result,
    ...facts,
    outcome: judged.outcome,
    ...(judged.refusal ? { refusal: judged.refusal } : {}),
  };
}

function longContextFacts(path: string, content: string, count: TokenCount, ctx: UpstreamContext): Facts {
  const tokens = count.tokens;
  return {
    id: 'long-context' as const,
    title: `Long context: ${basename(path)}`,
    file: path,
    lines: countLines(content),
    bytes: Buffer.byteLength(content),
    ...(tokens !== undefined
      ? { promptTokens: tokens, ...(count.kind ? { promptTokensKind: count.kind } : {}) }
      : {}),
    ...(ctx.size !== undefined ? { contextSize: ctx.size, contextSource: ctx.source } : {}),
  };
}

const sizeNoteOf = (tokens: number | undefined, context: number | undefined) =>
  `${tokens ?? '?'} prompt tokens / ${context ?? '?'} context`;

/** A 400 "prompt is too long": report the count the bridge refused at, so the figures agree with it. */
function judgeRefused(ex: Exchange, facts: Facts, tokens: number | undefined, warnings: string[]): Judged {
  const context = facts.contextSize;
  const refusal = errorMessageOf(ex.json, ex.text);
  let sizeNote = sizeNoteOf(tokens, context);
  const refused = refusalCounts(refusal);
  if (refused) {
    // A refusal's count may be a lower bound (the bridge stops counting once the prompt cannot
    // fit): only a count above count_tokens', or count_tokens saying it fits, is a disagreement.
    if (tokens !== undefined && (tokens < refused.tokens || tokens <= refused.limit))
      warnings.push(
        `count_tokens said ${tokens}; the bridge counted ${refused.tokens} for the request itself`,
      );
    Object.assign(facts, { promptTokens: refused.tokens, promptLimit: refused.limit });
    sizeNote = `${refused.tokens} prompt tokens > ${refused.limit} allowed for the prompt (context ${context ?? '?'})`;
  }
  const step = {
    title: facts.title,
    stream: true,
    httpStatus: 400,
    violations: [],
    metrics: wholeResponseMetrics({}, ex.startMs, ex.endMs),
  };
  const okSummary = `refused (${sizeNote}): ${refusal}. Claude Code would compact; the file does not fit`;
  if (tokens !== undefined && context !== undefined && tokens < context * 0.75) {
    warnings.push(`refused although the count (${tokens}) is well under the context (${context})`);
  }
  return { outcome: 'refused', refusal, parts: { problems: [], warnings, steps: [step], okSummary } };
}

/** Anything but a refusal: judged as a stream; it fit, or fit with max_tokens clamped or cut. */
function judgeAnswered(
  ex: Exchange,
  facts: Facts,
  tokens: number | undefined,
  maxTokens: number,
  warnings: string[],
): Judged {
  const context = facts.contextSize;
  const evaluated = evaluateExchange(facts.title, ex, true, {
    text: true,
    stopReasonOneOf: ['end_turn', 'max_tokens'],
  });
  const problems = [...evaluated.problems];
  warnings.push(...evaluated.warnings.filter((w) => !w.includes('cut by max_tokens')));
  let outcome: LongContextResult['outcome'] = 'error';
  let okSummary = '';
  if (evaluated.problems.length === 0 && evaluated.answer) {
    ({ outcome, okSummary } = fitOutcome(evaluated.answer, tokens, context, maxTokens));
    if (tokens !== undefined && context !== undefined && tokens > context) {
      warnings.push(
        `answered although the prompt (${tokens}) exceeds the context (${context}): the upstream may have truncated it silently (Ollama does)`,
      );
    }
  }
  return { outcome, parts: { problems, warnings, steps: [evaluated.step], okSummary } };
}

/** fit, or clamped: the answer stopped at max_tokens, or prompt + max_tokens exceeds the context. */
export function fitOutcome(
  answer: Pick<Answer, 'outputTokens' | 'stopReason'>,
  tokens: number | undefined,
  context: number | undefined,
  maxTokens: number,
): { outcome: 'fit' | 'clamped'; okSummary: string } {
  const sizeNote = sizeNoteOf(tokens, context);
  const out = answer.outputTokens;
  const cut = answer.stopReason === 'max_tokens';
  const needsClamp = tokens !== undefined && context !== undefined && tokens + maxTokens > context;
  const outcome = cut || needsClamp ? 'clamped' : 'fit';
  const okSummary =
    outcome === 'fit'
      ? `fit (${sizeNote}), answered in ${out ?? '?'} tokens`
      : cut
        ? `clamped (${sizeNote}): the answer stopped at max_tokens after ${out ?? '?'} tokens`
        : `fit with max_tokens clamped (${sizeNote}: prompt + max_tokens ${maxTokens} > context)`;
  return { outcome, okSummary };
}
