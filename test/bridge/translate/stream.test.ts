import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/bridge/anthropic/schema.js';
import { assembleMessage } from '../../../src/bridge/translate/response.js';
import { StreamTranslator } from '../../../src/bridge/translate/stream.js';
import { ToolNameMap } from '../../../src/bridge/translate/tools.js';
import { checkStreamInvariants } from '../../../src/probe/invariants.js';
import { testTranslator, translateSse } from '../../support/translate-harness.js';

const dir = path.join(import.meta.dirname, '../../fixtures/translate/stream');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.sse'));
const load = (name: string) => readFileSync(path.join(dir, name));
const asSse = (events: StreamEvent[]) => events.map((e) => ({ event: e.type, data: e as unknown }));

describe('stream translator golden fixtures', () => {
  it('has a fixture for every case the issue names', () => {
    for (const name of [
      'text.sse',
      'text-then-tool.sse',
      'parallel-tools-interleaved.sse',
      'one-char-fragments.sse',
      'content-and-finish-one-chunk.sse',
      'usage-after-finish.sse',
      'length-cuts-tool-call.sse',
      'reasoning-then-text.sse',
      'multibyte-utf8.sse',
      'error-after-first-byte.sse',
      'empty-completion.sse',
    ]) {
      expect(fixtures).toContain(name);
    }
  });

  for (const name of fixtures) {
    describe(name, () => {
      const bytes = load(name);
      const whole = translateSse(bytes);

      it('matches its golden event list', async () => {
        await expect(`${JSON.stringify(whole, null, 1)}\n`).toMatchFileSnapshot(
          path.join(dir, name.replace(/\.sse$/, '.events.json')),
        );
      });

      it('keeps every stream invariant', () => {
        expect(checkStreamInvariants(asSse(whole))).toEqual([]);
      });

      it('gives identical output when split at every byte offset', () => {
        for (let at = 1; at < bytes.length; at++) {
          const split = translateSse(bytes, [at]);
          if (JSON.stringify(split) !== JSON.stringify(whole)) {
            expect.fail(`split at byte ${at} changed the output`);
          }
        }
      });
    });
  }
});

