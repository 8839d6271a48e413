import { describe, expect, it } from 'vitest';
import { bridgeCheck, checkAnthropicStream } from '../../src/checks/bridge.js';
import { normalizeQuant, parseNvidiaSmi, quantizationCheck } from '../../src/checks/quantization.js';
import { runCheck } from '../../src/checks/runner.js';
import type { Check, CheckContext } from '../../src/checks/types.js';
import { encodeGgufHeader } from '../../src/system/gguf.js';
import {
  type FakeSystemOptions,
  fakeContext,
  fakeSystem,
  fixture,
  llamaFixture,
  llamaServerHttp,
  nothingListensAt,
} from './fake-system.js';

const run = (check: Check, ctx: CheckContext) => runCheck(check, ctx, new Map());
const GiB = 1024 ** 3;
const U = 'http://127.0.0.1:8080';

/** A GGUF "file": the real header followed by padding standing in for the tensors (sizes are what matter). */
function gguf(fileType: number, totalBytes: number): Buffer {
  const header = encodeGgufHeader([
    ['general.architecture', 'string', 'deepseek2'],
    ['general.name', 'string', 'DeepSeek V3'],
    ['deepseek2.context_length', 'u32', 163840],
    ['general.file_type', 'u32', fileType],
  ]);
  return Buffer.concat([header, Buffer.alloc(Math.max(0, totalBytes - header.length))]);
}

/**
 * stat reports the buffer length; to model multi-GB files, stat is overridden. These tests grade the
 * model file: nothing listens at the upstream.
 */
function withSizes(o: FakeSystemOptions, sizes: Record<string, number>) {
  const system = fakeSystem({ http: nothingListensAt(U), ...o });
  const stat = system.stat.bind(system);
  system.stat = async (f) =>
    sizes[f] !== undefined ? { size: sizes[f]!, isFile: true, isDirectory: false, mtimeMs: 0 } : stat(f);
  return system;
}

