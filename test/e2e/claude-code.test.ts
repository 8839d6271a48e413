// End to end with the REAL Claude Code CLI (design.md §6, §10): `claude -p` → dsb bridge →
// a scripted fake llama-server. Each test checks what Claude Code does with the bridge's answers
// (exit code, JSON result, files on disk) and what it sends back through the bridge (recorded by the
// fake upstream): tool results as `role: "tool"` messages, thinking as `reasoning_content`.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeLogger, RequestLogEntry } from '../../src/bridge/log.js';
import { startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import {
  CLAUDE_BIN,
  type ClaudeSandbox,
  claudeAvailable,
  createClaudeSandbox,
  runClaude,
} from '../support/claude-cli.js';
import {
  type ChatMessageBody,
  type ChatRequestBody,
  type CompletionRecord,
  type FakeUpstream,
  lastUserText,
  llamaId,
  messageText,
  offersTool,
  type ScriptedTurn,
  type ScriptedUpstreamOptions,
  startScriptedUpstream,
} from '../support/fake-upstream/index.js';

const TEST_TIMEOUT_MS = 120_000;
const UPSTREAM_MODEL = 'models/DeepSeek-V3.1-Q4_K_M.gguf';

interface Harness {
  upstream: FakeUpstream;
  bridgeUrl: string;
  bridgeLog: RequestLogEntry[];
  bridgeWarnings: string[];
  sandbox: ClaudeSandbox;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startHarness(options: ScriptedUpstreamOptions): Promise<Harness> {
  const upstream = await startScriptedUpstream({ model: UPSTREAM_MODEL, ...options });
  cleanups.push(() => upstream.close());
  const bridgeLog: RequestLogEntry[] = [];
  const bridgeWarnings: string[] = [];
  const logger: BridgeLogger = {
    request: (entry) => bridgeLog.push(entry),
    info() {},
    warn: (message, fields) => bridgeWarnings.push(`${message} ${JSON.stringify(fields ?? {})}`),
  };
  const config = configSchema.parse({ server: { port: 0 }, upstreams: [{ url: upstream.url }] });
  const bridge = await startBridge({ config, logger });
  cleanups.push(async () => {
    await bridge.close();
  });
  const sandbox = await createClaudeSandbox();
  cleanups.push(() => sandbox.cleanup());
  return { upstream, bridgeUrl: bridge.url, bridgeLog, bridgeWarnings, sandbox };
}

/**
 * Claude Code's conversation requests offer its tools and carry the user's prompt; anything else
 * it might send (title generation, quota checks) is a side request and gets a short plain answer,
 * so the tests do not depend on how many of those a release makes.
 */
function isConversation(body: ChatRequestBody, marker: string): boolean {
  return (
    offersTool(body, 'Write') &&
    body.messages.some((m) => m.role === 'user' && messageText(m).includes(marker))
  );
}

const SIDE_ANSWER: ScriptedTurn = { label: 'side-request', text: 'OK.' };

function conversationRequests(upstream: FakeUpstream, marker: string): CompletionRecord[] {
  return upstream.chatRequests().filter((r) => isConversation(r.body, marker));
}

const assistantMessages = (body: ChatRequestBody): ChatMessageBody[] =>
  body.messages.filter((m) => m.role === 'assistant');

describe('Claude Code CLI through the bridge (e2e)', () => {
  beforeAll(() => {
    // Never skip: the devDependency @anthropic-ai/claude-code must be installed for these tests.
    if (!claudeAvailable()) throw new Error(`${CLAUDE_BIN} is missing: run npm ci`);
  });

  it(
    '(a) answers a plain prompt with the upstream text',
    async () => {
      const marker = 'Say hello to the dsb e2e test.';
      const answer = 'Hello from the scripted DeepSeek upstream!';
      const h = await startHarness({
        script: (r) => (isConversation(r.body, marker) ? { label: 'answer', text: answer } : SIDE_ANSWER),
      });

      const run = await runClaude({ baseUrl: h.bridgeUrl, sandbox: h.sandbox, prompt: marker });

      expect(run.exitCode, run.describe()).toBe(0);
      expect(run.result, run.describe()).toMatchObject({
        type: 'result',
        subtype: 'success',
        is_error: false,
        result: answer,
      });
      expect(h.upstream.problems).toEqual([]);

      const conversation = conversationRequests(h.upstream, marker);
      expect(conversation, 'exactly one conversation request upstream').toHaveLength(1);
      const body = conversation[0]!.body;
      // What Claude Code's request became on the OpenAI side.
      expect(body.stream).toBe(true);
      expect(body.stream_options).toEqual({ include_usage: true });
      expect(body.model).toBe(UPSTREAM_MODEL);
      expect(body.messages[0]!.role).toBe('system');
      expect(
        body.messages.filter((m) => m.role === 'system'),
        'one system message, first',
      ).toHaveLength(1);
      expect(messageText(body.messages[0])).not.toContain('x-anthropic-billing-header');
      expect(lastUserText(body)).toContain(marker);
      const toolNames = (body.tools ?? []).map((t) => t.function.name);
      expect(toolNames).toEqual(expect.arrayContaining(['Write', 'Read', 'Bash', 'Edit']));
      expect(toolNames).not.toContain('DeferredToolPlaceholder');
      const write = body.tools!.find((t) => t.function.name === 'Write')!;
      expect(write.type).toBe('function');
      expect(write.function.parameters).toMatchObject({
        type: 'object',
        properties: { file_path: {}, content: {} },
      });

      // Claude Code reached the bridge on /v1/messages, streaming, and nothing failed there.
      const messages = h.bridgeLog.filter((e) => e.path === '/v1/messages');
      expect(messages.length).toBeGreaterThanOrEqual(1);
      expect(
        messages.every((e) => e.status === 200 && e.stream === true),
        JSON.stringify(h.bridgeLog),
      ).toBe(true);
      expect(h.bridgeLog.filter((e) => e.status >= 400 || e.error)).toEqual([]);
      expect(h.bridgeWarnings.filter((w) => w.includes('internal error'))).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '(b) runs a tool loop: the upstream calls Write, the file appears, the tool result goes back, the answer arrives',
    async () => {
      const marker = 'Create the greeting file for the dsb e2e test.';
      const callId = llamaId(); // llama-server's form: 32 letters and digits, no `call_` prefix
      const preamble = "I'll create the file.";
      const finalAnswer = 'Done: the greeting file is written.';
      // Quotes, a backslash, newlines and non-ASCII: the 1-character fragments cut through escapes.
      const content = 'Hello from dsb!\nQuote: "yes", path C:\\tmp, umlaut ü, 日本語 🎉\n';
      let sandboxCwd = '';
      let writeTurns = 0;
      const h = await startHarness({
        sseComments: true, // `: ping` comment lines between chunks must be ignored by the bridge
        script: (r) => {
          if (!isConversation(r.body, marker)) return SIDE_ANSWER;
          const answered = r.body.messages.some((m) => m.role === 'tool');
          if (answered) return { label: 'final', text: finalAnswer };
          writeTurns++;
          if (writeTurns > 1)
            return { label: 'write-again?', text: 'Stopping: Write was already requested.' };
          return {
            label: 'call-write',
            text: preamble,
            toolCalls: [
              {
                id: callId,
                name: 'Write',
                arguments: { file_path: path.join(sandboxCwd, 'greeting.txt'), content },
              },
            ],
          };
        },
      });
      sandboxCwd = h.sandbox.cwd;
      const target = path.join(h.sandbox.cwd, 'greeting.txt');

      const run = await runClaude({
        baseUrl: h.bridgeUrl,
        sandbox: h.sandbox,
        prompt: marker,
        args: ['--allowedTools', 'Write'],
      });

      expect(run.exitCode, run.describe()).toBe(0);
      expect(run.result, run.describe()).toMatchObject({
        subtype: 'success',
        is_error: false,
        result: finalAnswer,
      });
      expect(h.upstream.problems).toEqual([]);
      expect(writeTurns, 'Write requested exactly once').toBe(1);
      expect(existsSync(target), `${target} exists`).toBe(true);
      expect(await readFile(target, 'utf8')).toBe(content);

      const conversation = conversationRequests(h.upstream, marker);
      expect(conversation.map((r) => r.answeredWith)).toEqual(['call-write', 'final']);
      const second = conversation[1]!.body;
      // The assistant turn comes back with its text and the tool call, then the tool result right after it.
      const assistantIndex = second.messages.findIndex((m) => m.role === 'assistant');
      const assistant = second.messages[assistantIndex]!;
      expect(assistant.content).toBe(preamble);
      expect(assistant.tool_calls).toHaveLength(1);
      const call = assistant.tool_calls![0]!;
      expect(call.type).toBe('function');
      expect(call.function.name).toBe('Write');
      expect(JSON.parse(call.function.arguments)).toEqual({ file_path: target, content });
      // The bridge may prefix upstream ids with `toolu_` for Claude Code (design.md §4.3); whatever it
      // sends back must name the upstream's call and agree between the call and its result.
      expect([callId, `toolu_${callId}`]).toContain(call.id);
      const tool = second.messages[assistantIndex + 1]!;
      expect(tool.role).toBe('tool');
      expect(tool.tool_call_id).toBe(call.id);
      expect(messageText(tool)).toContain(target);
      expect(second.messages.filter((m) => m.role === 'tool')).toHaveLength(1);

      expect(h.bridgeLog.filter((e) => e.status >= 400 || e.error)).toEqual([]);
      expect(h.bridgeWarnings.filter((w) => w.includes('internal error'))).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '(c) shows upstream reasoning as thinking and sends it back as reasoning_content on the next turn (--continue)',
    async () => {
      const marker1 = 'First question for the dsb reasoning e2e test.';
      const marker2 = 'Second question, continuing the session.';
      const reasoning = 'The user asks a first question. I should answer briefly and precisely.';
      const answer1 = 'First answer, after thinking.';
      const answer2 = 'Second answer, with the earlier reasoning in context.';
      const h = await startHarness({
        script: (r) => {
          if (!isConversation(r.body, marker1)) return SIDE_ANSWER;
          if (lastUserText(r.body).includes(marker2)) return { label: 'answer-2', text: answer2 };
          return { label: 'think-and-answer-1', reasoning, text: answer1 };
        },
      });

      const first = await runClaude({
        baseUrl: h.bridgeUrl,
        sandbox: h.sandbox,
        prompt: marker1,
        outputFormat: 'stream-json',
      });
      expect(first.exitCode, first.describe()).toBe(0);
      expect(first.result, first.describe()).toMatchObject({
        subtype: 'success',
        is_error: false,
        result: answer1,
      });
      // Claude Code received the reasoning as a thinking block, signed by the bridge.
      const blocks = first.events
        .filter((e) => e.type === 'assistant')
        .flatMap((e) => (e.message as { content?: Array<Record<string, unknown>> }).content ?? []);
      const thinking = blocks.filter((b) => b.type === 'thinking');
      expect(thinking, first.describe()).toHaveLength(1);
      expect(thinking[0]!.thinking).toBe(reasoning);
      expect(String(thinking[0]!.signature)).toMatch(/^dsb1\./);
      expect(blocks.findIndex((b) => b.type === 'thinking')).toBeLessThan(
        blocks.findIndex((b) => b.type === 'text'),
      );

      const second = await runClaude({
        baseUrl: h.bridgeUrl,
        sandbox: h.sandbox,
        prompt: marker2,
        args: ['--continue'],
      });
      expect(second.exitCode, second.describe()).toBe(0);
      expect(second.result, second.describe()).toMatchObject({
        subtype: 'success',
        is_error: false,
        result: answer2,
      });
      expect(second.result?.session_id).toBe(first.result?.session_id);
      expect(h.upstream.problems).toEqual([]);

      const conversation = conversationRequests(h.upstream, marker1);
      expect(conversation.map((r) => r.answeredWith)).toEqual(['think-and-answer-1', 'answer-2']);
      // The first request had no earlier assistant turn; the continued one carries the reasoning.
      expect(assistantMessages(conversation[0]!.body)).toEqual([]);
      const body = conversation[1]!.body;
      const assistants = assistantMessages(body);
      expect(assistants).toHaveLength(1);
      expect(assistants[0]!.content).toBe(answer1);
      expect(assistants[0]!.reasoning_content).toBe(reasoning);
      // ...in order: the old question, the assistant turn with its reasoning, the new question.
      const order = body.messages.map((m) =>
        m.role === 'assistant'
          ? 'assistant'
          : messageText(m).includes(marker2)
            ? 'q2'
            : messageText(m).includes(marker1)
              ? 'q1'
              : m.role,
      );
      expect(order.indexOf('q1')).toBeLessThan(order.indexOf('assistant'));
      expect(order.indexOf('assistant')).toBeLessThan(order.indexOf('q2'));

      expect(h.bridgeLog.filter((e) => e.status >= 400 || e.error)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '(c) sends the reasoning of a tool-call turn back with its tool calls in the same run (DeepSeek requires it)',
    async () => {
      const marker = 'Read the notes file for the dsb reasoning e2e test.';
      const reasoning = 'I need the notes before I can answer, so I will read the file first.';
      const notes = 'remember: the bridge keeps reasoning_content\n';
      const callId = llamaId();
      const finalAnswer = 'The notes say the bridge keeps reasoning_content.';
      let notesPath = '';
      const h = await startHarness({
        script: (r) => {
          if (!isConversation(r.body, marker)) return SIDE_ANSWER;
          if (r.body.messages.some((m) => m.role === 'tool')) return { label: 'final', text: finalAnswer };
          return {
            label: 'think-and-read',
            reasoning,
            toolCalls: [{ id: callId, name: 'Read', arguments: { file_path: notesPath } }],
          };
        },
      });
      notesPath = path.join(h.sandbox.cwd, 'notes.md');
      await writeFile(notesPath, notes);

      const run = await runClaude({
        baseUrl: h.bridgeUrl,
        sandbox: h.sandbox,
        prompt: marker,
        args: ['--allowedTools', 'Read'],
      });

      expect(run.exitCode, run.describe()).toBe(0);
      expect(run.result, run.describe()).toMatchObject({
        subtype: 'success',
        is_error: false,
        result: finalAnswer,
      });
      expect(h.upstream.problems).toEqual([]);
      const conversation = conversationRequests(h.upstream, marker);
      expect(conversation.map((r) => r.answeredWith)).toEqual(['think-and-read', 'final']);
      const body = conversation[1]!.body;
      const index = body.messages.findIndex((m) => m.role === 'assistant');
      const assistant = body.messages[index]!;
      expect(assistant.reasoning_content).toBe(reasoning);
      expect(assistant.tool_calls?.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
        ['Read', { file_path: notesPath }],
      ]);
      const tool = body.messages[index + 1]!;
      expect(tool).toMatchObject({ role: 'tool', tool_call_id: assistant.tool_calls![0]!.id });
      expect(messageText(tool)).toContain('remember: the bridge keeps reasoning_content');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'keeps the upstream prompt append-only from one turn to the next, so the prefix cache holds (design.md §4.2)',
    async () => {
      // Claude Code's own history only grows: [user, system(env)] then [user, system(env), assistant,
      // user(tool_result)]. The OpenAI messages must only grow too, or llama-server re-reads the prompt
      // from the first changed message on.
      const marker = 'Write the cache test file for the dsb e2e test.';
      let target = '';
      const h = await startHarness({
        script: (r) => {
          if (!isConversation(r.body, marker)) return SIDE_ANSWER;
          if (r.body.messages.some((m) => m.role === 'tool')) return { label: 'final', text: 'Written.' };
          return {
            label: 'call-write',
            toolCalls: [{ name: 'Write', arguments: { file_path: target, content: 'cache\n' } }],
          };
        },
      });
      target = path.join(h.sandbox.cwd, 'cache.txt');

      const run = await runClaude({
        baseUrl: h.bridgeUrl,
        sandbox: h.sandbox,
        prompt: marker,
        args: ['--allowedTools', 'Write'],
      });
      expect(run.exitCode, run.describe()).toBe(0);
      const conversation = conversationRequests(h.upstream, marker);
      expect(conversation.map((r) => r.answeredWith)).toEqual(['call-write', 'final']);
      const [first, second] = conversation.map((r) => r.body.messages) as [
        ChatMessageBody[],
        ChatMessageBody[],
      ];
      const differs = first.findIndex((m, i) => JSON.stringify(m) !== JSON.stringify(second[i]));
      const excerpt = (m: ChatMessageBody | undefined) =>
        m ? `${m.role}: …${messageText(m).slice(-160)}` : 'none';
      expect(
        differs,
        `turn 2 changed message #${differs} of turn 1\n  turn 1: ${excerpt(first[differs])}\n  turn 2: ${excerpt(second[differs])}`,
      ).toBe(-1);
    },
    TEST_TIMEOUT_MS,
  );
});
