// Microbenchmarks of the bridge's pure parts, on the built code in dist/:
// 1. a ~500 KB Claude Code request through what the bridge does before it calls the upstream:
//    JSON.parse, schema validation (zod), conversion to an OpenAI request, JSON.stringify;
//    the token estimate and the local tokenizer are timed beside it, for information;
// 2. a 10,000-event upstream stream through the SSE decoder, the stream translator and the SSE
//    encoder, fed in 1,400-byte pieces (one TCP segment each), as the server does.
// Run alone (`node bench/micro.mjs`) or by bench/run.mjs, which reads the JSON result over IPC.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { messagesRequestSchema } from '../dist/bridge/anthropic/schema.js';
import { encodeSseEvent } from '../dist/bridge/anthropic/sse.js';
import { estimatePromptTokens } from '../dist/bridge/context/estimate.js';
import { UpstreamSseDecoder } from '../dist/bridge/openai/sse-decoder.js';
import { convertMessagesRequest } from '../dist/bridge/translate/request.js';
import { StreamTranslator } from '../dist/bridge/translate/stream.js';
import { ToolNameMap } from '../dist/bridge/translate/tools.js';
import { percentile } from './load.mjs';
import { claudeCodeRequest } from './requests.mjs';

function time(fn, { warmup = 10, runs = 60 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), min: samples[0], runs };
}

async function timeAsync(fn, { warmup = 3, runs = 20 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), min: samples[0], runs };
}

export async function requestTranslationBench(targetBytes = 500 * 1024) {
  const text = JSON.stringify(claudeCodeRequest(targetBytes));
  const json = JSON.parse(text);
  const parsed = messagesRequestSchema.parse(json);
  const options = { model: 'models/bench-model.gguf', thinkingStyle: 'chat-template' };
  const converted = convertMessagesRequest(parsed, options);
  const stages = {
    parse: time(() => JSON.parse(text)),
    validate: time(() => messagesRequestSchema.safeParse(json)),
    convert: time(() => convertMessagesRequest(parsed, options)),
    serialize: time(() => JSON.stringify(converted.request)),
    total: time(() => {
      const result = messagesRequestSchema.safeParse(JSON.parse(text));
      if (!result.success) throw new Error('the bench request does not validate');
      return JSON.stringify(convertMessagesRequest(result.data, options).request);
    }),
  };
  const extra = { estimate: time(() => estimatePromptTokens(converted.request)) };
  try {
    const { countPromptLocally } = await import('../dist/bridge/context/local-tokenizer.js');
    if (
      typeof countPromptLocally === 'function' &&
      (await countPromptLocally(converted.request)) !== undefined
    ) {
      extra.localTokenizer = await timeAsync(() => countPromptLocally(converted.request));
    }
  } catch {
    // No local tokenizer in this build: nothing to time.
  }
  return {
    bytes: Buffer.byteLength(text),
    messages: json.messages.length,
    tools: json.tools.length,
    outputBytes: Buffer.byteLength(JSON.stringify(converted.request)),
    stages,
    extra,
  };
}

/** llama-server chunk shapes (fixtures 07, 11): role, reasoning, content, one tool call, finish, usage. */
export function upstreamStream(events = 10_000) {
  const id = 'chatcmpl-bench';
  const line = (choices, extra = '') =>
    `data: {"choices":${choices},"created":1795520991,"id":"${id}","model":"models/bench-model.gguf","system_fingerprint":"b10587-3f545bec","object":"chat.completion.chunk"${extra}}\n\n`;
  const parts = [line('[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}]')];
  const body = events - 4; // role, finish, usage, [DONE]
  const reasoning = Math.floor(body * 0.3);
  const tool = Math.floor(body * 0.1);
  const content = body - reasoning - tool;
  for (let i = 0; i < reasoning; i++)
    parts.push(line(`[{"finish_reason":null,"index":0,"delta":{"reasoning_content":" think${i % 10}"}}]`));
  for (let i = 0; i < content; i++)
    parts.push(line(`[{"finish_reason":null,"index":0,"delta":{"content":" word${i % 10} é"}}]`));
  parts.push(
    line(
      '[{"finish_reason":null,"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"Read","arguments":"{"}}]}}]',
    ),
  );
  for (let i = 1; i < tool - 1; i++)
    parts.push(
      line(
        `[{"finish_reason":null,"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"k${i}\\":${i},"}}]}}]`,
      ),
    );
  parts.push(
    line(
      '[{"finish_reason":null,"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"end\\":true}"}}]}}]',
    ),
  );
  parts.push(line('[{"finish_reason":"tool_calls","index":0,"delta":{}}]'));
  parts.push(line('[]', ',"usage":{"completion_tokens":9996,"prompt_tokens":100,"total_tokens":10096}'));
  parts.push('data: [DONE]\n\n');
  return { bytes: Buffer.from(parts.join('')), events: parts.length };
}

export function streamTranslationBench(eventCount = 10_000, pieceBytes = 1_400) {
  const { bytes, events } = upstreamStream(eventCount);
  const pieces = [];
  for (let at = 0; at < bytes.length; at += pieceBytes) pieces.push(bytes.subarray(at, at + pieceBytes));
  let lastOut = '';
  let n = 0;
  const run = () => {
    const decoder = new UpstreamSseDecoder();
    const translator = new StreamTranslator({
      messageId: 'msg_bench',
      model: 'claude-opus-4-5',
      inputTokens: 100,
      names: new ToolNameMap(),
      signThinking: (t) => `sig${t.length}`,
      newToolId: () => `toolu_${++n}`,
    });
    let out = 0;
    let frame = '';
    for (const e of translator.start()) frame += encodeSseEvent(e);
    for (const piece of pieces) {
      for (const e of decoder.push(piece))
        for (const ev of translator.pushData(e.data)) frame += encodeSseEvent(ev);
      out += frame.length;
      lastOut = frame;
      frame = '';
    }
    for (const e of decoder.end()) for (const ev of translator.pushData(e.data)) frame += encodeSseEvent(ev);
    for (const ev of translator.end()) frame += encodeSseEvent(ev);
    lastOut += frame;
    return out + frame.length;
  };
  const result = time(run, { warmup: 5, runs: 30 });
  if (!lastOut.includes('event: message_stop'))
    throw new Error('the bench stream did not end with message_stop');
  return {
    events,
    inputBytes: bytes.length,
    pieces: pieces.length,
    ...result,
    microsecondsPerEvent: (result.p50 * 1000) / events,
  };
}

export async function runMicro() {
  return { request: await requestTranslationBench(), stream: streamTranslationBench() };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runMicro();
  if (process.send) {
    process.send({ type: 'micro', result });
    process.disconnect();
  } else console.log(JSON.stringify(result, null, 2));
}
