import { describe, expect, it } from 'vitest';
import { fullPrecisionBytesPerParam, GGML_TYPES, summarizeTensors } from '../../src/system/ggml-types.js';

const F32 = 0;
const F16 = 1;
const Q8_0 = 8;
const Q4_K = 12;
const Q6_K = 14;
const BF16 = 30;

describe('GGML_TYPES', () => {
  it('every layout is whole: a positive block size and type size; names unique', () => {
    const names = Object.values(GGML_TYPES).map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of Object.values(GGML_TYPES)) {
      expect(Number.isInteger(t.blockSize) && t.blockSize > 0).toBe(true);
      expect(Number.isInteger(t.typeSize) && t.typeSize > 0).toBe(true);
    }
    // Removed types are not guessed at.
    expect(GGML_TYPES[4]).toBeUndefined();
    expect(GGML_TYPES[5]).toBeUndefined();
  });
});

describe('fullPrecisionBytesPerParam', () => {
  it('4 for F32, 2 for F16 and BF16 (any case); nothing for quantized names', () => {
    expect(fullPrecisionBytesPerParam('F32')).toBe(4);
    expect(fullPrecisionBytesPerParam('fp32')).toBe(4);
    expect(fullPrecisionBytesPerParam('bf16')).toBe(2);
    expect(fullPrecisionBytesPerParam('FP16')).toBe(2);
    for (const q of ['Q4_K_M', 'Q8_0', 'F16_X', 'IQ2_XXS', ''])
      expect(fullPrecisionBytesPerParam(q)).toBeUndefined();
  });
});

describe('summarizeTensors', () => {
  it('a partial last block costs a whole block', () => {
    const s = summarizeTensors([{ type: Q8_0, elements: 33 }]);
    expect(s.types[0]).toEqual({ type: Q8_0, name: 'Q8_0', tensors: 1, params: 33, bytes: 2 * 34 });
    expect(s.bytes).toBe(68);
  });

  it('tallies per type, most parameters first, and mixes known and unknown types honestly', () => {
    const s = summarizeTensors([
      { type: F32, elements: 10 },
      { type: Q4_K, elements: 512 },
      { type: 999, elements: 100 },
      { type: F32, elements: 6 },
      { type: F16, elements: 200 },
    ]);
    expect(s.types.map((t) => [t.name, t.tensors, t.params, t.bytes])).toEqual([
      ['Q4_K', 1, 512, 288],
      ['F16', 1, 200, 400],
      ['type 999', 1, 100, undefined],
      ['F32', 2, 16, 64],
    ]);
    expect(s.params).toBe(828);
    expect(s.unknownParams).toBe(100);
    expect(s.bytes).toBe(288 + 400 + 64);
    expect(s.bytesPerParam).toBe((288 + 400 + 64) / 728);
  });

  it('no tensors: nothing known', () => {
    expect(summarizeTensors([])).toEqual({
      types: [],
      params: 0,
      bytes: 0,
      unknownParams: 0,
      bytesPerParam: undefined,
    });
  });
});

// Moved from test/checks/quantization-tensors.test.ts (doctor's quantization check reads these).
describe('bytes per parameter from the GGUF tensor types', () => {
  it('block layouts: F32 4, F16/BF16 2, Q8_0 34 bytes per 32, Q4_K 144 per 256', () => {
    const bpp = (type: number) => summarizeTensors([{ type, elements: 4096 }]).bytesPerParam;
    expect(bpp(F32)).toBe(4);
    expect(bpp(F16)).toBe(2);
    expect(bpp(BF16)).toBe(2);
    expect(bpp(8)).toBe(34 / 32);
    expect(bpp(Q4_K)).toBe(144 / 256);
    expect(GGML_TYPES[Q6_K]).toEqual({ name: 'Q6_K', blockSize: 256, typeSize: 210 });
    const unknown = summarizeTensors([{ type: 999, elements: 10 }]);
    expect(unknown).toMatchObject({ unknownParams: 10, bytesPerParam: undefined });
  });
});
