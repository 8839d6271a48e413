// Doctor's quantization check takes bytes per parameter from the tensor types the GGUF header lists
// (F32 4, F16/BF16 2, quantized types by their block sizes), not "about 2" for every full-precision
// file. The real llama-server fixture's tiny.gguf (an F32 file) is read too when it is present.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quantizationCheck } from '../../src/checks/quantization.js';
import { runCheck } from '../../src/checks/runner.js';
import { encodeGgufHeader } from '../../src/system/gguf.js';
import { fakeContext, fakeSystem, llamaFixture, llamaServerHttp, nothingListensAt } from './fake-system.js';

const F32 = 0;
const Q4_K = 12;
const Q6_K = 14;
const BF16 = 30;
/** No NVIDIA driver here: nvidia-smi is not installed (the check compares with RAM only). */
const NO_NVIDIA = { 'nvidia-smi': 'notfound' as const };

function gguf(fileType: number, tensors: Array<{ name: string; dims: number[]; type: number }>): Buffer {
  return encodeGgufHeader(
    [
      ['general.architecture', 'string', 'deepseek2'],
      ['general.name', 'string', 'DeepSeek test'],
      ['general.file_type', 'u32', fileType],
    ],
    0,
    tensors,
  );
}

const check = async (file: string, content: Buffer) =>
  runCheck(
    quantizationCheck,
    fakeContext(
      fakeSystem({
        http: nothingListensAt('http://127.0.0.1:8080'),
        files: { [file]: content },
        memory: { total: 64 * 1024 ** 3, free: 0 },
        commands: NO_NVIDIA,
      }),
      { modelFile: file },
    ),
    new Map(),
  );

describe('bytes per parameter from the GGUF tensor types', () => {
  it('an F32 GGUF is 4 bytes per parameter, not "about 2"', async () => {
    const r = await check('/m/model-F32.gguf', gguf(F32, [{ name: 'w', dims: [4096, 4096], type: F32 }]));
    expect(r.summary).toMatch(/^F32: full precision, 4 bytes per parameter/);
    expect(r.summary).not.toMatch(/about 2/);
    expect(r.data).toMatchObject({ bytesPerParam: 4 });
  });

  it('BF16 with F32 norms: 2 bytes per parameter (rounded)', async () => {
    const r = await check(
      '/m/model-BF16.gguf',
      gguf(32, [
        { name: 'w', dims: [4096, 4096], type: BF16 },
        { name: 'norm', dims: [4096], type: F32 },
      ]),
    );
    expect(r.summary).toMatch(/^BF16: full precision, 2 bytes per parameter/);
  });

  it('Q4_K_M: the mix of Q4_K, Q6_K and F32 tensors gives its real bits per weight', async () => {
    const r = await check(
      '/m/model-Q4_K_M.gguf',
      gguf(15, [
        { name: 'ffn', dims: [4096, 4096], type: Q4_K },
        { name: 'out', dims: [4096, 1024], type: Q6_K },
        { name: 'norm', dims: [4096], type: F32 },
      ]),
    );
    const params = 4096 * 4096 + 4096 * 1024 + 4096;
    const bytes = (4096 * 4096 * 144) / 256 + (4096 * 1024 * 210) / 256 + 4096 * 4;
    expect(r.data?.bytesPerParam).toBeCloseTo(bytes / params, 10);
    expect(r.details.join('\n')).toMatch(
      /0\.61 bytes per parameter \(4\.92 bits\), from the tensor types: Q4_K 80%, Q6_K 20%, F32 1%/,
    );
  });

  it('an upstream that reports F32 and its parameter count, no size: the need is 4 bytes per parameter', async () => {
    const U = 'http://127.0.0.1:8080';
    const props = JSON.parse(llamaFixture('02_props'));
    delete props.model_path;
    const r = await runCheck(
      quantizationCheck,
      fakeContext(
        fakeSystem({
          http: llamaServerHttp(U, { [`GET ${U}/props`]: { body: props } }),
          commands: NO_NVIDIA,
        }),
      ),
      new Map(),
    );
    expect(r.data).toMatchObject({ quantization: 'F32', bytesPerParam: 4 });
  });

  const llamaDir =
    process.env.DSB_LLAMA_SERVER_DIR ?? path.resolve(import.meta.dirname, '../../../shared/llama-server');
  const tiny = path.join(llamaDir, 'tiny.gguf');
  it.skipIf(!existsSync(tiny))(
    'the real tiny.gguf (F32, 4.2 M parameters): 4 bytes per parameter',
    async () => {
      const r = await check('/m/tiny.gguf', readFileSync(tiny));
      expect(r.data).toMatchObject({ quantization: 'F32', bytesPerParam: 4 });
      expect(r.summary).toMatch(/^F32: full precision, 4 bytes per parameter/);
    },
  );
});