describe('stream translator behaviour', () => {
  const message = (name: string) => assembleMessage(translateSse(load(name)));

  it('streams llama-server text with usage that excludes cached prompt tokens', () => {
    const m = message('text.sse');
    expect(m.content).toEqual([{ type: 'text', text: '.' }]);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage).toEqual({ input_tokens: 1, cache_read_input_tokens: 55, output_tokens: 2 });
  });

  it('emits text, then the tool call with parsed input and a toolu_ id', () => {
    const m = message('text-then-tool.sse');
    expect(m.content[0]).toEqual({ type: 'text', text: '.' });
    const tool = m.content[1] as { type: string; id: string; name: string; input: unknown };
    expect(tool.type).toBe('tool_use');
    expect(tool.id).toBe('toolu_eqgMN4Dkie0KUYxLSBnbqVpwdNU2lUPk');
    expect(tool.name).toBe('get_weather');
    expect(typeof tool.input).toBe('object');
    expect(m.stop_reason).toBe('tool_use');
  });

  it('untangles interleaved parallel calls into one block each, in index order', () => {
    const m = message('parallel-tools-interleaved.sse');
    expect(m.content).toEqual([
      { type: 'tool_use', id: 'toolu_call_a', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_call_b', name: 'get_weather', input: { city: 'Tokyo', unit: 'c' } },
    ]);
  });

  it('reassembles one-character argument fragments exactly', () => {
    const m = message('one-char-fragments.sse');
    expect(m.content[1]).toMatchObject({
      name: 'Write',
      input: { file_path: '/tmp/a b.txt', content: 'line1\nline "two"' },
    });
  });

  it('repairs a call cut by the token limit and stops with max_tokens', () => {
    const m = message('length-cuts-tool-call.sse');
    expect(m.stop_reason).toBe('max_tokens');
    expect(m.content.at(-1)).toMatchObject({ type: 'tool_use', name: 'get_weather', input: {} });
    const mid = message('length-cuts-mid-string.sse');
    expect(mid.stop_reason).toBe('max_tokens');
    expect(mid.content[0]).toMatchObject({ input: { file_path: '/x', content: 'abc' } });
  });

  it('turns arguments that are not JSON into text, never into broken tool input', () => {
    const m = message('tool-arguments-not-json.sse');
    expect(m.content).toHaveLength(1);
    expect(m.content[0]).toMatchObject({ type: 'text' });
    expect(m.stop_reason).toBe('end_turn');
  });

  it('closes thinking with a signature before text opens', () => {
    const events = translateSse(load('reasoning-then-text.sse'));
    const types = events.map((e) => (e.type === 'content_block_delta' ? e.delta.type : e.type));
    const sig = types.indexOf('signature_delta');
    expect(sig).toBeGreaterThan(0);
    expect(types.indexOf('text_delta')).toBeGreaterThan(sig);
    const m = assembleMessage(events);
    expect(m.content).toEqual([
      { type: 'thinking', thinking: 'Let me think about it.', signature: 'sig-22' },
      { type: 'text', text: 'The answer is 42.' },
    ]);
  });

  it('handles reasoning and content in one chunk (vLLM)', () => {
    expect(message('reasoning-and-content-one-chunk.sse').content.map((b) => b.type)).toEqual([
      'thinking',
      'text',
    ]);
  });

  it('reassembles UTF-8 sequences split across chunks', () => {
    expect(message('multibyte-utf8.sse').content).toEqual([
      { type: 'text', text: '你好，世界！ 🦙🚀 naïve café ß∑' },
    ]);
  });

  it('ends with an error event (after closing the open block) when the upstream fails mid-stream', () => {
    for (const name of ['error-after-first-byte.sse', 'cut-without-finish.sse', 'garbage-chunk.sse']) {
      const events = translateSse(load(name));
      const last = events.at(-1)!;
      expect(last.type, name).toBe('error');
      expect(events.at(-2)).toEqual({ type: 'content_block_stop', index: 0 });
      expect(events.some((e) => e.type === 'message_stop')).toBe(false);
    }
  });

  it('answers an empty completion with an empty message, not an empty text block', () => {
    const events = translateSse(load('empty-completion.sse'));
    expect(events.map((e) => e.type)).toEqual(['message_start', 'message_delta', 'message_stop']);
  });

  it('ignores SSE comments and CRLF line ends', () => {
    expect(message('sse-comments-crlf.sse').content).toEqual([{ type: 'text', text: 'ok' }]);
  });

  it('separates whole calls sent without an index', () => {
    const m = message('whole-calls-without-index.sse');
    expect(m.content).toEqual([
      { type: 'tool_use', id: 'toolu_call_x', name: 'Bash', input: { command: 'ls' } },
      { type: 'tool_use', id: 'toolu_call_y', name: 'Read', input: { file_path: '/a' } },
    ]);
  });

  it('maps shortened tool names back to the client names', () => {
    const names = new ToolNameMap();
    const long = `mcp__server__${'x'.repeat(80)}`;
    const upstreamName = names.upstreamName(long);
    expect(upstreamName.length).toBeLessThanOrEqual(64);
    const t = testTranslator(names);
    const events = [
      ...t.start(),
      ...t.push({
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: 0, id: 'c1', function: { name: upstreamName, arguments: '{}' } }],
            },
          },
        ],
      }),
      ...t.push({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }),
      ...t.end(),
    ];
    expect(assembleMessage(events).content[0]).toMatchObject({ name: long });
  });

  it('reports the stop sequence vLLM names', () => {
    const translator = new StreamTranslator({
      messageId: 'm',
      model: 'x',
      inputTokens: 1,
      names: new ToolNameMap(),
      stopSequences: ['END'],
      signThinking: () => 's',
      newToolId: () => 'toolu_1',
    });
    const events = [
      ...translator.start(),
      ...translator.push({
        choices: [{ index: 0, delta: { content: 'a' }, finish_reason: 'stop', stop_reason: 'END' }],
      }),
      ...translator.end(),
    ];
    const m = assembleMessage(events);
    expect([m.stop_reason, m.stop_sequence]).toEqual(['stop_sequence', 'END']);
  });
});

describe('tool-call salvage (opt-in)', () => {
  const salvaging = () =>
    new StreamTranslator({
      messageId: 'm',
      model: 'x',
      inputTokens: 1,
      names: new ToolNameMap(),
      signThinking: () => 's',
      newToolId: () => 'toolu_salvaged',
      salvage: { toolNames: ['get_weather'] },
    });

  it('turns a <tool_call> block leaked as text into a tool_use block, split anywhere', () => {
    const text =
      'Let me check.\n<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>';
    for (let at = 1; at < text.length; at += 7) {
      const t = salvaging();
      const events = [
        ...t.start(),
        ...t.push({ choices: [{ index: 0, delta: { content: text.slice(0, at) } }] }),
        ...t.push({ choices: [{ index: 0, delta: { content: text.slice(at) }, finish_reason: 'stop' }] }),
        ...t.end(),
      ];
      const m = assembleMessage(events);
      expect(m.content.at(-1)).toEqual({
        type: 'tool_use',
        id: 'toolu_salvaged',
        name: 'get_weather',
        input: { city: 'Paris' },
      });
      expect(m.stop_reason).toBe('tool_use');
      expect(checkStreamInvariants(asSse(events))).toEqual([]);
    }
  });

  it('leaves text alone when salvage is off', () => {
    const t = testTranslator();
    const events = [
      ...t.start(),
      ...t.push({
        choices: [
          {
            index: 0,
            delta: { content: '<tool_call>{"name": "get_weather", "arguments": {}}</tool_call>' },
            finish_reason: 'stop',
          },
        ],
      }),
      ...t.end(),
    ];
    expect(assembleMessage(events).content.map((b) => b.type)).toEqual(['text']);
  });
});

