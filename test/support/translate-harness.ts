// Runs upstream SSE bytes through the decoder and the stream translator exactly as the server does,
// with deterministic ids and signatures, optionally split into pieces at given byte offsets.
import type { StreamEvent } from '../../src/bridge/anthropic/schema.js';
import { UpstreamSseDecoder } from '../../src/bridge/openai/sse-decoder.js';
import { StreamTranslator } from '../../src/bridge/translate/stream.js';
import { ToolNameMap } from '../../src/bridge/translate/tools.js';

export function testTranslator(names = new ToolNameMap(), inputTokens = 100): StreamTranslator {
  let n = 0;
  return new StreamTranslator({
    messageId: 'msg_test',
    model: 'claude-sonnet-4-5',
    inputTokens,
    names,
    signThinking: (t) => `sig-${t.length}`,
    newToolId: () => `toolu_generated${++n}`,
  });
}

export function translateSse(
  bytes: Buffer,
  splitAt: number[] = [],
  translator = testTranslator(),
): StreamEvent[] {
  const decoder = new UpstreamSseDecoder();
  const events: StreamEvent[] = [...translator.start()];
  let from = 0;
  for (const at of [...splitAt, bytes.length]) {
    for (const e of decoder.push(bytes.subarray(from, at))) events.push(...translator.pushData(e.data));
    from = at;
  }
  for (const e of decoder.end()) events.push(...translator.pushData(e.data));
  // As the server does when the body ends: finish (or fail, when no finish_reason came).
  events.push(...translator.end());
  return events;
}
