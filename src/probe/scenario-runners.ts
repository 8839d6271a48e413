// Runs one built-in scenario against the bridge: GET /health, count_tokens, a /v1/messages request
// (with its tool round trip), the overflow refusal, or a multi-turn session.
import { isRecord } from '../util/is-record.js';
import type { Answer } from './answer.js';
import type { BridgeClient } from './bridge-client.js';
import { describeAnswer, evaluateExchange, scenarioResult } from './judge.js';
import { runOverflow } from './overflow.js';
import type { ContentBlock, CountTokensScenario, Message, MessagesScenario, Scenario } from './scenarios.js';
import { runSessionScenario } from './session.js';
import type { ScenarioResult } from './types.js';

export async function runScenario(client: BridgeClient, scenario: Scenario): Promise<ScenarioResult> {
  switch (scenario.kind) {
    case 'health':
      return runHealth(client, scenario);
    case 'count-tokens':
      return runCountTokens(client, scenario);
    case 'messages':
      return runMessagesScenario(client, scenario);
    case 'overflow':
      return runOverflow(client, scenario);
    case 'session':
      return runSessionScenario(
        {
          model: client.options.model,
          maxTokens: client.options.maxTokens,
          messages: (b) => client.messages(b),
        },
        scenario,
      );
  }
}

async function runHealth(client: BridgeClient, scenario: Scenario): Promise<ScenarioResult> {
  const h = await client.health();
  const problems: string[] = [];
  const warnings: string[] = [];
  if (h.error) problems.push(`${h.error}; start the bridge with \`dsb serve\` or pass --url`);
  else if (h.status !== 200) problems.push(`GET /health answered HTTP ${h.status}`);
  else if (!isRecord(h.body)) problems.push('GET /health did not answer a JSON object');
  for (const name of h.unhealthy)
    warnings.push(`upstream ${name} is reported unhealthy (run \`dsb doctor\`)`);
  const facts = [
    h.upstreamUrl ? `upstream ${h.upstreamUrl}` : 'upstream not reported',
    h.contextSize ? `context ${h.contextSize} tokens` : 'context size not reported',
  ];
  return scenarioResult(scenario, {
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

async function runCountTokens(client: BridgeClient, scenario: CountTokensScenario): Promise<ScenarioResult> {
  const body = client.messagesBody({ tools: 'claude-code' }, scenario.messages, false);
  const count = await client.countTokens(body);
  const problems = count.error ? [count.error] : [];
  if (count.tokens === 0) problems.push('input_tokens is 0 for a non-empty prompt');
  return scenarioResult(scenario, {
    problems,
    warnings: [],
    steps: [],
    okSummary: `${count.tokens} input tokens`,
    data: { inputTokens: count.tokens },
  });
}

/** The tool_result blocks answering each tool_use of `answer`: by tool name, else `*`, else "ok". */
export function toolResultsFor(
  answer: Pick<Answer, 'content'>,
  results: Record<string, string>,
): ContentBlock[] {
  return answer.content
    .filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use')
    .map((t) => ({
      type: 'tool_result' as const,
      tool_use_id: t.id,
      content: results[t.name] ?? results['*'] ?? 'ok',
    }));
}

async function runMessagesScenario(
  client: BridgeClient,
  scenario: MessagesScenario,
): Promise<ScenarioResult> {
  const spec = scenario.request;
  const first = evaluateExchange(
    scenario.title,
    await client.messages(client.messagesBody(spec, spec.messages, spec.stream)),
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
      await client.messages(client.messagesBody({ tools: spec.tools }, messages, follow.stream)),
      follow.stream,
      follow.expect,
    );
    steps.push(second.step);
    problems.push(...second.problems.map((p) => `${follow.title}: ${p}`));
    warnings.push(...second.warnings.map((w) => `${follow.title}: ${w}`));
    okSummary += `; ${toolResults.length} tool_result(s) → ${describeAnswer(second.step)}`;
  }
  return scenarioResult(scenario, { problems, warnings, steps, okSummary });
}
