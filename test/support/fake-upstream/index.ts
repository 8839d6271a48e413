// The fake OpenAI-compatible upstream of the tests, in one place (see server.ts for the core):
//   startFakeLlama()                 llama-server as recorded (discovery, input_tokens, answers)
//   startFakeLlamaDiscovery(routes)  llama-server discovery only, plus the test's routes
//   startScriptedUpstream({script})  a DeepSeek llama-server whose answers follow a script
//   startFakeVllm / startFakeOllama / startFakeSglang   the other server kinds' discovery
//   startFakeUpstream({routes, answer, otherwise})       anything else (raw answers, echo servers)
// and a running fake's `answer` can be swapped for a fault (faultAnswer), a script or a raw writer.
import { Upstream } from '../../../src/bridge/upstream.js';
import { type UpstreamConfig, upstreamSchema } from '../../../src/config/schema.js';

export * from './faults.js';
export * from './kinds.js';
export * from './llama.js';
export * from './scripted.js';
export * from './server.js';

/** The bridge's upstream client for a fake, with short timeouts. */
export function upstreamFor(url: string, extra: Partial<UpstreamConfig> = {}): Upstream {
  const config = upstreamSchema.parse({ url, ...extra });
  return new Upstream(config, { idleTimeoutMs: 5_000, headersTimeoutMs: 5_000 });
}

/** One OpenAI chunk with this delta (and finish reason), for raw answers. */
export function chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
  return JSON.stringify({
    id: 'chatcmpl-raw',
    object: 'chat.completion.chunk',
    model: 'fake',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
}