describe('quantization', () => {
  const smi4090 = { 'nvidia-smi': { stdout: fixture('linux/nvidia-smi-4090.txt') } };
  /** No NVIDIA driver (a Mac, a CPU-only box): there is no nvidia-smi to run. */
  const noNvidia = { 'nvidia-smi': 'notfound' as const };

  it('passes on a Q4_K_M GGUF that fits the GPU (Linux, nvidia-smi)', async () => {
    const file = '/models/ds-Q4_K_M.gguf';
    const system = withSizes({ files: { [file]: gguf(15, 4096) }, commands: smi4090 }, { [file]: 18 * GiB });
    const r = await run(quantizationCheck, fakeContext(system, { modelFile: file }));
    expect(r).toMatchObject({ status: 'pass', summary: 'Q4_K_M (recommended)' });
    expect(r.details.join('\n')).toMatch(/GPU NVIDIA GeForce RTX 4090: 24\.0 GiB/);
  });

  it('warns on Q2_K (code quality) and on weights larger than VRAM', async () => {
    const file = '/models/ds-Q2_K.gguf';
    const q2 = await run(
      quantizationCheck,
      fakeContext(withSizes({ files: { [file]: gguf(10, 4096) }, commands: smi4090 }, { [file]: 10 * GiB }), {
        modelFile: file,
      }),
    );
    expect(q2.status).toBe('warn');
    expect(q2.summary).toMatch(/Q2_K: 2–3-bit quantizations noticeably degrade code quality/);
    const big = '/models/ds-Q8_0.gguf';
    const spill = await run(
      quantizationCheck,
      fakeContext(withSizes({ files: { [big]: gguf(7, 4096) }, commands: smi4090 }, { [big]: 40 * GiB }), {
        modelFile: big,
      }),
    );
    expect(spill.status).toBe('warn');
    expect(spill.summary).toMatch(/does not fit in VRAM/);
  });

  it('F16 that does not fit VRAM + RAM is a problem (sums split GGUF shards; Windows paths)', async () => {
    const first = 'D:\\models\\DeepSeek-V3-F16-00001-of-00002.gguf';
    const second = 'D:\\models\\DeepSeek-V3-F16-00002-of-00002.gguf';
    const system = withSizes(
      {
        platform: 'win32',
        files: { [first]: gguf(1, 4096) },
        commands: smi4090,
        memory: { total: 64 * GiB, free: 32 * GiB },
      },
      { [first]: 60 * GiB, [second]: 60 * GiB },
    );
    const r = await run(quantizationCheck, fakeContext(system, { modelFile: first }));
    expect(r.status).toBe('warn'); // optional check
    expect(r.summary).toMatch(/^F16 needs about 132\.0 GiB, more than VRAM \+ RAM \(88\.0 GiB\)/);
    expect(r.fix?.commands[0]).toMatch(/MODEL-Q4_K_M\.gguf/);
  });

  it('macOS: F16 in unified memory that fits passes', async () => {
    const file = '/Users/dev/models/small-F16.gguf';
    const r = await run(
      quantizationCheck,
      fakeContext(
        withSizes(
          { platform: 'darwin', files: { [file]: gguf(1, 4096) }, commands: noNvidia },
          { [file]: 14 * GiB },
        ),
        { modelFile: file },
      ),
    );
    expect(r.status).toBe('pass');
    expect(r.details.join('\n')).toMatch(/Apple silicon shares RAM/);
  });

  it('uses the upstream report: llama.cpp model_ftype and Ollama quantization_level', async () => {
    const llama = await run(
      quantizationCheck,
      fakeContext(fakeSystem({ http: llamaServerHttp(), commands: noNvidia })),
    );
    expect(llama.data).toMatchObject({ quantization: 'F32', grade: 'full' });
    const props = JSON.parse(llamaFixture('02_props'));
    props.model_ftype = 'Q3_K - Medium';
    const q3 = await run(
      quantizationCheck,
      fakeContext(
        fakeSystem({ http: llamaServerHttp(U, { [`GET ${U}/props`]: { body: props } }), commands: noNvidia }),
      ),
    );
    expect(q3).toMatchObject({ status: 'warn', data: { quantization: 'Q3_K_M' } });
    const O = 'http://127.0.0.1:11434';
    const ollama = await run(
      quantizationCheck,
      fakeContext(
        fakeSystem({
          http: {
            [`GET ${O}/v1/models`]: { body: fixture('upstreams/ollama-v1-models.json') },
            [`GET ${O}/api/version`]: { body: fixture('upstreams/ollama-version.json') },
            [`GET ${O}/api/ps`]: { body: fixture('upstreams/ollama-ps-64k.json') },
            [`POST ${O}/api/show`]: { body: fixture('upstreams/ollama-show.json') },
            // Ollama's answer to the other servers' discovery routes.
            ...Object.fromEntries(
              ['/health', '/props', '/version', '/get_model_info'].map((route) => [
                `GET ${O}${route}`,
                { status: 404, body: '404 page not found' },
              ]),
            ),
          },
          commands: noNvidia,
        }),
        { upstreamUrl: O },
      ),
    );
    expect(ollama).toMatchObject({ status: 'pass', summary: 'Q4_K_M (recommended)' });
  });

  it('skips without a model, and fails on a file that is not GGUF', async () => {
    expect(
      (await run(quantizationCheck, fakeContext(fakeSystem({ http: nothingListensAt(U) })))).status,
    ).toBe('skip');
    const bad = await run(
      quantizationCheck,
      fakeContext(fakeSystem({ http: nothingListensAt(U), files: { '/m/x.gguf': 'not a model' } }), {
        modelFile: '/m/x.gguf',
      }),
    );
    expect(bad.status).toBe('warn');
    expect(bad.summary).toMatch(/cannot read the GGUF header of \/m\/x\.gguf: not a GGUF file/);
  });

  it('parses nvidia-smi and llama.cpp ftype names', () => {
    expect(parseNvidiaSmi(fixture('linux/nvidia-smi-2xa100.txt')).map((g) => g.totalBytes / GiB)).toEqual([
      80, 80,
    ]);
    expect(normalizeQuant('Q4_K - Medium')).toBe('Q4_K_M');
    expect(normalizeQuant('Q2_K - Medium')).toBe('Q2_K');
    expect(normalizeQuant('IQ2_XXS - 2.0625 bpw')).toBe('IQ2_XXS');
    expect(normalizeQuant('all F32')).toBe('F32');
  });
});

