// End to end with the REAL Claude Code CLI for the bridge's context management and DeepSeek
// reasoning (issue 3): a later turn overflows a small context, the bridge answers `prompt is too
// long`, Claude Code compacts and the session goes on; and a DeepSeek-like upstream that refuses
// tool-call turns without their reasoning_content gets them back through the real tool loop.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeLogger, RequestLogEntry } from '../../src/bridge/log.js';
import { startBridge } from '../../src/bridge/server.js';
import { configSchema } from '../../src/config/schema.js';
import { type ClaudeSandbox, createClaudeSandbox, runClaude } from '../support/claude-cli.js';
import {
  type ChatRequestBody,
  type FakeUpstream,
  messageText,
  type ScriptedTurn,
  type ScriptedUpstreamOptions,
  startScriptedUpstream,
} from '../support/fake-upstream/index.js';

const TEST_TIMEOUT_MS = 150_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  upstream: FakeUpstream;
  bridgeUrl: string;
  bridgeLog: RequestLogEntry[];
  sandbox: ClaudeSandbox;
}

async function startHarness(
  options: ScriptedUpstreamOptions,
  upstreamConfig: Record<string, unknown> = {},
): Promise<Harness> {
  const upstream = await startScriptedUpstream(options);
  cleanups.push(() => upstream.close());
  const bridgeLog: RequestLogEntry[] = [];
  const logger: BridgeLogger = { request: (e) => bridgeLog.push(e), info() {}, warn() {} };
  const bridge = await startBridge({
    config: configSchema.parse({
      server: { port: 0 },
      upstreams: [{ url: upstream.url, ...upstreamConfig }],
    }),
    logger,
  });
  cleanups.push(async () => {
    await bridge.close();
  });
  const sandbox = await createClaudeSandbox('dsb-e2e-ctx-');
  cleanups.push(() => sandbox.cleanup());
  return { upstream, bridgeUrl: bridge.url, bridgeLog, sandbox };
}

const allText = (body: ChatRequestBody) => body.messages.map((m) => messageText(m)).join('\n');

describe('Claude Code compacts when a later turn overflows the context', () => {
  it(
    'gets `prompt is too long`, compacts, and the session continues (exit 0)',
    async () => {
      const first = `FIRSTDOC ${'alpha beta gamma delta '.repeat(900)}`;
      const second = `SECONDDOC ${'lorem ipsum dolor sit amet '.repeat(750)}`;
      const h = await startHarness({
        // ~4 characters per token over the messages: deterministic, and exact for the bridge.
        inputTokens: (body) => Math.ceil(JSON.stringify(body.messages).length / 4),
        nCtx: 14_000,
        script: (request) => {
          const text = allText(request.body);
          // The last message's own words, without the <system-reminder> blocks Claude Code adds.
          const last = messageText(request.body.messages.at(-1)).replace(
            /<system-reminder>[\s\S]*?<\/system-reminder>/g,
            '',
          );
          // Claude Code 2.1.331's compaction request ends with its summarising instruction.
          if (/Respond with TEXT ONLY/.test(last) && /<summary>/.test(last))
            return {
              label: 'compaction',
              text: '<summary>The user shared FIRSTDOC, a long list of Greek letters.</summary>',
            };
          if (last.includes('THIRDQ')) return { label: 'third', text: 'Third answer.' };
          if (text.includes('SECONDDOC')) return { label: 'second', text: 'Read the second document.' };
          return { label: 'first', text: 'Read the first document.' };
        },
      });
      const base = { baseUrl: h.bridgeUrl, sandbox: h.sandbox };
      const run1 = await runClaude({ ...base, prompt: first });
      expect(run1.exitCode, run1.describe()).toBe(0);
      expect(run1.result?.result).toBe('Read the first document.');

      const run2 = await runClaude({ ...base, prompt: second, args: ['--continue'] });
      expect(run2.exitCode, run2.describe()).toBe(0);
      expect(run2.result?.is_error, run2.describe()).toBe(false);
      expect(run2.result?.result).toBe('Read the second document.');
      // The bridge refused the overflowing turn itself, in the one wording Claude Code compacts on.
      const refused = h.bridgeLog.filter((e) => e.status === 400);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect(refused[0]!.error).toMatch(/^prompt is too long: \d+ tokens > \d+ maximum$/);
      // Claude Code asked for a summary, then resent the turn with the summary instead of FIRSTDOC.
      const chats = h.upstream.chatRequests();
      const compaction = chats.findIndex((r) => r.answeredWith === 'compaction');
      expect(compaction).toBeGreaterThan(0);
      const after = chats.slice(compaction + 1).find((r) => r.answeredWith === 'second')!;
      expect(after).toBeDefined();
      expect(allText(after.body)).toContain('This session is being continued from a previous conversation');
      expect(allText(after.body)).toContain('The user shared FIRSTDOC');
      expect(allText(after.body)).not.toContain('alpha beta gamma delta alpha');
      // No request the upstream received was larger than its context.
      for (const r of chats)
        expect(Math.ceil(JSON.stringify(r.body.messages).length / 4)).toBeLessThan(14_000);

      const run3 = await runClaude({ ...base, prompt: 'THIRDQ what next?', args: ['--continue'] });
      expect(run3.exitCode, run3.describe()).toBe(0);
      expect(run3.result?.result).toBe('Third answer.');
    },
    TEST_TIMEOUT_MS,
  );
});

