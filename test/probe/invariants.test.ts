import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkStreamInvariants,
  formatViolation,
  INVARIANTS,
  type SseEvent,
} from '../../src/probe/invariants.js';
import { parseSse } from '../../src/probe/sse.js';

// Builders for well-formed frames (event line = type, as a correct bridge sends them).
const ev = (data: Record<string, unknown> & { type: string }): SseEvent => ({ event: data.type, data });
const start = (extra: Record<string, unknown> = {}) =>
  ev({
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-sonnet-4-5',
      stop_reason: null,
      usage: { input_tokens: 42, output_tokens: 0 },
      ...extra,
    },
  });
const blockStart = (index: number, content_block: Record<string, unknown>) =>
  ev({ type: 'content_block_start', index, content_block });
const text = (index: number, t: string) =>
  ev({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: t } });
const json = (index: number, partial_json: string) =>
  ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
const think = (index: number, thinking: string) =>
  ev({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } });
const sign = (index: number) =>
  ev({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'dsb1.abc' } });
const stop = (index: number) => ev({ type: 'content_block_stop', index });
const delta = (stop_reason: unknown, usage: unknown = { output_tokens: 5 }) =>
  ev({ type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage });
const end = () => ev({ type: 'message_stop' });
const ping = () => ev({ type: 'ping' });
const toolStart = (index: number, name = 'Read', id = `toolu_${index}`) =>
  blockStart(index, { type: 'tool_use', id, name, input: {} });

const TEXT_STREAM = () => [
  start(),
  blockStart(0, { type: 'text', text: '' }),
  text(0, 'Hello'),
  text(0, ' there.'),
  stop(0),
  delta('end_turn'),
  end(),
];

const ids = (events: SseEvent[], options?: { expectedStopReason?: string }) =>
  checkStreamInvariants(events, options).map((v) => [v.invariant, v.index]);

describe('checkStreamInvariants: streams Claude Code can consume', () => {
  it('passes a plain text stream', () => {
    expect(checkStreamInvariants(TEXT_STREAM())).toEqual([]);
  });

  it('passes thinking (signed) then text, with pings anywhere after message_start', () => {
    const events = [
      start(),
      ping(),
      blockStart(0, { type: 'thinking', thinking: '' }),
      think(0, 'Let me see.'),
      ping(),
      sign(0),
      stop(0),
      blockStart(1, { type: 'text', text: '' }),
      text(1, 'Yes.'),
      stop(1),
      ping(),
      delta('end_turn'),
      end(),
    ];
    expect(checkStreamInvariants(events)).toEqual([]);
  });

  it('passes text then two tool calls, streamed one after the other', () => {
    const events = [
      start(),
      blockStart(0, { type: 'text', text: '' }),
      text(0, 'Reading both.'),
      stop(0),
      toolStart(1),
      json(1, '{"file_'),
      json(1, 'path":"/a.py"}'),
      stop(1),
      toolStart(2, 'Bash'),
      json(2, '{"command":"ls"}'),
      stop(2),
      delta('tool_use'),
      end(),
    ];
    expect(checkStreamInvariants(events, { expectedStopReason: 'tool_use' })).toEqual([]);
  });

  it('passes a tool call without arguments (no input_json_delta at all)', () => {
    expect(checkStreamInvariants([start(), toolStart(0), stop(0), delta('tool_use'), end()])).toEqual([]);
  });

  it('passes a stream that ends in an error event after closing its block', () => {
    const events = [
      start(),
      blockStart(0, { type: 'text', text: '' }),
      text(0, 'Hel'),
      stop(0),
      ev({ type: 'error', error: { type: 'overloaded_error', message: 'upstream went away' } }),
    ];
    expect(checkStreamInvariants(events)).toEqual([]);
  });

  it('accepts max_tokens with a cut tool call whose input was repaired', () => {
    const events = [start(), toolStart(0), json(0, '{}'), stop(0), delta('max_tokens'), end()];
    expect(checkStreamInvariants(events)).toEqual([]);
  });
});