const B = 'http://127.0.0.1:3000';
const sse = (events: Array<[string | undefined, object]>) =>
  events.map(([e, d]) => `${e ? `event: ${e}\n` : ''}data: ${JSON.stringify(d)}\n\n`).join('');
const goodStream = sse([
  [
    'message_start',
    {
      type: 'message_start',
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'claude-sonnet-4-5',
        usage: { input_tokens: 12, output_tokens: 0 },
      },
    },
  ],
  [
    'content_block_start',
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  ],
  ['ping', { type: 'ping' }],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } },
  ],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  [
    'message_delta',
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } },
  ],
  ['message_stop', { type: 'message_stop' }],
]);

describe('bridge', () => {
  const health = {
    body: {
      status: 'ok',
      version: '0.1.0',
      demo: false,
      upstreams: [{ url: U, reachable: true, model: 'tiny' }],
    },
  };

  it('passes when /health answers and a streamed /v1/messages is well formed', async () => {
    const r = await run(
      bridgeCheck,
      fakeContext(
        fakeSystem({
          http: { [`GET ${B}/health`]: health, [`POST ${B}/v1/messages?beta=true`]: { body: goodStream } },
        }),
      ),
    );
    expect(r.status).toBe('pass');
    expect(r.details.join('\n')).toMatch(/stream: 7 events, stop_reason end_turn, text "ok"/);
  });

  it('fails with `dsb serve` when the bridge is not running', async () => {
    const r = await run(
      bridgeCheck,
      fakeContext(fakeSystem({ http: nothingListensAt(B), portFree: { '127.0.0.1:3000': true } })),
    );
    expect(r.status).toBe('fail');
    expect(r.fix?.commands).toEqual(['dsb serve --port 3000 --upstream http://127.0.0.1:8080']);
  });

  it('fails when the bridge cannot reach its upstream (502) and when the stream lacks event: lines', async () => {
    const down = await run(
      bridgeCheck,
      fakeContext(
        fakeSystem({
          http: {
            [`GET ${B}/health`]: health,
            [`POST ${B}/v1/messages?beta=true`]: {
              status: 502,
              body: {
                type: 'error',
                error: {
                  type: 'api_error',
                  message:
                    'upstream http://127.0.0.1:8080 unreachable: is llama-server running? run dsb doctor',
                },
              },
            },
          },
        }),
      ),
    );
    expect(down.status).toBe('fail');
    expect(down.fix?.commands).toEqual(['dsb doctor upstream-openai']);
    const dataOnly = goodStream.replace(/^event: .*\n/gm, '');
    expect(checkAnthropicStream(dataOnly).problem).toMatch(/no event: line/);
    expect(checkAnthropicStream(goodStream.replace(/event: message_stop\ndata: .*\n\n/, '')).problem).toMatch(
      /does not end with message_stop/,
    );
  });

  it('fails when something else holds the port', async () => {
    const r = await run(
      bridgeCheck,
      fakeContext(
        fakeSystem({
          portFree: { '127.0.0.1:3000': false, '127.0.0.1:3001': true },
          http: { [`GET ${B}/health`]: { status: 404, body: '<html>Not found</html>' } },
        }),
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/something else answers/);
  });
});