describe('DeepSeek reasoning replay through the real tool loop', () => {
  it(
    'sends every tool-call turn back with its reasoning_content, which a DeepSeek-like upstream requires',
    async () => {
      const reasoning = 'I must create notes.txt with the Write tool, then confirm.';
      let target = '';
      const h = await startHarness(
        {
          script: (request, index) => {
            const messages = request.body.messages;
            const missing = messages.findIndex(
              (m) => m.role === 'assistant' && m.tool_calls && !m.reasoning_content,
            );
            if (missing >= 0) {
              // DeepSeek's answer to a tool-call turn without its reasoning.
              return {
                label: 'refused',
                error: {
                  status: 400,
                  body: {
                    error: {
                      message: `Missing \`reasoning_content\` field in the assistant message at message index ${missing}`,
                      type: 'invalid_request_error',
                    },
                  },
                },
              };
            }
            if (messages.at(-1)?.role === 'tool') return { label: 'final', text: 'Created notes.txt.' };
            if (!messages.some((m) => m.role === 'user' && messageText(m).includes('NOTESTASK')))
              return { label: 'side', text: 'OK.' };
            return {
              label: `call-${index}`,
              reasoning,
              toolCalls: [
                { name: 'Write', arguments: { file_path: target, content: 'remember the milk\n' } },
              ],
            } satisfies ScriptedTurn;
          },
        },
        { kind: 'llama.cpp' },
      );
      target = path.join(h.sandbox.cwd, 'notes.txt');
      const run = await runClaude({
        baseUrl: h.bridgeUrl,
        sandbox: h.sandbox,
        prompt: 'NOTESTASK write notes.txt',
        args: ['--allowedTools', 'Write'],
      });
      expect(run.exitCode, run.describe()).toBe(0);
      expect(run.result?.result).toBe('Created notes.txt.');
      expect(existsSync(target)).toBe(true);
      expect(await readFile(target, 'utf8')).toBe('remember the milk\n');
      const chats = h.upstream.chatRequests();
      expect(chats.some((r) => r.answeredWith === 'refused')).toBe(false);
      const final = chats.find((r) => r.answeredWith === 'final')!;
      const turn = final.body.messages.find((m) => m.role === 'assistant' && m.tool_calls);
      expect(turn?.reasoning_content).toBe(reasoning);
    },
    TEST_TIMEOUT_MS,
  );
});
