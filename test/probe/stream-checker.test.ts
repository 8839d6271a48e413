import { describe, expect, it } from 'vitest';
import { checkStreamInvariants, INVARIANTS, type SseEvent } from '../../src/probe/invariants.js';
import { StreamChecker } from '../../src/probe/stream-checker.js';
import {
  blockStart,
  delta,
  end,
  ev,
  json,
  ping,
  sign,
  start,
  stop,
  TEXT_STREAM,
  text,
  think,
  toolStart,
} from '../support/sse-frames.js';

const ids = (events: SseEvent[], options?: { expectedStopReason?: string }) =>
  checkStreamInvariants(events, options).map((v) => [v.invariant, v.index]);

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
});

describe('StreamChecker: the branches the per-invariant cases above do not reach', () => {
  const deltaFrame = (index: unknown, d: unknown) => ev({ type: 'content_block_delta', index, delta: d });

  it('is fed one frame at a time; finish() returns the violations sorted by event index', () => {
    const checker = new StreamChecker();
    const frames = TEXT_STREAM();
    // message_stop removed: the cut-short finding lands on the last event, the early one stays first.
    frames.pop();
    frames.splice(1, 0, ev({ type: 'content_block_stop', index: 9 }));
    frames.forEach((f, i) => {
      checker.feed(f, i);
    });
    expect(checker.finish().map((v) => [v.invariant, v.index])).toEqual([
      ['block-start-stop-paired', 1],
      ['message-stop-last', 6],
    ]);
  });

  it('an error event while a block is open reports the open block, and ends the stream', () => {
    const events = [
      start(),
      blockStart(0, { type: 'text', text: '' }),
      text(0, 'a'),
      ev({ type: 'error', error: { type: 'overloaded_error', message: 'busy' } }),
    ];
    expect(ids(events)).toEqual([['block-start-stop-paired', 3]]);
    // Nothing may follow the error; no cut-short finding is added for a stream ended by an error.
    expect(ids([...events.slice(0, 3), stop(0), events[3]!, ping()])).toEqual([['message-stop-last', 5]]);
  });

  it('a content_block_start after message_delta, or without an integer index', () => {
    const late = [
      ...TEXT_STREAM().slice(0, 6),
      blockStart(1, { type: 'text', text: '' }),
      text(1, 'x'),
      stop(1),
      end(),
    ];
    expect(ids(late)).toContainEqual(['block-start-stop-paired', 6]);
    const noIndex = [start(), blockStart(1.5, { type: 'text', text: '' }), delta('end_turn'), end()];
    const v = checkStreamInvariants(noIndex);
    expect(v[0]).toMatchObject({ invariant: 'block-index-contiguous', index: 1 });
    expect(v[0]?.message).toContain('without an integer index');
  });

  it('a delta that is not an object, or of an unknown type', () => {
    const base = [start(), blockStart(0, { type: 'text', text: '' })];
    const tail = [text(0, 'a'), stop(0), delta('end_turn'), end()];
    expect(ids([...base, deltaFrame(0, 'text'), ...tail])).toEqual([['delta-kind-matches-block', 2]]);
    const unknown = checkStreamInvariants([...base, deltaFrame(0, { type: 'citations_delta' }), ...tail]);
    expect(unknown.map((v) => v.invariant)).toEqual(['delta-kind-matches-block']);
    expect(unknown[0]?.message).toContain('unknown delta type "citations_delta"');
  });

  it('deltas that lack their payload are refused and do not count as the block having text', () => {
    const textBlock = [start(), blockStart(0, { type: 'text', text: '' })];
    // A text_delta without text: refused, and the block then closes with no text.
    expect(
      ids([...textBlock, deltaFrame(0, { type: 'text_delta' }), stop(0), delta('end_turn'), end()]),
    ).toEqual([
      ['delta-kind-matches-block', 2],
      ['text-block-nonempty', 3],
    ]);
    const tool = [start(), toolStart(0)];
    expect(
      ids([
        ...tool,
        deltaFrame(0, { type: 'input_json_delta' }),
        json(0, '{}'),
        stop(0),
        delta('tool_use'),
        end(),
      ]),
    ).toEqual([['delta-kind-matches-block', 2]]);
    const thinking = [start(), blockStart(0, { type: 'thinking', thinking: '', signature: '' })];
    expect(
      ids([
        ...thinking,
        deltaFrame(0, { type: 'thinking_delta' }),
        sign(0),
        stop(0),
        delta('end_turn'),
        end(),
      ]),
    ).toEqual([['delta-kind-matches-block', 2]]);
  });

  it('thinking after its signature, and a signature_delta with an empty signature', () => {
    const thinking = [start(), blockStart(0, { type: 'thinking', thinking: '', signature: '' })];
    const after = [...thinking, think(0, 'a'), sign(0), think(0, 'b'), stop(0), delta('end_turn'), end()];
    expect(ids(after)).toEqual([['thinking-signed', 4]]);
    const empty = [
      ...thinking,
      think(0, 'a'),
      deltaFrame(0, { type: 'signature_delta', signature: '' }),
      stop(0),
      delta('end_turn'),
      end(),
    ];
    // The empty signature is refused, so the block also closes unsigned.
    expect(ids(empty)).toEqual([
      ['thinking-signed', 3],
      ['thinking-signed', 4],
    ]);
  });

  it('a content_block_stop for another block than the open one', () => {
    const events = [
      start(),
      blockStart(0, { type: 'text', text: '' }),
      text(0, 'a'),
      stop(1),
      stop(0),
      delta('end_turn'),
      end(),
    ];
    const v = checkStreamInvariants(events);
    expect(v.map((x) => [x.invariant, x.index])).toEqual([['block-start-stop-paired', 3]]);
    expect(v[0]?.message).toContain('while block 0 is the open one');
  });

  it('a stream cut inside a block with no message_delta reports all three findings at its last event', () => {
    const events = [start(), blockStart(0, { type: 'text', text: '' }), text(0, 'a')];
    expect(ids(events)).toEqual([
      ['block-start-stop-paired', 2],
      ['message-delta-once', 2],
      ['message-stop-last', 2],
    ]);
  });

  it('max_tokens is never a stop-reason-tool-use finding, but is checked against the expected stop', () => {
    const cut = [start(), toolStart(0), json(0, '{}'), stop(0), delta('max_tokens'), end()];
    expect(ids(cut)).toEqual([]);
    expect(ids(cut, { expectedStopReason: 'tool_use' })).toEqual([['stop-reason-expected', 4]]);
  });

  it('an expected stop_reason with a message_delta that has none', () => {
    const events = TEXT_STREAM();
    events[5] = ev({ type: 'message_delta', delta: {}, usage: { output_tokens: 1 } });
    const v = checkStreamInvariants(events, { expectedStopReason: 'end_turn' });
    expect(v.map((x) => [x.invariant, x.index])).toEqual([
      ['stop-reason-valid', 5],
      ['stop-reason-expected', 5],
    ]);
    expect(v[1]?.message).toBe('no stop_reason, expected "end_turn"');
    // A stream ended by an error event is not held to an expected stop_reason.
    const errored = [start(), ev({ type: 'error', error: { type: 'api_error', message: 'x' } })];
    expect(ids(errored, { expectedStopReason: 'end_turn' })).toEqual([]);
  });

  it('every id the checker reports is in the catalog', () => {
    const broken = [
      ev({ type: 'bogus' }),
      { event: undefined, data: 'x' },
      blockStart(2, { type: 'text', text: 'x' }),
      deltaFrame(5, { type: 'text_delta', text: '' }),
      delta('nope', null),
      delta('end_turn'),
    ] as SseEvent[];
    const found = checkStreamInvariants(broken, { expectedStopReason: 'tool_use' });
    expect(found.length).toBeGreaterThan(5);
    for (const v of found) expect(Object.keys(INVARIANTS)).toContain(v.invariant);
  });
});