describe('checkStreamInvariants: each broken invariant is named, at the event where it broke', () => {
  it('event-line-matches-type: missing event: lines', () => {
    const events = TEXT_STREAM().map((e) => ({ ...e, event: undefined }));
    const v = checkStreamInvariants(events);
    expect(v.map((x) => x.invariant)).toEqual(Array(7).fill('event-line-matches-type'));
    expect(v.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(v[0]?.message).toContain('no "event:" line');
  });

  it('event-line-matches-type: an event: line that disagrees with data.type', () => {
    const events = TEXT_STREAM();
    events[2] = { event: 'content_block_start', data: events[2]?.data };
    expect(ids(events)).toEqual([['event-line-matches-type', 2]]);
  });

  it('data-is-event-object: data that is not JSON, or an unknown event type', () => {
    const events = TEXT_STREAM();
    events.splice(3, 0, { event: 'content_block_delta', data: 'not json' });
    expect(ids(events)).toEqual([['data-is-event-object', 3]]);
    const unknown = TEXT_STREAM();
    unknown.splice(1, 0, ev({ type: 'content_block_flush' }));
    expect(ids(unknown)).toEqual([['data-is-event-object', 1]]);
  });

  it('message-start-first: something before message_start, a second one, or nothing at all', () => {
    expect(ids([ping(), ...TEXT_STREAM()])).toEqual([
      ['message-start-first', 0],
      ['message-start-first', 1],
    ]);
    const twice = TEXT_STREAM();
    twice.splice(5, 0, start());
    expect(ids(twice)).toEqual([['message-start-first', 5]]);
    expect(ids([])).toEqual([['message-start-first', 0]]);
  });

  it('message-start-shape: content not empty, no usage.input_tokens', () => {
    const events = TEXT_STREAM();
    events[0] = start({ content: [{ type: 'text', text: 'x' }], usage: { output_tokens: 0 } });
    const v = checkStreamInvariants(events);
    expect(v.map((x) => [x.invariant, x.index])).toEqual([['message-start-shape', 0]]);
    expect(v[0]?.message).toContain('input_tokens');
    expect(v[0]?.message).toContain('content');
  });

  it('message-stop-last: the stream ends without message_stop', () => {
    const events = TEXT_STREAM().slice(0, -1);
    expect(ids(events)).toEqual([['message-stop-last', 5]]);
  });

  it('message-stop-last: an event after message_stop, or after an error', () => {
    expect(ids([...TEXT_STREAM(), ping()])).toEqual([['message-stop-last', 7]]);
    const afterError = [start(), ev({ type: 'error', error: { type: 'api_error', message: 'x' } }), end()];
    expect(ids(afterError)).toEqual([['message-stop-last', 2]]);
  });

  it('error-event-shape: an error event without error.type/message', () => {
    expect(ids([start(), ev({ type: 'error', message: 'boom' })])).toEqual([['error-event-shape', 1]]);
  });

  it('one-open-block: a block starts before the previous one stopped', () => {
    const events = [
      start(),
      blockStart(0, { type: 'text', text: '' }),
      text(0, 'x'),
      toolStart(1),
      json(1, '{}'),
      stop(1),
      delta('tool_use'),
      end(),
    ];
    expect(ids(events)).toEqual([['one-open-block', 3]]);
  });

  it('block-index-contiguous: a gap, or an index used twice', () => {
    const gap = [
      start(),
      blockStart(1, { type: 'text', text: '' }),
      text(1, 'x'),
      stop(1),
      delta('end_turn'),
      end(),
    ];
    expect(ids(gap)).toEqual([['block-index-contiguous', 1]]);
    const reuse = [
      ...TEXT_STREAM().slice(0, 5),
      blockStart(0, { type: 'text', text: '' }),
      text(0, 'y'),
      stop(0),
      delta('end_turn'),
      end(),
    ];
    expect(ids(reuse)).toEqual([['block-index-contiguous', 5]]);
  });

  it('block-start-stop-paired: a block never stopped (reported where the message went on)', () => {
    const events = TEXT_STREAM();
    events.splice(4, 1);
    const v = checkStreamInvariants(events);
    expect(v.map((x) => [x.invariant, x.index])).toEqual([['block-start-stop-paired', 4]]);
    expect(v[0]?.message).toContain('never stopped');
  });

  it('block-start-stop-paired: stopped twice, or a stop for a block that never started', () => {
    const twice = TEXT_STREAM();
    twice.splice(5, 0, stop(0));
    expect(ids(twice)).toEqual([['block-start-stop-paired', 5]]);
    expect(ids([start(), stop(0), delta('end_turn'), end()])).toEqual([['block-start-stop-paired', 1]]);
  });

  it('block-start-stop-paired: the stream ends inside a block', () => {
    expect(ids(TEXT_STREAM().slice(0, 3))).toEqual([
      ['block-start-stop-paired', 2],
      ['message-delta-once', 2],
      ['message-stop-last', 2],
    ]);
  });

  it('delta-targets-open-block: a delta for another block or with no block open', () => {
    const other = TEXT_STREAM();
    other[3] = text(1, 'x');
    expect(ids(other)).toEqual([['delta-targets-open-block', 3]]);
    expect(ids([start(), text(0, 'x'), delta('end_turn'), end()])).toEqual([['delta-targets-open-block', 1]]);
  });

  it('delta-kind-matches-block: input_json_delta in a text block, text_delta in a tool block', () => {
    const a = TEXT_STREAM();
    a[3] = json(0, '{}');
    expect(ids(a)).toEqual([['delta-kind-matches-block', 3]]);
    const b = [start(), toolStart(0), text(0, 'x'), stop(0), delta('tool_use'), end()];
    expect(ids(b)).toEqual([['delta-kind-matches-block', 2]]);
  });

  it('thinking-signed: a thinking block closed without signature_delta', () => {
    const events = [
      start(),
      blockStart(0, { type: 'thinking', thinking: '' }),
      think(0, 'hmm'),
      stop(0),
      blockStart(1, { type: 'text', text: '' }),
      text(1, 'ok'),
      stop(1),
      delta('end_turn'),
      end(),
    ];
    expect(ids(events)).toEqual([['thinking-signed', 3]]);
  });

  it('text-block-nonempty: a text block that opened on an empty delta, or closed empty', () => {
    const emptyFirst = TEXT_STREAM();
    emptyFirst.splice(2, 0, text(0, ''));
    expect(ids(emptyFirst)).toEqual([['text-block-nonempty', 2]]);
    const empty = [start(), blockStart(0, { type: 'text', text: '' }), stop(0), delta('end_turn'), end()];
    expect(ids(empty)).toEqual([['text-block-nonempty', 2]]);
  });

  it('tool-use-start-shape: input put in content_block_start (Claude Code drops it)', () => {
    const events = [
      start(),
      blockStart(0, { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a' } }),
      stop(0),
      delta('tool_use'),
      end(),
    ];
    expect(ids(events)).toEqual([['tool-use-start-shape', 1]]);
  });

  it('tool-input-valid-json: fragments that never close, or JSON that is not an object', () => {
    const broken = [
      start(),
      toolStart(0),
      json(0, '{"file_path":'),
      json(0, '"/a"'),
      stop(0),
      delta('tool_use'),
      end(),
    ];
    const v = checkStreamInvariants(broken);
    expect(v.map((x) => [x.invariant, x.index])).toEqual([['tool-input-valid-json', 4]]);
    expect(v[0]?.message).toContain('{\\"file_path\\":\\"/a\\"');
    const array = [start(), toolStart(0), json(0, '[1]'), stop(0), delta('tool_use'), end()];
    expect(ids(array)).toEqual([['tool-input-valid-json', 3]]);
  });

  it('message-delta-once: two message_deltas, or none', () => {
    const two = TEXT_STREAM();
    two.splice(6, 0, delta('end_turn'));
    expect(ids(two)).toEqual([['message-delta-once', 6]]);
    const none = TEXT_STREAM();
    none.splice(5, 1);
    expect(ids(none)).toEqual([['message-delta-once', 5]]);
  });

  it('stop-reason-valid and message-delta-usage', () => {
    const a = TEXT_STREAM();
    a[5] = delta('stop');
    expect(ids(a)).toEqual([['stop-reason-valid', 5]]);
    const b = TEXT_STREAM();
    b[5] = delta('end_turn', {});
    expect(ids(b)).toEqual([['message-delta-usage', 5]]);
  });

  it('stop-reason-tool-use: end_turn after a tool call, tool_use without one', () => {
    const wrong = [start(), toolStart(0), json(0, '{}'), stop(0), delta('end_turn'), end()];
    expect(ids(wrong)).toEqual([['stop-reason-tool-use', 4]]);
    const noTool = TEXT_STREAM();
    noTool[5] = delta('tool_use');
    expect(ids(noTool)).toEqual([['stop-reason-tool-use', 5]]);
  });

  it('stop-reason-expected: a stop_reason other than the expected one', () => {
    expect(ids(TEXT_STREAM(), { expectedStopReason: 'tool_use' })).toEqual([['stop-reason-expected', 5]]);
  });

  it('every invariant id has a description, and formatViolation names id and index', () => {
    for (const [id, text] of Object.entries(INVARIANTS)) {
      expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(text.length).toBeGreaterThan(10);
    }
    expect(formatViolation({ invariant: 'tool-input-valid-json', index: 7, message: 'bad' })).toBe(
      'tool-input-valid-json at event #7: bad',
    );
  });
});

describe('checkStreamInvariants on recorded llama-server /v1/messages streams', () => {
  const fixture = (name: string) =>
    parseSse(readFileSync(new URL(`../fixtures/llama-server/${name}.body`, import.meta.url), 'utf8'));

  it('passes its plain text streams', () => {
    expect(checkStreamInvariants(fixture('19_messages_stream'))).toEqual([]);
    expect(checkStreamInvariants(fixture('19b_messages_stream_maxtok'))).toEqual([]);
  });

  it("finds what is wrong with llama-server's own tool streaming (why the bridge exists)", () => {
    // Its text block stays open while the tool_use block streams, and tool_use starts without `input`.
    expect(ids(fixture('21_messages_tools_stream'))).toEqual([
      ['one-open-block', 3],
      ['tool-use-start-shape', 3],
      ['block-start-stop-paired', 23],
    ]);
    // Cut by max_tokens: the tool input `{` is left as invalid JSON.
    expect(ids(fixture('16k_messages_tools_max_tokens_cut_stream'))).toContainEqual([
      'tool-input-valid-json',
      6,
    ]);
  });
});