// Counterexamples the reliability properties (test/bridge/reliability) found, kept as plain cases.
describe('stream translator: upstream fields of the wrong type', () => {
  const run = (...chunks: unknown[]) => {
    const t = testTranslator();
    const events = [...t.start(), ...chunks.flatMap((c) => t.push(c)), ...t.end()];
    expect(checkStreamInvariants(asSse(events))).toEqual([]);
    return { events, t };
  };
  const finish = (reason: string) => ({ choices: [{ index: 0, delta: {}, finish_reason: reason }] });

  it('ignores null and non-object tool call entries', () => {
    const { events } = run(
      { choices: [{ delta: { tool_calls: [null, 5, 'x', []] } }] },
      { choices: [{ index: 0, delta: { content: 'ok' } }] },
      finish('stop'),
    );
    expect(assembleMessage(events).content).toEqual([{ type: 'text', text: 'ok' }]);
  });

  it('ignores a tool call id or name that is not a string', () => {
    const { events } = run(
      { choices: [{ delta: { tool_calls: [{ index: 0, id: {}, function: { name: 'Read' } }] } }] },
      {
        choices: [
          { delta: { tool_calls: [{ index: 0, id: 7, function: { name: { x: 1 }, arguments: '{}' } }] } },
        ],
      },
      finish('tool_calls'),
    );
    expect(assembleMessage(events).content).toEqual([
      { type: 'tool_use', id: 'toolu_generated1', name: 'Read', input: {} },
    ]);
  });

  it('takes arguments sent as an object in place of a JSON string', () => {
    const { events } = run(
      {
        choices: [
          {
            delta: {
              tool_calls: [{ index: 0, id: 'c', function: { name: 'Read', arguments: { path: 'a' } } }],
            },
          },
        ],
      },
      finish('tool_calls'),
    );
    expect(assembleMessage(events).content).toEqual([
      { type: 'tool_use', id: 'toolu_c', name: 'Read', input: { path: 'a' } },
    ]);
  });

  it('counts only usage numbers that are token counts', () => {
    for (const usage of [
      { prompt_tokens: {} },
      { prompt_tokens: -3, completion_tokens: '4' },
      { prompt_tokens: 1.5e300, completion_tokens: null },
      { prompt_cache_hit_tokens: {} },
      { prompt_tokens_details: { cached_tokens: {} } },
      { prompt_tokens_details: 'x', prompt_cache_hit_tokens: -1 },
    ]) {
      const { events, t } = run(
        { choices: [{ index: 0, delta: { content: 'a' }, finish_reason: 'stop' }] },
        { choices: [], usage },
      );
      expect(events.find((e) => e.type === 'message_delta')).toMatchObject({
        usage: { input_tokens: 100, output_tokens: 1 },
      });
      expect(t.result?.upstreamPromptTokens).toBeUndefined();
    }
    const { events } = run(finish('stop'), {
      usage: { prompt_tokens: 10.7, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 4 } },
    });
    expect(events.find((e) => e.type === 'message_delta')).toMatchObject({
      usage: { input_tokens: 6, output_tokens: 2, cache_read_input_tokens: 4 },
    });
  });

  it('ignores a finish_reason, delta or choice that is not of its type', () => {
    const { events } = run(
      { choices: [{ delta: 'text', finish_reason: {} }] },
      { choices: [null, { delta: { content: 'not first choice' } }] },
      { choices: [{ delta: { content: 'a', reasoning_content: 5, reasoning: 'r' } }] },
      finish('stop'),
    );
    expect(assembleMessage(events).content).toEqual([
      { type: 'thinking', thinking: 'r', signature: 'sig-1' },
      { type: 'text', text: 'a' },
    ]);
  });

  it('runs no tool in an answer the content filter stopped: the calls become text, stop_reason refusal', () => {
    const { events } = run(
      { choices: [{ delta: { tool_calls: [{ function: { name: 'Read' } }] } }] },
      { choices: [{ finish_reason: 'content_filter' }] },
    );
    const m = assembleMessage(events);
    expect(m.stop_reason).toBe('refusal');
    expect(m.content).toEqual([
      { type: 'text', text: '[call of tool Read not run, the answer was filtered: ]' },
    ]);
  });

  it('ends once: nothing after [DONE] or an error counts', () => {
    const t = testTranslator();
    const events = [
      ...t.start(),
      ...t.pushData('{"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}]}'),
      ...t.pushData('[DONE]'),
      ...t.pushData('{"choices":[{"delta":{"content":"late"}}]}'),
      ...t.pushData('[DONE]'),
      ...t.end(),
    ];
    expect(events.filter((e) => e.type === 'message_stop' || e.type === 'error')).toHaveLength(1);
    expect(assembleMessage(events).content).toEqual([{ type: 'text', text: 'a' }]);
  });

  it('ends with an error for a chunk that is JSON but not an object', () => {
    for (const data of ['[]', '5', 'null', '"x"']) {
      const t = testTranslator();
      const events = [...t.start(), ...t.pushData(data), ...t.end()];
      expect(events.at(-1)?.type).toBe('error');
      expect(checkStreamInvariants(asSse(events))).toEqual([]);
    }
  });
});
