import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkStreamInvariants, type SseEvent } from '../../src/probe/invariants.js';
import { parseSse } from '../../src/probe/sse.js';

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
